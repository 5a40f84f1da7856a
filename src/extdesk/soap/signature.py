"""The X-HSPC-Signature header (PROTOCOL.md section 3).

    X-HSPC-Signature: t=<unix seconds>, n=<nonce>, s=<hex HMAC-SHA256>

with the HMAC keyed by the shared secret over ``t + "\\n" + n + "\\n" + body``.
Checking whether a nonce was seen before needs storage, which is the
server's business; this module only parses, signs and verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

from .exceptions import AuthenticationFailed

HEADER_NAME = "X-HSPC-Signature"
WSGI_HEADER_KEY = "HTTP_X_HSPC_SIGNATURE"
DEFAULT_WINDOW_SECONDS = 300
MIN_SECRET_LENGTH = 16

_HEADER = re.compile(
    r"\At=(?P<t>[0-9]{1,12}) *, *n=(?P<n>[A-Za-z0-9_-]{16,64}) *, *s=(?P<s>[0-9a-f]{64})\Z"
)


@dataclass(frozen=True, slots=True)
class SignatureHeader:
    timestamp: int
    nonce: str
    signature: str


def parse_header(value: str | None) -> SignatureHeader:
    """Parse the header value; raise AuthenticationFailed when malformed."""
    if value is None:
        raise AuthenticationFailed("no X-HSPC-Signature header")
    match = _HEADER.match(value.strip())
    if match is None:
        raise AuthenticationFailed("malformed X-HSPC-Signature header")
    return SignatureHeader(int(match["t"]), match["n"], match["s"])


def compute_signature(
    secret: str, timestamp: int, nonce: str, body: bytes | Iterable[bytes]
) -> str:
    """Lowercase hex HMAC-SHA256 of ``t\\nn\\nbody`` keyed by ``secret``.

    ``body`` may also be the body's chunks in order, so that a client streaming
    a large request never has to join it into one string to sign it.
    """
    mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
    mac.update(f"{timestamp}\n{nonce}\n".encode("ascii"))
    if isinstance(body, bytes | bytearray | memoryview):
        mac.update(body)
    else:
        for chunk in body:
            mac.update(chunk)
    return mac.hexdigest()


def new_nonce() -> str:
    """A fresh nonce of 32 URL-safe characters (192 bits)."""
    return secrets.token_urlsafe(24)


def sign(
    secret: str, body: bytes | Iterable[bytes], *, timestamp: int | None = None, nonce: str | None = None
) -> str:
    """The X-HSPC-Signature header value for ``body`` (bytes or its chunks)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = new_nonce() if nonce is None else nonce
    return f"t={timestamp}, n={nonce}, s={compute_signature(secret, timestamp, nonce, body)}"


def verify(
    secret: str,
    header_value: str | None,
    body: bytes,
    *,
    now: float | None = None,
    window: int = DEFAULT_WINDOW_SECONDS,
) -> SignatureHeader:
    """Check format, clock window and HMAC of a request.

    Returns the parsed header so that the caller can record its nonce; the
    nonce must be checked against the store before the request is accepted.
    """
    header = parse_header(header_value)
    # Whole seconds on both sides, as the header carries them.
    now = int(time.time() if now is None else now)
    if abs(now - header.timestamp) > window:
        raise AuthenticationFailed(
            f"timestamp {header.timestamp} is {int(now - header.timestamp)} s away from the "
            f"server's clock (window {window} s)"
        )
    expected = compute_signature(secret, header.timestamp, header.nonce, body)
    if not hmac.compare_digest(expected, header.signature):
        raise AuthenticationFailed("signature does not match (wrong secret or altered body)")
    return header
