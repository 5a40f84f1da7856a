"""The periodic duties: each reuses the function its one-shot command (or the app) runs.

A duty's function takes ``stopping`` (True once the worker was asked to stop: a long duty may
end early, leaving the rest for the next run) and returns what it did in one line, or None when
there was nothing to do. An exception is the duty failing this time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from extdesk.config import Config, Inbox

Stopping = Callable[[], bool]

# Stored files younger than this may belong to an upload still being committed.
ORPHAN_MIN_AGE = timedelta(hours=1)


class DutyFailed(Exception):
    """A duty ran but did not do all of its work; the message says what (details logged above it)."""


@dataclass(frozen=True)
class Duty:
    name: str
    run: Callable[[Stopping], str | None]


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def send_mail(stopping: Stopping) -> str | None:
    """The queued mail that is due (extdesk send-queued-mail); each message is claimed as it is sent."""
    from extdesk.outbox.services import send_due

    report = send_due()
    return f"queued mail: {report}" if report.sent or report.retrying or report.given_up else None


# fetch-mail's pass over the mailboxes: (inboxes, largest mail, stopping, seconds to the next pass) ->
# its exit status. The command line hands it in (extdesk.cli.fetch_mail), which it lies above.
FetchPass = Callable[[tuple[Inbox, ...], int, Stopping, int | None], int]


def fetch_mail(config: Config, every: int, one_pass: FetchPass) -> Callable[[Stopping], str | None]:
    """A pass over the IMAP mailboxes of EXTDESK_INBOX_URL (extdesk fetch-mail), which logs what it did."""

    def run(stopping: Stopping) -> str | None:
        status = one_pass(config.mail_in.inboxes, config.mail_in.max_bytes, stopping, every)
        if status:
            raise DutyFailed("not every mailbox was read or every message stored "
                             f"(fetch-mail status {status})")
        return None

    return run


def escalate(stopping: Stopping) -> str | None:
    """Notify the escalation steps fallen due; each ticket is claimed in its own transaction."""
    # Imported when run: the SLA duties are their own module, read at each run.
    from extdesk.sla import duties

    sent = duties.escalate()
    return f"{_plural(sent, 'escalation')} notified" if sent else None


def auto_close(stopping: Stopping) -> str | None:
    """Close the tickets resolved longer than EXTDESK_AUTO_CLOSE_DAYS ago without a customer reply."""
    from extdesk.sla import duties

    closed = duties.auto_close()
    return f"{_plural(closed, 'resolved ticket')} closed" if closed else None


def prune_audit(stopping: Stopping) -> str | None:
    from extdesk.audit.services import prune

    deleted = prune()
    return f"{_plural(deleted, 'audit entry', 'audit entries')} deleted" if deleted else None


def prune_login_tokens(stopping: Stopping) -> str | None:
    from django.utils import timezone

    from extdesk.sso.services import prune_tokens

    deleted = prune_tokens(timezone.now())
    return f"{_plural(deleted, 'expired login link')} deleted" if deleted else None


def prune_nonces(stopping: Stopping) -> str | None:
    from extdesk.endpoint.services import prune_nonces as prune

    deleted = prune()
    return f"{_plural(deleted, 'used nonce')} deleted" if deleted else None


def prune_sessions(stopping: Stopping) -> str | None:
    """Expired sessions (Django's clearsessions), through the configured session engine."""
    from django.conf import settings

    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return None


def prune_presence(stopping: Stopping) -> str | None:
    from extdesk.desk.presence import prune_stale

    deleted = prune_stale()
    return f"{_plural(deleted, 'stale presence', 'stale presences')} deleted" if deleted else None


def sweep_attachments(stopping: Stopping) -> str | None:
    """Stored files no attachment names (left by a crash between the file and its row)."""
    from extdesk.helpdesk.services import sweep_orphans

    deleted = sweep_orphans(ORPHAN_MIN_AGE)
    return f"{_plural(len(deleted), 'orphaned attachment file')} deleted" if deleted else None


def all_duties(config: Config, intervals: dict[str, int], *, fetch_pass: FetchPass) -> list[Duty]:
    """Every duty this installation has, in the order a pass runs them; fetch-mail only with mailboxes."""
    fetching = fetch_mail(config, intervals["fetch-mail"], fetch_pass) if config.mail_in.inboxes else None
    duties = [
        Duty("send-mail", send_mail),
        Duty("fetch-mail", fetching) if fetching else None,
        Duty("escalate", escalate),
        Duty("auto-close", auto_close),
        Duty("prune-audit", prune_audit),
        Duty("prune-login-tokens", prune_login_tokens),
        Duty("prune-nonces", prune_nonces),
        Duty("prune-sessions", prune_sessions),
        Duty("prune-presence", prune_presence),
        Duty("sweep-attachments", sweep_attachments),
    ]
    return [duty for duty in duties if duty is not None]
