"""Every message of the corpus, mail Extdesk did not write, through the whole service:
stored (as a ticket, a reply, a held mail, a report) or refused with a reason; none crashes."""

from __future__ import annotations

from pathlib import Path

import pytest

from extdesk.helpdesk.models import Ticket
from extdesk.mail.exceptions import NotAMail
from extdesk.mail.models import InboundMail, Outcome
from extdesk.mail.services import receive

pytestmark = pytest.mark.django_db

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.eml"))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_each_corpus_mail_is_stored_or_refused_with_a_reason(path):
    raw = path.read_bytes()
    try:
        receipt = receive(raw, source="pipe")
    except NotAMail as exc:
        assert str(exc).strip()
        assert not InboundMail.objects.exists()
        return
    record = InboundMail.objects.get(pk=receipt.inbound_id)
    assert record.size == len(raw)
    if receipt.outcome in (Outcome.TICKET, Outcome.REPLY):
        ticket = Ticket.objects.get(pk=receipt.ticket_id)
        message = record.message
        assert message is not None and message.ticket == ticket and message.body.strip()
        assert ticket.subject.strip()
        # Every stored attachment reads back in full.
        for attachment in message.attachments.all():
            with attachment.file.open("rb") as handle:
                assert len(handle.read()) == attachment.size
        with record.raw.open("rb") as handle:
            assert handle.read() == raw
    else:
        assert receipt.outcome in (Outcome.HELD, Outcome.BOUNCE, Outcome.OWN, Outcome.DROPPED)
        assert receipt.outcome == Outcome.OWN or record.reason
    assert receive(raw, source="imaps://support@mail.example.com:993/INBOX").duplicate


def test_the_corpus_holds_what_the_channel_must_cope_with():
    names = {path.stem for path in CORPUS}
    for needed in ("outlook-tnef", "gmail-inline-image", "apple-mail", "thunderbird", "html-only",
                   "iso-2022-jp", "shift-jis", "koi8-r", "broken-no-end-boundary", "dsn-extdesk"):
        assert needed in names
    assert sum(name.startswith("cpython-") for name in names) >= 40


def test_the_kinds_of_corpus_mail_end_where_they_belong():
    outcomes = {path.stem: receive(path.read_bytes(), source="pipe").outcome
                for path in CORPUS if path.stem in ("spam", "dsn-extdesk", "exchange-ndr", "classic-bounce",
                                                    "outlook-tnef", "html-only", "vacation")}
    assert outcomes["spam"] == Outcome.HELD
    assert outcomes["dsn-extdesk"] == outcomes["exchange-ndr"] == outcomes["classic-bounce"] == Outcome.BOUNCE
    assert outcomes["outlook-tnef"] == outcomes["html-only"] == Outcome.TICKET
    # An out-of-office answer to nothing of ours opens a ticket, acknowledged by nobody.
    assert outcomes["vacation"] == Outcome.TICKET
    vacation = InboundMail.objects.get(subject__startswith="Abwesenheitsnotiz")
    assert vacation.reason == "no acknowledgement: Auto-Submitted: auto-replied"
