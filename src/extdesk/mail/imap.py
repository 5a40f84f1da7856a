"""Collecting mail from an IMAP mailbox: each message stored once, marked done only after it is stored.

One round over one mailbox (``fetch``): connect (TLS from the start for
imaps://, STARTTLS for imap://; the certificate is verified against the
system's CAs, or the file in ``SSL_CERT_FILE``), log in, select the folder,
look for the messages not yet done, and for each, oldest first: download
it (``BODY.PEEK[]``, which leaves it unread), hand it to ``store``, and only
when ``store`` has returned mark it done: ``\\Seen`` and STORED_KEYWORD, or
moved to the processed folder. A crash, a kill or a lost connection between
the two leaves the message not done; the next round hands it to ``store``
again, which knows it by its content and stores nothing twice.

"Not done" is what lacks our keywords, not what is unread: a person who
reads the mailbox in a mail program marks messages read before they are
collected, and those must not be passed over. The messages already read when
the helpdesk first looks at a mailbox are history, not mail for it: that
first round marks them PREEXISTING_KEYWORD and leaves them alone. A server
that keeps no keywords of its own leaves only "unread" to go by.

Kept free of Django: ``store`` is what touches the database.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Protocol

import imapclient
from imapclient.exceptions import CapabilityError, IMAPClientError, LoginError

from extdesk.config import Inbox

from .exceptions import CannotStoreNow, NotAMail

log = logging.getLogger("extdesk.mail")

# Set on a message that is not a mail at all (or too large to take), beside
# \Seen, so that a person looking at the mailbox can find what was left aside.
REFUSED_KEYWORD = "$ExtdeskRefused"
# Set beside \Seen on a message once it is stored: done, whatever a person
# later does to its \Seen flag (reads it first, marks it unread again).
STORED_KEYWORD = "$ExtdeskStored"
# Set on the messages that were already read when the helpdesk first
# collected the mailbox (no message there carried STORED_KEYWORD or this):
# mail from before, which a person has dealt with.
PREEXISTING_KEYWORD = "$ExtdeskPreexisting"
# Messages are downloaded several to a command while their sizes add up to
# at most this, and one by one above it: memory stays bounded by the
# largest single message, however many are waiting.
DOWNLOAD_BYTES = 4 * 1024 * 1024
# A store that fails this many times running for reasons it does not name
# (not CannotStoreNow) points at something broken beyond one message: the
# round ends rather than try every message the same way.
MAX_FAILURES_RUNNING = 5


class Stored(Protocol):
    """What ``store`` answers for one message (extdesk.mail.services.Receipt)."""

    @property
    def outcome(self) -> str: ...

    @property
    def duplicate(self) -> bool: ...


class MailboxUnavailable(Exception):
    """The mailbox could not be read (or marked) now; the text names it by its label, never its password.

    ``temporary``: a connection failure that the next round may not meet;
    otherwise (login refused, no such folder, certificate not trusted) the
    setting or the server needs a person. ``report`` holds what the round
    did before it failed.
    """

    def __init__(self, message: str, *, temporary: bool, report: FetchReport) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.report = report


@dataclass
class FetchReport:
    """What one round over one mailbox did."""

    mailbox: str
    waiting: int = 0
    # Stored messages by what became of them (Receipt.outcome: ticket, reply, held, ...).
    outcomes: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    # Not mails, or larger than the limit: marked done with REFUSED_KEYWORD and logged.
    set_aside: int = 0
    # store failed for a reason of its own; left for the next round.
    failed: int = 0
    # Already read when the helpdesk first collected the mailbox: marked PREEXISTING_KEYWORD.
    preexisting: int = 0
    # Why the round ended before the last message (CannotStoreNow's reason).
    stopped: str = ""
    interrupted: bool = False

    @property
    def stored(self) -> int:
        return sum(self.outcomes.values())

    @property
    def left(self) -> int:
        """Messages still waiting for the next round."""
        return self.waiting - self.stored - self.duplicates - self.set_aside

    def __str__(self) -> str:
        parts = [f"{self.waiting} waiting"]
        if self.outcomes:
            kinds = ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items()))
            parts.append(f"{self.stored} stored ({kinds})")
        else:
            parts.append("0 stored")
        if self.duplicates:
            parts.append(f"{self.duplicates} already stored")
        if self.set_aside:
            parts.append(f"{self.set_aside} set aside ({REFUSED_KEYWORD})")
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.preexisting:
            parts.append(f"{self.preexisting} read before the first collection, left alone "
                         f"({PREEXISTING_KEYWORD})")
        if self.stopped:
            parts.append(f"stopped: {self.stopped}")
        if self.interrupted:
            parts.append("interrupted")
        if self.left:
            parts.append(f"{self.left} left for the next round")
        return f"{self.mailbox}: " + ", ".join(parts)


def fetch(
    inbox: Inbox,
    store: Callable[[bytes], Stored],
    *,
    batch: int = 50,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 60,
    max_bytes: int | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> FetchReport:
    """One round over ``inbox``: every message not yet done goes to ``store``, then is marked done.

    ``store`` raising CannotStoreNow ends the round with the message left
    as it was (``report.stopped`` says why); NotAMail, or a message over
    ``max_bytes`` (never downloaded), is set aside: marked done with
    REFUSED_KEYWORD, and logged. ``stopping`` is asked after each message:
    true ends the round there. Raises MailboxUnavailable when the server
    cannot be reached, refuses the login, or the connection breaks.
    """
    report = FetchReport(mailbox=inbox.label)
    context = ssl_context or ssl.create_default_context()
    try:
        with _session(inbox, context, timeout) as session:
            failures_running = 0
            for uid, raw in session.messages(report, batch, max_bytes):
                if raw is not None:
                    stored = _store_one(session, uid, raw, store, report)
                    failures_running = 0 if stored else failures_running + 1
                if failures_running >= MAX_FAILURES_RUNNING:
                    report.stopped = f"{failures_running} messages running could not be stored"
                if report.stopped:
                    break
                if stopping():
                    report.interrupted = True
                    break
    except LoginError as exc:
        raise MailboxUnavailable(_scrub(f"{inbox.label}: login refused: {_text(exc)}", inbox),
                                 temporary=False, report=report) from None
    except ssl.SSLCertVerificationError as exc:
        raise MailboxUnavailable(_scrub(f"{inbox.label}: the server's certificate is not trusted: "
                                        f"{exc.verify_message or exc}", inbox),
                                 temporary=False, report=report) from None
    except _Refused as exc:
        raise MailboxUnavailable(_scrub(f"{inbox.label}: {exc}", inbox), temporary=False,
                                 report=report) from None
    except (OSError, imaplib.IMAP4.abort) as exc:
        # Broken while a message was being read, stored or marked: it is not
        # marked done, and the next round stores nothing twice.
        raise MailboxUnavailable(_scrub(f"{inbox.label}: connection failed: {_text(exc)}", inbox),
                                 temporary=True, report=report) from None
    except IMAPClientError as exc:
        raise MailboxUnavailable(_scrub(f"{inbox.label}: the server refused a command: {_text(exc)}",
                                        inbox), temporary=True, report=report) from None
    return report


def _store_one(session: _Session, uid: int, raw: bytes, store: Callable[[bytes], Stored],
               report: FetchReport) -> bool:
    """Store one message and mark it done; False when it stays for the next round."""
    try:
        receipt = store(raw)
    except CannotStoreNow as exc:
        report.stopped = str(exc) or "cannot store now"
        return False
    except NotAMail as exc:
        log.warning("%s: message UID %s is not a mail (%s); set aside with %s",
                    report.mailbox, uid, exc, REFUSED_KEYWORD)
        session.set_aside(uid)
        report.set_aside += 1
        return True
    except Exception:
        # Not the message's fault as far as anyone knows: it stays for the
        # next round, and the messages after it still get their turn.
        log.exception("%s: storing message UID %s failed; it is left for the next round",
                      report.mailbox, uid)
        report.failed += 1
        return False
    session.done(uid)
    if receipt.duplicate:
        report.duplicates += 1
    else:
        report.outcomes[receipt.outcome] += 1
    return True


class _Refused(Exception):
    """The server refused something a person must change (no STARTTLS, no such folder)."""


class _Session:
    """One logged-in connection with the folder selected."""

    def __init__(self, client: imapclient.IMAPClient, inbox: Inbox, selected: dict) -> None:
        self.client, self.inbox = client, inbox
        permanent = selected.get(b"PERMANENTFLAGS", ())
        # A server that takes no keywords of its own still takes \Seen.
        self._keywords = b"\\*" in permanent
        self._done_flags: list[bytes | str] = [imapclient.SEEN]
        self._refused_flags: list[bytes | str] = [imapclient.SEEN]
        if self._keywords:
            self._done_flags.append(STORED_KEYWORD)
            self._refused_flags.append(REFUSED_KEYWORD)
        self._move = client.has_capability("MOVE")
        self._uid_expunge = client.has_capability("UIDPLUS")

    def messages(self, report: FetchReport, batch: int,
                 max_bytes: int | None) -> Iterator[tuple[int, bytes | None]]:
        """(uid, raw) of every message not yet done, oldest first; raw None for one set aside here."""
        uids = sorted(self.client.search(self._not_done(report)))
        report.waiting = len(uids)
        for start in range(0, len(uids), batch):
            chunk = uids[start:start + batch]
            found = self._fetch(chunk, "RFC822.SIZE")
            sizes = {uid: data[b"RFC822.SIZE"] for uid, data in found.items() if b"RFC822.SIZE" in data}
            # Gone meanwhile (expunged by another client): nothing to do.
            report.waiting -= len(chunk) - len(sizes)
            if max_bytes is not None:
                for uid in [uid for uid in chunk if sizes.get(uid, 0) > max_bytes]:
                    log.warning("%s: message UID %s is %s bytes, over EXTDESK_MAIL_MAX_BYTES (%s); "
                                "set aside with %s, not downloaded", report.mailbox, uid, sizes.pop(uid),
                                max_bytes, REFUSED_KEYWORD)
                    self.set_aside(uid)
                    report.set_aside += 1
                    yield uid, None
            for group in _groups([uid for uid in chunk if uid in sizes], sizes):
                bodies = self._fetch(group, "BODY.PEEK[]")
                for uid in group:
                    body = bodies.pop(uid, {}).get(b"BODY[]")
                    if body is None:
                        report.waiting -= 1
                    else:
                        yield uid, body
                    # Not kept past its turn: memory holds one group at most.
                    del body
                del bodies

    def _not_done(self, report: FetchReport) -> list[str]:
        """The search for the messages not yet done. \\Deleted ones are on their way out either way."""
        if self.inbox.processed_folder:
            # Moving: whatever is still in the folder is not done.
            return ["UNDELETED"]
        if not self._keywords:
            return ["UNSEEN", "UNDELETED"]
        not_done = ["UNDELETED", "UNKEYWORD", STORED_KEYWORD, "UNKEYWORD", REFUSED_KEYWORD,
                    "UNKEYWORD", PREEXISTING_KEYWORD]
        # Read but never collected: history on the first round, mail a person opened first after it.
        # Whether this is the first round is asked only then: the answer lists every stored message.
        read_first = self.client.search([*not_done, "SEEN"])
        if read_first and not self.client.search(["OR", "KEYWORD", STORED_KEYWORD,
                                                  "KEYWORD", PREEXISTING_KEYWORD]):
            self._set_history_aside(read_first)
            report.preexisting = len(read_first)
        return not_done

    def _set_history_aside(self, earlier: list[int]) -> None:
        """The first round over this mailbox: what is read already is mail from before the helpdesk."""
        self.client.add_flags(earlier, [PREEXISTING_KEYWORD], silent=True)
        log.info("%s: first collection: %s message(s) already read are left alone (marked %s)",
                 self.inbox.label, len(earlier), PREEXISTING_KEYWORD)

    def _fetch(self, uids: list[int], item: str) -> dict[int, dict[bytes, Any]]:
        """``item`` of each of ``uids`` that is still there."""
        try:
            return self.client.fetch(uids, [item])
        except IMAPClientError as exc:
            if not _expunged(exc):
                raise
        # Some went meanwhile: the others one by one.
        found: dict[int, dict[bytes, Any]] = {}
        for uid in uids if len(uids) > 1 else ():
            found.update(self._fetch([uid], item))
        return found

    def done(self, uid: int) -> None:
        with _unless_expunged():
            # Read in the processed folder too: a person looking there sees it was dealt with.
            self.client.add_flags([uid], self._done_flags, silent=True)
            if self.inbox.processed_folder:
                self._move_out(uid)

    def set_aside(self, uid: int) -> None:
        with _unless_expunged():
            self.client.add_flags([uid], self._refused_flags, silent=True)
            if self.inbox.processed_folder:
                self._move_out(uid)

    def _move_out(self, uid: int) -> None:
        folder = self.inbox.processed_folder
        if self._move:
            self.client.move([uid], folder)
            return
        self.client.copy([uid], folder)
        self.client.add_flags([uid], [imapclient.DELETED], silent=True)
        if self._uid_expunge:
            self.client.uid_expunge([uid])
        else:
            # Without UIDPLUS an EXPUNGE removes every \Deleted message of
            # the folder, as a mail program's "compact" would.
            self.client.expunge()


def _expunged(exc: IMAPClientError) -> bool:
    """The server answered that (some of) the messages are gone (RFC 5530's EXPUNGEISSUED)."""
    return not isinstance(exc, imaplib.IMAP4.abort) and "EXPUNGEISSUED" in str(exc)


@contextmanager
def _unless_expunged() -> Iterator[None]:
    # Another client (a second fetch-mail, a person) moved or deleted the
    # message after it was stored: whatever was to be done with it is done.
    try:
        yield
    except IMAPClientError as exc:
        if not _expunged(exc):
            raise


def _groups(uids: Sequence[int], sizes: dict[int, int]) -> Iterator[list[int]]:
    """``uids`` in order, in runs whose sizes add up to DOWNLOAD_BYTES at most; a larger one alone."""
    group: list[int] = []
    total = 0
    for uid in uids:
        size = sizes[uid]
        if group and total + size > DOWNLOAD_BYTES:
            yield group
            group, total = [], 0
        if size > DOWNLOAD_BYTES:
            yield [uid]
            continue
        group.append(uid)
        total += size
    if group:
        yield group


@contextmanager
def _session(inbox: Inbox, context: ssl.SSLContext, timeout: float) -> Iterator[_Session]:
    client = imapclient.IMAPClient(inbox.host, port=inbox.port, ssl=inbox.ssl, ssl_context=context,
                                   timeout=timeout)
    # IMAPClient turns imaplib's protocol trace fully on (debug 5) and leaves
    # it to its logger to drop the lines; imaplib formats them anyway, the
    # repr of every message downloaded included: three times the message in
    # memory, and its time. The trace would carry whole mails into a log.
    client._imap.debug = 0
    try:
        if not inbox.ssl:
            # imap:// is STARTTLS or nothing: the password never goes out in clear.
            if not client.has_capability("STARTTLS"):
                raise _Refused("the server offers no STARTTLS (use imaps:// if it speaks TLS on connect)")
            client.starttls(context)
        client.login(inbox.user, inbox.password)
        if inbox.processed_folder and not client.folder_exists(inbox.processed_folder):
            with _refused(f"cannot create folder {inbox.processed_folder!r}"):
                try:
                    client.create_folder(inbox.processed_folder)
                except IMAPClientError:
                    # Another run (or a person) made it since we looked: that is what we wanted.
                    if not client.folder_exists(inbox.processed_folder):
                        raise
        with _refused(f"cannot open folder {inbox.folder!r}"):
            selected = client.select_folder(inbox.folder)
        yield _Session(client, inbox, selected)
    finally:
        _close(client)


@contextmanager
def _refused(doing: str) -> Iterator[None]:
    """A NO or BAD answer here is the setting's fault, not the connection's."""
    try:
        yield
    except IMAPClientError as exc:
        if isinstance(exc, imaplib.IMAP4.abort):
            raise
        raise _Refused(f"{doing}: {_text(exc)}") from None


def _close(client: imapclient.IMAPClient) -> None:
    try:
        client.logout()
    except (OSError, IMAPClientError, CapabilityError):
        with suppress(OSError, IMAPClientError):
            client.shutdown()


def _text(exc: BaseException) -> str:
    text = str(exc).strip()
    if text.startswith(("b'", 'b"')):
        # imaplib's errors carry the server's bytes' repr.
        text = text[2:-1]
    return text.splitlines()[0] if text else type(exc).__name__


def _scrub(text: str, inbox: Inbox) -> str:
    # Nothing known sends the password back, but an error text is not ours
    # to trust: it never reaches a log with the password in it.
    return text.replace(inbox.password, "***") if inbox.password else text
