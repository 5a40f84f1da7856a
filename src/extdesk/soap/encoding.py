"""Writing RPC/encoded envelopes, shaped as SOAP::Lite writes and expects them.

Text is written directly (arrays always carry ``SOAP-ENC:arrayType``). Every
writer builds on the same pieces: the envelope's opening and closing, the
call or response element, ``encode_value`` for each value and the array
element's opening. Two of them stream: a client's large push
(``iter_encode_call``) and an integer array result such as list_contacts'
(``iter_int_array_response``), so that neither holds the whole body as one
string.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator
from typing import Any

from .quoting import shown
from .values import SOAP_ENC, SOAP_ENV, XSD, XSI

_XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>'
_ENVELOPE_OPEN = (
    f'{_XML_DECL}<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:soapenc="{SOAP_ENC}" '
    f'xmlns:xsd="{XSD}" xmlns:xsi="{XSI}" soap:encodingStyle="{SOAP_ENC}"><soap:Body>'
)
_ENVELOPE_CLOSE = "</soap:Body></soap:Envelope>"
# Characters XML 1.0 cannot carry at all; a string holding one goes as base64.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;",
     "\t": "&#9;"}
)
_INT32 = range(-(2**31), 2**31)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
# Items written between two chunks of a streamed integer array.
_INT_ITEMS_PER_CHUNK = 8192


def escape_text(text: str) -> str:
    """Escape ``text`` for element content so that it parses back unchanged."""
    return text.translate(_ESCAPES)


def _attr(text: str) -> str:
    return text.translate(_ATTR_ESCAPES)


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"{shown(name)} cannot be used as an XML element name")
    return name


def int_type(value: int) -> str:
    """The XML Schema type an integer is written as."""
    # xsd:int is a 32-bit type (XML Schema); larger integers go as xsd:long.
    return "xsd:int" if value in _INT32 else "xsd:long"


def _scalar_type(value: Any) -> str:
    if isinstance(value, bool):
        return "xsd:boolean"
    if isinstance(value, int):
        return int_type(value)
    if isinstance(value, float):
        return "xsd:double"
    if isinstance(value, bytes):
        return "xsd:base64Binary"
    if isinstance(value, str):
        return "xsd:base64Binary" if _NOT_XML_CHAR.search(value) else "xsd:string"
    return "xsd:anyType"


def _item_type(items: list[Any]) -> str:
    kinds = {_scalar_type(item) for item in items}
    if len(kinds) == 1:
        kind = kinds.pop()
        if kind != "xsd:anyType":
            return kind
    if kinds <= {"xsd:int", "xsd:long"} and kinds:
        return "xsd:long"
    return "xsd:anyType"


def _array_open(name: str, item_type: str, count: int) -> str:
    return f'<{name} xsi:type="soapenc:Array" soapenc:arrayType="{item_type}[{count}]">'


def encode_value(name: str, value: Any, out: list[str]) -> None:
    """Append the encoding of ``value`` as element ``name`` to ``out``."""
    if value is None:
        out.append(f'<{name} xsi:nil="true"/>')
    elif isinstance(value, bool):
        out.append(f'<{name} xsi:type="xsd:boolean">{"true" if value else "false"}</{name}>')
    elif isinstance(value, int):
        out.append(f'<{name} xsi:type="{int_type(value)}">{value}</{name}>')
    elif isinstance(value, str):
        if _NOT_XML_CHAR.search(value):
            encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
            out.append(f'<{name} xsi:type="xsd:base64Binary">{encoded}</{name}>')
        else:
            out.append(f'<{name} xsi:type="xsd:string">{value.translate(_ESCAPES)}</{name}>')
    elif isinstance(value, bytes | bytearray):
        encoded = base64.b64encode(bytes(value)).decode("ascii")
        out.append(f'<{name} xsi:type="xsd:base64Binary">{encoded}</{name}>')
    elif isinstance(value, float):
        out.append(f'<{name} xsi:type="xsd:double">{value!r}</{name}>')
    elif isinstance(value, dict):
        # Typed, so that an empty struct is not read back as an empty string
        # nor a struct whose one field is named "item" as an array.
        out.append(f'<{name} xsi:type="soapenc:Struct">')
        for key, item in value.items():
            encode_value(_check_name(str(key)), item, out)
        out.append(f"</{name}>")
    elif isinstance(value, list | tuple):
        items = list(value)
        out.append(_array_open(name, _item_type(items), len(items)))
        for item in items:
            encode_value("item", item, out)
        out.append(f"</{name}>")
    else:
        raise TypeError(f"cannot encode a value of type {type(value).__name__}")


def wrap_body(inner: str) -> bytes:
    """A complete envelope whose Body holds ``inner`` (already XML)."""
    return f"{_ENVELOPE_OPEN}{inner}{_ENVELOPE_CLOSE}".encode()


def _call_element(namespace: str | None, method: str) -> tuple[str, str]:
    """The call element's start and end tags."""
    _check_name(method)
    if namespace:
        return f'<{method} xmlns="{_attr(namespace)}">', f"</{method}>"
    return f"<{method}>", f"</{method}>"


