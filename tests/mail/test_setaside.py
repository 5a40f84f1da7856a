"""setaside.SetAside: the tree parsed with long base64 runs set aside is the
tree the email package builds from the whole message."""

from __future__ import annotations

import base64
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from hypothesis import given, settings
from hypothesis import strategies as st

from extdesk.mail import parts
from extdesk.mail.setaside import SetAside


def _texts(message: Message) -> list[object]:
    """Everything the parser stored, in order: each part's text, preamble and epilogue."""
    found: list[object] = [message.preamble, message.epilogue]
    inner = parts.children(message)
    if inner is None:
        found.append(parts.stored_text(message))
    else:
        for child in inner:
            found.extend(_texts(child))
    return found


def _both_ways(raw: bytes) -> tuple[list[object], list[object], bool]:
    whole = BytesParser(policy=compat32).parsebytes(raw)
    aside = SetAside(raw)
    reduced = BytesParser(policy=compat32).parsebytes(aside.reduced)
    aside.restore(reduced)
    return _texts(whole), _texts(reduced), len(aside.reduced) < len(raw)


def _run(size: int, newline: bytes, width: int = 76) -> bytes:
    encoded = base64.b64encode(bytes(range(256)) * (size // 256 + 1))[:size]
    lines = [encoded[start : start + width] for start in range(0, len(encoded), width)]
    return b"".join(line + newline for line in lines)


RUN = _run(60_000, b"\n")


def test_an_attachment_run_is_restored_exactly():
    raw = (b"From: a@b.example\nContent-Type: multipart/mixed; boundary=B\n\n"
           b"--B\nContent-Type: text/plain\n\nhello\n"
           b"--B\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
           + RUN + b"\n\n--B--\n")
    whole, reduced, shrunk = _both_ways(raw)
    assert shrunk
    assert whole == reduced


def test_short_runs_are_left_to_the_parser():
    raw = b"From: a@b.example\n\n" + _run(20_000, b"\n")
    assert SetAside(raw).reduced is raw


@settings(max_examples=60, deadline=None)
@given(
    newline=st.sampled_from([b"\n", b"\r\n"]),
    blank_lines=st.integers(0, 3),
    width=st.sampled_from([64, 76, 200]),
    size=st.integers(40_000, 90_000),
    place=st.sampled_from(["part", "preamble", "epilogue", "body", "text-after", "text-before", "two-runs"]),
)
def test_restored_tree_equals_the_email_packages_tree(newline, blank_lines, width, size, place):
    run = _run(size, newline, width) + newline * blank_lines
    nl = newline
    head = b"From: a@b.example" + nl + b"Subject: s" + nl
    multipart = head + b"Content-Type: multipart/mixed; boundary=B" + nl + nl
    part = b"--B" + nl + b"Content-Type: application/octet-stream" + nl + nl
    if place == "part":
        raw = multipart + part + run + b"--B--" + nl
    elif place == "preamble":
        raw = multipart + run + part + b"x" + nl + b"--B--" + nl
    elif place == "epilogue":
        raw = multipart + part + b"x" + nl + b"--B--" + nl + run
    elif place == "body":
        raw = head + nl + run
    elif place == "text-after":
        raw = multipart + part + run + b"and some words after" + nl + b"--B--" + nl
    elif place == "text-before":
        raw = multipart + part + b"some words before" + nl + run + b"--B--" + nl
    else:
        raw = multipart + part + run + part + run + b"--B--" + nl
    whole, reduced, shrunk = _both_ways(raw)
    assert shrunk
    assert whole == reduced
