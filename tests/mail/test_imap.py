"""Collecting mail from a real Dovecot: over STARTTLS and TLS, marked done only after it is stored."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial

import imapclient
import pytest

from extdesk.helpdesk.models import Ticket
from extdesk.mail.exceptions import CannotStoreNow, NotAMail
from extdesk.mail.imap import (
    DOWNLOAD_BYTES,
    PREEXISTING_KEYWORD,
    REFUSED_KEYWORD,
    STORED_KEYWORD,
    MailboxUnavailable,
    _groups,
    fetch,
)
from extdesk.mail.models import InboundMail
from extdesk.mail.services import receive
from tests.mail.dovecot import (
    PASSWORD,
    Dovecot,
    available,
    child_env,
    dovecot,
    extdesk,
    inbox,
    rows,
    trusting,
)
from tests.mail.messages import mail
from tests.support.server import free_port

__all__ = ["child_env", "dovecot"]

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
def test_each_message_is_stored_once_then_seen_and_the_next_round_finds_nothing(dovecot, tls, caplog):
    dovecot.append(mail(subject=f"message {n}") for n in range(3))
    store = Recorder(dovecot)

    with caplog.at_level(logging.DEBUG):
        report = fetch(inbox(dovecot, tls=tls), store, ssl_context=trusting(dovecot))

    assert _subjects(store.stored) == [f"Subject: message {n}" for n in range(3)]
    # While the n-th was being stored, it and those after it were still unread.
    assert store.unseen_while_storing == [3, 2, 1]
    assert all(SEEN in flags for flags in dovecot.flags())
    assert (report.waiting, report.stored, report.left) == (3, 3, 0)
    assert str(report) == f"{inbox(dovecot, tls=tls).label}: 3 waiting, 3 stored (3 ticket)"
    # Not even the IMAP library's own debug lines carry it (nor the mails).
    assert PASSWORD not in caplog.text and "message 1" not in caplog.text
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


def _as_a_person(server: Dovecot, uids: list[int], *, read: bool) -> None:
    """Mark messages read (or unread again) from a mail program of the mailbox's owner."""
    person = server.client()
    try:
        person.select_folder("INBOX")
        (person.add_flags if read else person.remove_flags)(uids, [SEEN])
    finally:
        person.logout()


def test_a_message_a_person_read_in_a_mail_program_before_it_was_collected_is_still_stored(dovecot):
    dovecot.append([mail(subject="first")])
    store = Recorder(dovecot)
    fetch(inbox(dovecot), store, ssl_context=trusting(dovecot))
    dovecot.append(mail(subject=f"message {n}") for n in range(3))
    # UIDs 2 to 4: the person opens two of the new ones before the next round.
    _as_a_person(dovecot, [2, 4], read=True)

    report = fetch(inbox(dovecot), store, ssl_context=trusting(dovecot))

    assert _subjects(store.stored) == ["Subject: first", *(f"Subject: message {n}" for n in range(3))]
    assert (report.waiting, report.stored, report.preexisting) == (3, 3, 0)
    assert all(SEEN in flags and STORED_KEYWORD.encode() in flags for flags in dovecot.flags())


def test_a_stored_message_a_person_marks_unread_again_is_left_unread_and_not_collected_again(dovecot):
    dovecot.append(mail(subject=f"message {n}") for n in range(2))
    store = Recorder(dovecot)
    fetch(inbox(dovecot), store, ssl_context=trusting(dovecot))
    _as_a_person(dovecot, [1], read=False)

    again = fetch(inbox(dovecot), store, ssl_context=trusting(dovecot))

    assert (again.waiting, store.calls) == (0, 2)
    assert [SEEN in flags for flags in dovecot.flags()] == [False, True]


