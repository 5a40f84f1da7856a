"""Whatever bytes arrive, ``receive`` stores them or refuses them as not a mail; nothing else escapes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extdesk.mail.exceptions import NotAMail
from extdesk.mail.models import InboundMail
from extdesk.mail.services import Receipt, receive
from tests.mail.messages import mail

pytestmark = pytest.mark.django_db

_SETTINGS = settings(max_examples=120, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

_BASE = mail(sender="Ann <ann@example.com>", subject="=?utf-8?q?R=C3=A9sum=C3=A9?=",
             attachments=[("notes.txt", b"some notes", "text/plain")])


def _outcome(data: bytes) -> None:
    try:
        receipt = receive(data, source="pipe")
    except NotAMail as exc:
        text = str(exc)
        assert text and "\n" not in text
        return
    assert isinstance(receipt, Receipt)
    assert InboundMail.objects.filter(pk=receipt.inbound_id).exists()
    # A second delivery of the same bytes is recognised.
    assert receive(data, source="pipe").duplicate


@_SETTINGS
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(data):
    _outcome(data)


@_SETTINGS
@given(st.data())
def test_a_real_mail_with_bytes_changed_cut_or_inserted(data):
    raw = bytearray(_BASE)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            raw[position] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del raw[position:position + data.draw(st.integers(1, 200))]
        else:
            raw[position:position] = data.draw(st.binary(min_size=1, max_size=40))
        if not raw:
            raw = bytearray(b"x")
    _outcome(bytes(raw))


@_SETTINGS
@given(header=st.sampled_from(["From", "Subject", "Message-ID", "In-Reply-To", "References", "Content-Type",
                               "Content-Transfer-Encoding", "Auto-Submitted", "X-Extdesk-Mail"]),
       value=st.text(max_size=300))
def test_any_value_in_any_header_the_service_reads(header, value):
    lines = _BASE.split(b"\n")
    kept = [line for line in lines if not line.lower().startswith(header.lower().encode() + b":")]
    raw = f"{header}: {value}".encode("utf-8", "surrogateescape") + b"\n" + b"\n".join(kept)
    _outcome(raw)
