"""The RPC/encoded value rules (SOAP 1.1 section 5) as this protocol reads them.

One place for what an element's value is, used by the request and response
decoder (decoding.py) and by the SOAP::Lite push reader (soaplite.py):

- ``href`` first: the value is that of the element it points at;
- ``xsi:nil`` true: nil (``None``), whatever the element holds;
- an element with child elements is a compound: an array when it says so
  (``SOAP-ENC:arrayType`` or an ``Array`` type), a struct when it has any
  other type, and, untyped, an array only when its children repeat a name
  or it holds one lone ``<item>`` (SOAP::Lite's arrays always carry a type,
  other senders may write bare ``<item>`` lists);
- a leaf is its text (``str``), base64 decoded for ``base64Binary``, an
  empty array or struct for those types. Whether a value is an int is for
  the reader of the field to decide (PROTOCOL.md section 2), so the server
  never trusts SOAP::Lite's autotyping; ``typed`` leaves (what a client
  reading a response wants) turn ``xsd:int``-like, ``xsd:boolean`` and
  ``xsd:double``-like values into Python values.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from typing import Any

from .exceptions import ClientFault
from .quoting import shown

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENC = "http://schemas.xmlsoap.org/soap/encoding/"
XSD = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

XSI_TYPE = f"{{{XSI}}}type"
XSI_NIL = f"{{{XSI}}}nil"
ARRAY_TYPE = f"{{{SOAP_ENC}}}arrayType"

Value = str | int | float | bool | bytes | None | list["Value"] | dict[str, "Value"]
# How a leaf's value is made from its text; None: the text itself.
LeafRule = Callable[[str], Any] | None

_TRUE_WORDS = frozenset({"true", "1"})
_FALSE_WORDS = frozenset({"false", "0"})
_BASE64_TYPES = frozenset({"base64Binary", "base64"})
_INT_TYPES = frozenset(
    {"int", "long", "short", "byte", "integer", "unsignedInt", "unsignedLong",
     "unsignedShort", "unsignedByte", "nonNegativeInteger", "positiveInteger",
     "negativeInteger", "nonPositiveInteger"}
)
_FLOAT_TYPES = frozenset({"float", "double", "decimal"})


def local_name(tag: str) -> str:
    """The local part of a Clark-notation tag (``{namespace}local``)."""
    return tag.rpartition("}")[2]


def type_local(xsi_type: str) -> str:
    """The local part of an ``xsi:type`` value."""
    # Prefix resolution is not needed: the local part alone tells every type
    # this protocol uses, whatever prefix the sender chose.
    return xsi_type.rpartition(":")[2]


def is_nil(nil: str | None) -> bool:
    """Whether an ``xsi:nil`` attribute value (or its absence) says nil."""
    return nil is not None and nil.strip() in _TRUE_WORDS


def decode_base64(text: str) -> str:
    """A base64Binary value's text; ClientFault when it is not base64."""
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ClientFault("a base64Binary value is not valid base64") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # PROTOCOL.md: base64 bytes that are not UTF-8 are ISO-8859-1.
        return raw.decode("latin-1")


def _nil(text: str) -> None:
    return None


def _empty_array(text: str) -> list[Value]:
    return []


def _empty_struct(text: str) -> dict[str, Value]:
    return {}


def _integer(kind: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ClientFault(f"{shown(text)} is not a valid xsd:{kind}") from None


def _boolean(text: str) -> bool:
    word = text.strip()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ClientFault(f"{shown(text)} is not a valid xsd:boolean")


def _number(kind: str, text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ClientFault(f"{shown(text)} is not a valid xsd:{kind}") from None


# A document uses a handful of distinct attribute combinations, each met
# once per element: the rule is looked up, not worked out again.
@functools.lru_cache(maxsize=512)
def leaf_rule(xsi_type: str | None, nil: str | None, array_type: bool, typed: bool) -> LeafRule:
    """How the value of an element without child elements (and without an
    ``href``) is made from its text, given its ``xsi:type``, its
    ``xsi:nil``, whether it has ``SOAP-ENC:arrayType``, and whether leaves
    are ``typed``. The rule raises ClientFault for text its type refuses."""
    if is_nil(nil):
        return _nil
    if xsi_type is None:
        return _empty_array if array_type else None
    kind = type_local(xsi_type)
    if kind in _BASE64_TYPES:
        return decode_base64
    if kind == "Array":
        return _empty_array
    if kind.endswith("Struct"):
        return _empty_struct
    if typed:
        if kind in _INT_TYPES:
            return functools.partial(_integer, kind)
        if kind == "boolean":
            return _boolean
        if kind in _FLOAT_TYPES:
            return functools.partial(_number, kind)
    return None


def declared_array(xsi_type: str | None, array_type: bool) -> bool:
    """Whether a compound's attributes make it an array."""
    return array_type or (xsi_type is not None and type_local(xsi_type) == "Array")


def untyped_is_array(count: int, distinct: int, first: str) -> bool:
    """Whether an untyped compound of ``count`` children, with ``distinct``
    distinct local names, the first ``first``, is an array (else a struct)."""
    return distinct < count or (count == 1 and first == "item")
