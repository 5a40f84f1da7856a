"""How the helpdesk's own outgoing mail is known again: its Message-IDs and its own header.

Every message the outbox sends carries ``X-Extdesk-Mail: <token> <outgoing
id>``. The token is derived from the installation's SECRET_KEY, so it is
the same on every server of one installation and across restarts, differs
between installations (two helpdesks mailing each other are not each
other's own mail), and does not reveal the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from email.utils import formataddr, parseaddr

from django.conf import settings

OWN_MAIL_HEADER = "X-Extdesk-Mail"
_TOKEN_TEXT = b"extdesk-mail"
_TOKEN_LENGTH = 16
# A domain for Message-IDs when the sender address has none usable; ".invalid" is reserved (RFC 2606).
_FALLBACK_DOMAIN = "extdesk.invalid"


def _token(key: str | bytes) -> str:
    # Django takes a key given as bytes as well.
    raw = key.encode() if isinstance(key, str) else key
    return hmac.new(raw, _TOKEN_TEXT, hashlib.sha256).hexdigest()[:_TOKEN_LENGTH]


def installation_token() -> str:
    """This installation's token: 16 hex digits of an HMAC-SHA256 keyed with SECRET_KEY."""
    return _token(settings.SECRET_KEY)


def own_mail_header(outgoing_id: int) -> str:
    """The value of X-Extdesk-Mail for the outgoing message ``outgoing_id``."""
    return f"{installation_token()} {outgoing_id}"


def is_own_mail(header_value: str) -> bool:
    """Whether an X-Extdesk-Mail value names this installation (its first word is our token)."""
    words = header_value.split()
    if not words:
        return False
    # Mail sent before the key was rotated still comes back (bounces, quotes)
    # under the old key's token: the fallbacks Django keeps for it count too.
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    # Constant time, every key tried: the header comes from whoever sent the mail.
    matches = [hmac.compare_digest(words[0].encode(), _token(key).encode()) for key in keys]
    return any(matches)


def own_mail_id(header_value: str) -> int | None:
    """The outgoing message an X-Extdesk-Mail value of ours names, or None (not ours, or no id)."""
    words = header_value.split()
    if len(words) != 2 or not is_own_mail(header_value) or not words[1].isdecimal():
        return None
    return int(words[1])


def sender() -> str:
    """The From of outgoing mail: the helpdesk's address under the brand's name (EXTDESK_BRAND_NAME).

    An EXTDESK_EMAIL_FROM that names itself ("Support <help@example.com>") is kept as written.
    """
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if name or not address:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((settings.EXTDESK_BRAND_NAME, address))


def closing(body: str) -> str:
    """``body`` with the brand's name as its closing line, below the usual signature separator."""
    return f"{body.rstrip()}\n\n-- \n{settings.EXTDESK_BRAND_NAME}\n"


def helpdesk_address() -> str:
    """The helpdesk's own address, bare (DEFAULT_FROM_EMAIL, set by EXTDESK_EMAIL_FROM, may name it)."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def sender_domain() -> str:
    """The domain of the helpdesk's address."""
    _, at, domain = helpdesk_address().rpartition("@")
    domain = domain.strip().lower() if at else ""
    # Only what a Message-ID's right-hand side may hold as a dot-atom.
    if not domain or not all(c.isascii() and (c.isalnum() or c in "-.") for c in domain):
        return _FALLBACK_DOMAIN
    return domain


def make_mail_id() -> str:
    """A new Message-ID, without the angle brackets: ``extdesk.<32 hex digits>@<our domain>``."""
    return f"extdesk.{secrets.token_hex(16)}@{sender_domain()}"


def threadable(mail_id: str) -> bool:
    """Whether a Message-ID may go, between angle brackets, in In-Reply-To or References.

    One received from elsewhere could hold anything; one that cannot sit
    between angle brackets in a header is left out of a thread's headers.
    """
    return bool(mail_id) and not any(c.isspace() or c in "<>" or not c.isprintable() for c in mail_id)