def test_the_first_collection_leaves_mail_read_before_it_alone_and_says_so(dovecot, caplog):
    dovecot.append([mail(subject="old, read"), mail(subject="new"), mail(subject="old, read too"),
                    b"Not a mail at all"])
    _as_a_person(dovecot, [1, 3], read=True)
    # Set aside by an earlier round: not history, and not tried again.
    person = dovecot.client()
    person.select_folder("INBOX")
    person.add_flags([4], [SEEN, REFUSED_KEYWORD])
    person.logout()
    store = Recorder(dovecot)

    with caplog.at_level(logging.INFO, logger="extdesk.mail"):
        report = fetch(inbox(dovecot), store, ssl_context=trusting(dovecot))

    assert _subjects(store.stored) == ["Subject: new"]
    assert (report.waiting, report.stored, report.preexisting) == (1, 1, 2)
    assert f"2 read before the first collection, left alone ({PREEXISTING_KEYWORD})" in str(report)
    assert "2 message(s) already read are left alone" in caplog.text
    marked = [PREEXISTING_KEYWORD.encode() in flags for flags in dovecot.flags()]
    assert marked == [True, False, True, False]
    # Only the first round sets history aside: mail read from now on is collected.
    dovecot.append([mail(subject="later, read")])
    _as_a_person(dovecot, [5], read=True)
    later = fetch(inbox(dovecot), store, ssl_context=trusting(dovecot))
    assert (later.waiting, later.preexisting) == (1, 0)
    assert _subjects(store.stored) == ["Subject: new", "Subject: later, read"]


@pytest.mark.parametrize("processed", ["", "Done"], ids=["flagging", "moving"])
def test_messages_another_client_takes_away_during_the_round_are_passed_over(dovecot, processed):
    dovecot.append(mail(subject=f"message {n}") for n in range(4))
    other = dovecot.client()
    other.create_folder("Elsewhere")
    other.select_folder("INBOX")

    class TakingAway(Recorder):
        def __call__(self, raw: bytes) -> Kept:
            kept = super().__call__(raw)
            if len(self.stored) == 1:
                # The one being stored and one not yet downloaded.
                other.move([1, 3], "Elsewhere")
            return kept

    store = TakingAway(dovecot)
    report = fetch(inbox(dovecot, processed=processed), store, batch=1, ssl_context=trusting(dovecot))
    other.logout()

    assert _subjects(store.stored) == ["Subject: message 0", "Subject: message 1", "Subject: message 3"]
    assert (report.waiting, report.stored, report.left) == (3, 3, 0)


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


@pytest.mark.parametrize("uidplus", [True, False], ids=["uidplus", "plain-expunge"])
def test_without_move_a_server_gets_copy_deleted_and_expunge(tmp_path, certificate, uidplus):
    if not available():
        pytest.skip("needs Dovecot (/usr/sbin/dovecot, Debian's dovecot-imapd; scripts/test installs it)")
    # An older server: no MOVE (RFC 6851), and perhaps no UIDPLUS (RFC 4315) either.
    older = Dovecot(tmp_path / "older", *certificate,
                    capabilities="IMAP4rev1 LITERAL+ IDLE NAMESPACE" + (" UIDPLUS" if uidplus else ""))
    older.start()
    try:
        older.append(mail(subject=f"message {n}") for n in range(3))
        # A person deleted one, and has not expunged yet.
        older.append([mail(subject="deleted by a person")])
        person = older.client()
        person.select_folder("INBOX")
        person.add_flags([4], [imapclient.DELETED])
        person.logout()
        store = Recorder(older)

        report = fetch(inbox(older, processed="Done"), store, ssl_context=trusting(older))

        assert report.stored == 3
        assert older.count("Done") == 3
        assert all(SEEN in flags and imapclient.DELETED not in flags for flags in older.flags("Done"))
        # UID EXPUNGE removes only the messages moved; a plain EXPUNGE every \Deleted one.
        assert older.count("INBOX") == (1 if uidplus else 0)
    finally:
        older.stop()


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


