"""SOAP 1.1 Fault envelopes."""

from .encoding import escape_text, wrap_body
from .exceptions import SoapFaultError
from .quoting import cut

# Characters XML 1.0 cannot carry; a faultstring is read by people, so they
# are replaced rather than sent as base64.
_NOT_XML_CHAR_TABLE = {
    **{c: "\ufffd" for c in range(0x20) if c not in (0x9, 0xA, 0xD)},
    0xFFFE: "\ufffd",
    0xFFFF: "\ufffd",
}


def encode_fault(code: str, message: str) -> bytes:
    """A Fault envelope with faultcode ``soap:<code>`` and ``message`` (cut:
    see quoting.py)."""
    text = escape_text(
        cut(message).translate(_NOT_XML_CHAR_TABLE).encode("utf-8", "replace").decode())
    return wrap_body(
        f"<soap:Fault><faultcode>soap:{code}</faultcode>"
        f"<faultstring>{text}</faultstring></soap:Fault>"
    )


def fault_for(error: SoapFaultError) -> bytes:
    """The Fault envelope that answers ``error``."""
    return encode_fault(error.code, error.message)
