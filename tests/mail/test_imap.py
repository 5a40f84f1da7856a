"""Collecting mail from a real Dovecot: over STARTTLS and TLS, marked done only after it is stored."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import imapclient
import pytest

from extdesk.mail.exceptions import CannotStoreNow, NotAMail
from extdesk.mail.imap import DOWNLOAD_BYTES, REFUSED_KEYWORD, MailboxUnavailable, _groups, fetch
from tests.mail.dovecot import PASSWORD, Dovecot, dovecot, inbox, trusting
from tests.mail.messages import mail

__all__ = ["dovecot"]

SEEN = imapclient.SEEN


@dataclass(frozen=True)
class Kept:
    outcome: str = "ticket"
    duplicate: bool = False


class Recorder:
    """A store that keeps what it is given, and looks at the mailbox while it stores."""

    def __init__(self, server: Dovecot, fail_on: int | None = None,
                 error: Exception | None = None) -> None:
        self.server, self.fail_on, self.error = server, fail_on, error
        self.calls = 0
        self.stored: list[bytes] = []
        self.unseen_while_storing: list[int] = []

    def __call__(self, raw: bytes) -> Kept:
        self.calls += 1
        if self.calls == self.fail_on:
            raise self.error or CannotStoreNow("the database is unavailable: connection refused")
        self.unseen_while_storing.append(self.server.count(criteria="UNSEEN"))
        duplicate = raw in self.stored
        self.stored.append(raw)
        return Kept(duplicate=duplicate)


def _subjects(raws: list[bytes]) -> list[str]:
    return [next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject:")).decode()
            for raw in raws]


@pytest.mark.parametrize("tls", [True, False], ids=["imaps", "imap-starttls"])
def test_each_message_is_stored_once_then_seen_and_the_next_round_finds_nothing(dovecot, tls):
    dovecot.append(mail(subject=f"message {n}") for n in range(3))
    store = Recorder(dovecot)

    report = fetch(inbox(dovecot, tls=tls), store, ssl_context=trusting(dovecot))

    assert _subjects(store.stored) == [f"Subject: message {n}" for n in range(3)]
    # While the n-th was being stored, it and those after it were still unread.
    assert store.unseen_while_storing == [3, 2, 1]
    assert all(SEEN in flags for flags in dovecot.flags())
    assert (report.waiting, report.stored, report.left) == (3, 3, 0)
    assert str(report) == f"{inbox(dovecot, tls=tls).label}: 3 waiting, 3 stored (3 ticket)"
    again = fetch(inbox(dovecot, tls=tls), store, ssl_context=trusting(dovecot))
    assert (again.waiting, again.stored) == (0, 0)
    assert len(store.stored) == 3


def test_batches_and_download_groups_cover_every_message_in_order(dovecot):
    big = mail(subject="big", attachments=[("big.bin", os.urandom(DOWNLOAD_BYTES + 1000),
                                            "application/octet-stream")])
    dovecot.append([*(mail(subject=f"small {n}") for n in range(7)), big, mail(subject="last")])
    store = Recorder(dovecot)

    report = fetch(inbox(dovecot), store, batch=3, ssl_context=trusting(dovecot))

    assert _subjects(store.stored) == [*(f"Subject: small {n}" for n in range(7)), "Subject: big",
                                       "Subject: last"]
    assert report.stored == 9


def test_download_groups_stay_under_the_budget_and_a_large_message_goes_alone():
    sizes = {1: 1000, 2: DOWNLOAD_BYTES - 1500, 3: 1000, 4: DOWNLOAD_BYTES * 3, 5: 10, 6: 20}
    assert list(_groups([1, 2, 3, 4, 5, 6], sizes)) == [[1, 2], [3], [4], [5, 6]]


def test_cannot_store_now_ends_the_round_and_leaves_that_message_and_the_rest_unread(dovecot):
    dovecot.append(mail(subject=f"message {n}") for n in range(4))
    failing = Recorder(dovecot, fail_on=2)

    report = fetch(inbox(dovecot), failing, ssl_context=trusting(dovecot))

    assert _subjects(failing.stored) == ["Subject: message 0"]
    assert [SEEN in flags for flags in dovecot.flags()] == [True, False, False, False]
    assert report.stopped == "the database is unavailable: connection refused"
    assert report.left == 3
    assert "stopped: the database is unavailable" in str(report)
    assert "3 left for the next round" in str(report)

    working = Recorder(dovecot)
    later = fetch(inbox(dovecot), working, ssl_context=trusting(dovecot))
    assert _subjects(working.stored) == [f"Subject: message {n}" for n in (1, 2, 3)]
    assert (later.stored, later.left) == (3, 0)


def test_a_store_failing_on_its_own_leaves_that_message_for_the_next_round_and_goes_on(dovecot, caplog):
    dovecot.append(mail(subject=f"message {n}") for n in range(3))
    store = Recorder(dovecot, fail_on=2, error=RuntimeError("something unforeseen"))

    with caplog.at_level(logging.ERROR, logger="extdesk.mail"):
        report = fetch(inbox(dovecot), store, ssl_context=trusting(dovecot))

    assert [SEEN in flags for flags in dovecot.flags()] == [True, False, True]
    assert (report.stored, report.failed, report.left) == (2, 1, 1)
    assert "storing message UID 2 failed" in caplog.text
    assert "something unforeseen" in caplog.text


def test_a_duplicate_is_marked_done_and_counted_as_such(dovecot):
    same = mail(subject="twice", message_id="twice@client.example.com")
    dovecot.append([same, same])
    store = Recorder(dovecot)

    report = fetch(inbox(dovecot), store, ssl_context=trusting(dovecot))

    assert (report.stored, report.duplicates) == (1, 1)
    assert all(SEEN in flags for flags in dovecot.flags())
    assert "1 already stored" in str(report)


def test_processed_folder_is_created_and_every_done_message_moved_there_read(dovecot):
    dovecot.append(mail(subject=f"message {n}") for n in range(3))
    target = inbox(dovecot, processed="Done")
    store = Recorder(dovecot)

    report = fetch(target, store, ssl_context=trusting(dovecot))

    assert report.stored == 3
    assert dovecot.count("INBOX") == 0
    assert dovecot.count("Done") == 3
    assert all(SEEN in flags for flags in dovecot.flags("Done"))
    # Moving, a message read by a person before the round is still taken.
    dovecot.append([mail(subject="read already")])
    client = dovecot.client()
    client.select_folder("INBOX")
    client.add_flags(client.search("ALL"), [SEEN])
    client.logout()
    assert fetch(target, store, ssl_context=trusting(dovecot)).stored == 1
    assert dovecot.count("Done") == 4


def test_not_a_mail_is_set_aside_with_a_keyword_and_one_log_line_and_never_retried(dovecot, caplog):
    dovecot.append([b"\x00\x01\x02 binary\r\n", mail(subject="real")])
    store = Recorder(dovecot, fail_on=1, error=NotAMail("no header lines"))

    with caplog.at_level(logging.WARNING, logger="extdesk.mail"):
        report = fetch(inbox(dovecot), store, ssl_context=trusting(dovecot))

    assert report.set_aside == 1 and report.stored == 1
    flags = dovecot.flags()
    assert SEEN in flags[0] and REFUSED_KEYWORD.encode() in flags[0]
    assert REFUSED_KEYWORD.encode() not in flags[1]
    lines = [r for r in caplog.records if r.name == "extdesk.mail"]
    assert len(lines) == 1
    assert "UID 1 is not a mail (no header lines)" in lines[0].getMessage()
    assert fetch(inbox(dovecot), store, ssl_context=trusting(dovecot)).waiting == 0


def test_not_a_mail_is_moved_to_the_processed_folder_with_the_keyword(dovecot):
    dovecot.append([b"\x00\x01\x02 binary\r\n"])
    store = Recorder(dovecot, fail_on=1, error=NotAMail("no header lines"))

    report = fetch(inbox(dovecot, processed="Done"), store, ssl_context=trusting(dovecot))

    assert report.set_aside == 1
    assert dovecot.count("INBOX") == 0
    assert REFUSED_KEYWORD.encode() in dovecot.flags("Done")[0]


def test_a_message_over_the_limit_is_set_aside_without_being_downloaded(dovecot, caplog):
    dovecot.append([mail(subject="huge", body="x" * 200_000), mail(subject="small")])
    store = Recorder(dovecot)

    with caplog.at_level(logging.WARNING, logger="extdesk.mail"):
        report = fetch(inbox(dovecot), store, max_bytes=100_000, ssl_context=trusting(dovecot))

    assert _subjects(store.stored) == ["Subject: small"]
    assert report.set_aside == 1
    assert REFUSED_KEYWORD.encode() in dovecot.flags()[0]
    assert "over EXTDESK_MAIL_MAX_BYTES (100000)" in caplog.text


def test_a_wrong_password_is_a_clear_error_that_never_shows_the_password(dovecot, caplog):
    dovecot.append([mail()])
    wrong = "Wr0ng-pass-word"
    target = inbox(dovecot, password=wrong)

    with caplog.at_level(logging.DEBUG), pytest.raises(MailboxUnavailable) as raised:
        fetch(target, Recorder(dovecot), ssl_context=trusting(dovecot))

    assert str(raised.value).startswith(f"{target.label}: login refused: ")
    assert "Authentication failed" in str(raised.value)
    assert not raised.value.temporary
    assert wrong not in str(raised.value) and wrong not in caplog.text
    assert wrong not in repr(target)
    # Not even looked at (and not logged in again: Dovecot would hold the next login back).
    assert len(list((dovecot.maildir / "new").iterdir())) == 1


def test_an_untrusted_certificate_is_refused_before_the_password_is_sent(dovecot):
    # The system's CAs only: the test certificate is self-signed.
    for tls in (True, False):
        with pytest.raises(MailboxUnavailable) as raised:
            fetch(inbox(dovecot, tls=tls), Recorder(dovecot))
        assert "certificate is not trusted" in str(raised.value)
        assert not raised.value.temporary
    assert "user=<tester>" not in dovecot.log()


def test_a_server_that_is_not_there_is_a_temporary_error_naming_the_mailbox(dovecot):
    target = inbox(dovecot)
    dovecot.stop()

    with pytest.raises(MailboxUnavailable) as raised:
        fetch(target, Recorder(dovecot), ssl_context=trusting(dovecot), timeout=5)

    assert raised.value.temporary
    assert str(raised.value).startswith(f"{target.label}: connection failed: ")
    assert PASSWORD not in str(raised.value)


def test_a_missing_folder_is_named(dovecot):
    with pytest.raises(MailboxUnavailable) as raised:
        fetch(inbox(dovecot, folder="Nowhere"), Recorder(dovecot), ssl_context=trusting(dovecot))
    assert "cannot open folder 'Nowhere'" in str(raised.value)
    assert not raised.value.temporary


def test_stopping_ends_the_round_after_the_message_in_hand(dovecot):
    dovecot.append(mail(subject=f"message {n}") for n in range(3))
    store = Recorder(dovecot)

    report = fetch(inbox(dovecot), store, ssl_context=trusting(dovecot),
                   stopping=lambda: len(store.stored) >= 1)

    assert report.interrupted and report.stored == 1 and report.left == 2
    assert [SEEN in flags for flags in dovecot.flags()] == [True, False, False]