def test_a_missing_folder_or_one_the_server_will_not_create_is_named(dovecot):
    with pytest.raises(MailboxUnavailable) as raised:
        fetch(inbox(dovecot, folder="Nowhere"), Recorder(dovecot), ssl_context=trusting(dovecot))
    assert "cannot open folder 'Nowhere'" in str(raised.value)
    assert not raised.value.temporary
    # Dovecot's maildir separates levels with ".", and refuses "/" in a name.
    with pytest.raises(MailboxUnavailable) as raised:
        fetch(inbox(dovecot, processed="Done/2026"), Recorder(dovecot), ssl_context=trusting(dovecot))
    assert "cannot create folder 'Done/2026': " in str(raised.value)
    assert not raised.value.temporary


def test_stopping_ends_the_round_after_the_message_in_hand(dovecot):
    dovecot.append(mail(subject=f"message {n}") for n in range(3))
    store = Recorder(dovecot)

    report = fetch(inbox(dovecot), store, ssl_context=trusting(dovecot),
                   stopping=lambda: len(store.stored) >= 1)

    assert report.interrupted and report.stored == 1 and report.left == 2
    assert [SEEN in flags for flags in dovecot.flags()] == [True, False, False]



@pytest.mark.django_db
@pytest.mark.parametrize("tls", [True, False], ids=["imaps", "imap-starttls"])
def test_with_the_real_receive_each_mail_is_one_ticket_even_when_delivered_twice(dovecot, tls):
    first = mail(sender="Ann <ann@example.com>", subject="Printer on fire", message_id="fire@client.example")
    # The MTA delivered it twice: the second copy has a trace header of its own.
    dovecot.append([first, b"Received: from mx2.example.com by mail.example.com; Tue, 1 Dec 2026\r\n" + first,
                    b"\x00\x01\x02 binary"])
    target = inbox(dovecot, tls=tls)

    report = fetch(target, partial(receive, source=target.label), ssl_context=trusting(dovecot))

    assert (report.stored, report.duplicates, report.set_aside) == (1, 1, 1)
    assert report.outcomes == {"ticket": 1}
    (ticket,) = Ticket.objects.all()
    assert ticket.subject == "Printer on fire"
    assert InboundMail.objects.get().source == target.label
    assert all(SEEN in flags for flags in dovecot.flags())
    assert fetch(target, partial(receive, source=target.label), ssl_context=trusting(dovecot)).waiting == 0


# The command, as cron or a service manager runs it: a real process on its own database.


def _people(count: int, start: int = 0, **fields: str) -> list[bytes]:
    # One sender each: a single sender opening this many tickets in an hour would be held.
    return [mail(sender=f"Person {n} <person{n}@example.com>", subject=f"message {n}", **fields)
            for n in range(start, start + count)]


def _ticket_subjects(env: dict[str, str]) -> list[str]:
    return sorted(subject for (subject,) in rows(env, "SELECT subject FROM helpdesk_ticket"))


@pytest.mark.slow
def test_one_pass_stores_every_message_as_a_ticket_marks_it_read_and_exits_0(dovecot, child_env):
    dovecot.append(_people(3))

    first = extdesk(child_env, "fetch-mail")

    assert first.returncode == 0, first.stderr
    label = inbox(dovecot).label
    assert f"extdesk: fetched {label}: 3 waiting, 3 stored (3 ticket)" in first.stdout
    assert _ticket_subjects(child_env) == ["message 0", "message 1", "message 2"]
    assert rows(child_env, "SELECT DISTINCT source FROM mail_inboundmail") == [(label,)]
    assert all(SEEN in flags for flags in dovecot.flags())
    again = extdesk(child_env, "fetch-mail")
    assert again.returncode == 0, again.stderr
    assert f"extdesk: fetched {label}: 0 waiting, 0 stored" in again.stdout
    assert PASSWORD not in first.stdout + first.stderr + again.stdout + again.stderr