def _response_element(namespace: str | None, method: str) -> tuple[str, str]:
    """The response element's start and end tags."""
    element = _check_name(f"{method}Response")
    if namespace:
        return f'<m:{element} xmlns:m="{_attr(namespace)}">', f"</m:{element}>"
    return f"<{element}>", f"</{element}>"


def iter_encode_call(
    namespace: str | None, method: str, params: Iterable[tuple[str, Any]], *, items_per_chunk: int = 200
) -> Iterator[bytes]:
    """Write a request envelope shaped as SOAP::Lite writes one, in chunks:
    array parameters are written a few items at a time.

    ``params`` are (element name, value) pairs in positional order. A client
    pushing a large array streams the chunks instead of holding the whole
    request as one string.
    """
    params = list(params)
    if not params:
        ns = f' xmlns="{_attr(namespace)}"' if namespace else ""
        yield wrap_body(f'<{_check_name(method)}{ns} xsi:nil="true"/>')
        return
    opening, closing = _call_element(namespace, method)
    out = [_ENVELOPE_OPEN, opening]
    for name, value in params:
        name = _check_name(name)
        if not isinstance(value, list | tuple):
            encode_value(name, value, out)
            continue
        items = list(value)
        out.append(_array_open(name, _item_type(items), len(items)))
        for start in range(0, len(items), items_per_chunk):
            for item in items[start:start + items_per_chunk]:
                encode_value("item", item, out)
            yield "".join(out).encode("utf-8")
            out.clear()
        out.append(f"</{name}>")
    out.append(closing)
    out.append(_ENVELOPE_CLOSE)
    yield "".join(out).encode("utf-8")


def encode_call(namespace: str | None, method: str, params: Iterable[tuple[str, Any]]) -> bytes:
    """``iter_encode_call``'s chunks joined: the whole request envelope."""
    return b"".join(iter_encode_call(namespace, method, params))


def encode_response(namespace: str | None, method: str, result: Any) -> bytes:
    """Write the RPC response to ``method`` holding ``result``."""
    opening, closing = _response_element(namespace, method)
    out = [_ENVELOPE_OPEN, opening]
    encode_value("result", result, out)
    out.append(closing)
    out.append(_ENVELOPE_CLOSE)
    return "".join(out).encode("utf-8")


def iter_int_array_response(
    namespace: str | None, method: str, values: Iterable[int], count: int,
    item_type: str = "xsd:int",
) -> Iterator[bytes]:
    """Write an integer array response (``item_type[count]``) in chunks.

    Used for results that may hold hundreds of thousands of ids, so that no
    intermediate list of per-item strings is built.
    """
    opening, closing = _response_element(namespace, method)
    yield f'{_ENVELOPE_OPEN}{opening}{_array_open("result", item_type, count)}'.encode("ascii")
    item_open = f'<item xsi:type="{item_type}">'
    chunk: list[str] = []
    for value in values:
        chunk.append(f"{item_open}{int(value)}</item>")
        if len(chunk) >= _INT_ITEMS_PER_CHUNK:
            yield "".join(chunk).encode("ascii")
            chunk.clear()
    if chunk:
        yield "".join(chunk).encode("ascii")
    yield f"</result>{closing}{_ENVELOPE_CLOSE}".encode("ascii")
