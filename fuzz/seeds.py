"""Starting inputs for each target, so fuzzing begins from valid shapes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from extdesk.soap import signature
from extdesk.soap.envelope import encode_call, encode_response
from extdesk.soap.faults import encode_fault

_CAPTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "soaplite"
_MAILS = Path(__file__).resolve().parent.parent / "tests" / "mail" / "corpus"


def _capture_bodies() -> Iterator[bytes]:
    for path in sorted(_CAPTURES.glob("*.http")):
        raw = path.read_bytes()
        _, _, body = raw.partition(b"\r\n\r\n")
        yield body or raw.partition(b"\n\n")[2]


def envelope_seeds() -> Iterator[bytes]:
    yield from _capture_bodies()
    record = {"id": 7, "email": "a@b.example", "first_name": "Zoë 山田", "accounts": "x, y"}
    yield encode_call("urn:HSPC/ExternalHelpdesk", "alter_contacts", [("contacts", [record, {}])])
    yield encode_call(None, "init_session", [("id", 1), ("ip", "::1"), ("act", "add")])
    yield encode_response("urn:x", "list_contacts", [1, 2, 2**40])
    yield encode_response("urn:x", "greet", "Extdesk\x00 <&>")
    yield encode_fault("Client", "authentication failed")


def signature_seeds() -> Iterator[bytes]:
    for body in (b"", b"<a/>"):
        header = signature.sign("fuzz-secret-0123456789", body, timestamp=1_800_000_000)
        # The target reads one length byte, then the header, then the body.
        encoded = header.encode("latin-1")
        yield bytes([len(encoded)]) + encoded + body


def mail_seeds() -> Iterator[bytes]:
    # Real-world-shaped mail, broken mail and mail that is none (tests/mail/corpus).
    for path in sorted(_MAILS.glob("*.eml")):
        yield path.read_bytes()
    yield b"From: a@b.example\nSubject: =?utf-8?q?x?=\n\nbody\n"
    yield b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n\r\nx\r\n--B--\r\n"


SEEDS = {"envelope": envelope_seeds, "signature": signature_seeds, "mail": mail_seeds}