@pytest.mark.slow
def test_several_mailboxes_over_starttls_and_tls_and_a_real_not_a_mail(dovecot, child_env):
    client = dovecot.client()
    client.create_folder("Sales")
    client.logout()
    dovecot.append(_people(2))
    dovecot.append([*_people(1, start=2), b"\x00\x01\x02\x03 not a mail at all\r\n"], folder="Sales")
    child_env["EXTDESK_INBOX_URL"] = (f"{dovecot.url(tls=False)},"
                                      f"{dovecot.url(folder='Sales', processed='SalesDone')}")

    done = extdesk(child_env, "fetch-mail")

    assert done.returncode == 0, done.stderr
    assert f"{inbox(dovecot, tls=False).label}: 2 waiting, 2 stored (2 ticket)" in done.stdout
    assert "/Sales: 2 waiting, 1 stored (1 ticket), 1 set aside ($ExtdeskRefused)" in done.stdout
    assert "is not a mail" in done.stderr
    assert _ticket_subjects(child_env) == ["message 0", "message 1", "message 2"]
    assert dovecot.count("Sales") == 0
    assert dovecot.count("SalesDone") == 2
    assert sum(REFUSED_KEYWORD.encode() in flags for flags in dovecot.flags("SalesDone")) == 1


@pytest.mark.slow
def test_a_wrong_password_exits_1_with_one_line_naming_the_mailbox_not_the_password(dovecot, child_env):
    dovecot.append(_people(1))
    wrong = "Not-the-Passw0rd"
    child_env["EXTDESK_INBOX_URL"] = dovecot.url(password=wrong)

    done = extdesk(child_env, "fetch-mail")

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"extdesk: {inbox(dovecot).label}: login refused: [AUTHENTICATIONFAILED] Authentication failed."]
    assert wrong not in done.stdout + done.stderr
    assert _ticket_subjects(child_env) == []


@pytest.mark.slow
def test_a_mailbox_that_cannot_be_reached_exits_75_and_no_mailbox_configured_exits_2(dovecot, child_env):
    dovecot.stop()

    down = extdesk(child_env, "fetch-mail")

    assert down.returncode == 75
    assert down.stderr.startswith(f"extdesk: {inbox(dovecot).label}: connection failed: ")
    assert PASSWORD not in down.stdout + down.stderr

    del child_env["EXTDESK_INBOX_URL"]
    unset = extdesk(child_env, "fetch-mail")
    assert unset.returncode == 2
    assert "EXTDESK_INBOX_URL" in unset.stderr and "Traceback" not in unset.stderr


def _wait(condition, timeout: float = 60, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


@pytest.mark.slow
def test_loop_collects_mail_as_it_comes_and_sigterm_ends_it_with_0(dovecot, child_env, tmp_path):
    log = tmp_path / "fetch-mail.log"
    with open(log, "wb") as out:
        looping = subprocess.Popen([sys.executable, "-m", "extdesk.cli", "fetch-mail", "--loop", "1"],
                                   env=child_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        dovecot.append(_people(2))
        _wait(lambda: len(_ticket_subjects(child_env)) == 2)
        dovecot.append(_people(1, start=2))
        _wait(lambda: len(_ticket_subjects(child_env)) == 3)
        assert looping.poll() is None
        looping.send_signal(signal.SIGTERM)
        assert looping.wait(timeout=15) == 0, log.read_text()
    finally:
        if looping.poll() is None:
            looping.kill()
            looping.wait()
    assert _ticket_subjects(child_env) == ["message 0", "message 1", "message 2"]
    assert dovecot.count(criteria="UNSEEN") == 0
    assert "Traceback" not in log.read_text()


@pytest.mark.slow
def test_a_database_that_cannot_be_reached_exits_75_and_leaves_the_mail_unread(dovecot, child_env):
    dovecot.append(_people(1))
    nowhere = free_port()
    child_env["EXTDESK_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{nowhere}/extdesk"

    done = extdesk(child_env, "fetch-mail")

    assert done.returncode == 75
    assert done.stderr.startswith("extdesk: cannot connect to the database: ")
    assert dovecot.count(criteria="UNSEEN") == 1
