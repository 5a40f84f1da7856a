"""Local copies of the schemas an RPC/encoded WSDL refers to."""

from __future__ import annotations

from importlib.resources import files

SOAP_ENCODING_NS = "http://schemas.xmlsoap.org/soap/encoding/"


def local_schema(url: str) -> bytes | None:
    """The local copy of the schema at ``url``, or None when there is none.

    WSDL-driven clients (zeep, .NET, Java) otherwise fetch the SOAP encoding
    schema from the internet while reading the WSDL.
    """
    if url.rstrip("/") == SOAP_ENCODING_NS.rstrip("/"):
        return files(__name__).joinpath("soap-encoding.xsd").read_bytes()
    return None
