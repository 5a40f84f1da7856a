"""SOAP 1.1 RPC/encoded envelopes: reading (decoding.py) and writing
(encoding.py), by the value rules of values.py.

The protocol layer's callers (the endpoint, the client) use these names.
"""

from .decoding import Call, decode_call, decode_response
from .encoding import (
    encode_call,
    encode_response,
    escape_text,
    int_type,
    iter_encode_call,
    iter_int_array_response,
    wrap_body,
)
from .values import Value

__all__ = [
    "Call",
    "Value",
    "decode_call",
    "decode_response",
    "encode_call",
    "encode_response",
    "escape_text",
    "int_type",
    "iter_encode_call",
    "iter_int_array_response",
    "wrap_body",
]
