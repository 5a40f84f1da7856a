"""The byte-exact SOAP::Lite 1.27 requests kept in tests/fixtures/soaplite."""

from __future__ import annotations

from pathlib import Path

CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "soaplite"


def capture_body(name: str) -> bytes:
    """The body of capture ``name`` (e.g. "02-alter_contacts_array2")."""
    raw = (CAPTURES / f"{name}.http").read_bytes()
    head, _, body = raw.partition(b"\r\n\r\n")
    if not body:
        head, _, body = raw.partition(b"\n\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.splitlines()
        if line.lower().startswith(b"content-length:")
    )
    return body[:length]
