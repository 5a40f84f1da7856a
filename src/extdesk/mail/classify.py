"""What kind of mail this is, from its headers: automatic, or spam.

An acknowledgement sent in answer to an automatic mail (a vacation reply,
a bounce, a list post) starts mail loops and mails whole lists, so
RFC 3834's rules are applied, with the de-facto headers Exchange, list
servers and old vacation programs write instead of Auto-Submitted.
"""

from __future__ import annotations

from collections.abc import Iterable

# Local parts of addresses that never read their mail (RFC 3834 5.2 names the first two).
_ROBOT_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply",
                                "do-not-reply"})
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})
# X-Auto-Response-Suppress values with which Exchange asks for no automatic answer.
_SUPPRESSED = frozenset({"dr", "autoreply", "all", "oof"})
_SHOWN = 60


def _first(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value.strip()
    return None


def _phrase(name: str, value: str) -> str:
    value = " ".join(value.split())
    if len(value) > _SHOWN:
        value = value[:_SHOWN] + "..."
    return f"{name}: {value}" if value else f"{name} header"


def automatic_reason(headers: Iterable[tuple[str, str]], sender_address: str) -> str:
    """Why no automatic answer may go to this mail, as a short phrase naming
    the header ("Auto-Submitted: auto-replied"); '' when one may.

    ``headers`` are the message's top-level (name, value) pairs in order;
    ``sender_address`` is the address an answer would go to."""
    headers = list(headers)
    auto_submitted = _first(headers, "Auto-Submitted")
    if auto_submitted and auto_submitted.partition(";")[0].strip().lower() != "no":
        return _phrase("Auto-Submitted", auto_submitted)
    precedence = _first(headers, "Precedence")
    if precedence and precedence.partition(";")[0].strip().lower() in _BULK_PRECEDENCE:
        return _phrase("Precedence", precedence)
    for name in ("List-Id", "List-Unsubscribe"):
        if _first(headers, name) is not None:
            return f"{name} header"
    for name in ("X-Autoreply", "X-Autorespond"):
        value = _first(headers, name)
        if value is not None:
            return _phrase(name, value)
    suppress = _first(headers, "X-Auto-Response-Suppress")
    if suppress:
        asked = {token.strip().lower() for token in suppress.replace(";", ",").split(",")}
        if asked & _SUPPRESSED:
            return _phrase("X-Auto-Response-Suppress", suppress)
    loop = _first(headers, "X-Loop")
    if loop is not None:
        return _phrase("X-Loop", loop)
    local_part = sender_address.rpartition("@")[0] if "@" in sender_address else sender_address
    # A subaddress does not make a robot a person: noreply+news@ is still noreply.
    local_part = local_part.split("+", 1)[0].strip().strip('"').lower()
    if local_part in _ROBOT_LOCAL_PARTS:
        return f"sender {sender_address.strip()}"
    return_path = _first(headers, "Return-Path")
    if return_path is not None and return_path.replace(" ", "") in ("<>", ""):
        return "Return-Path: <>"
    if not sender_address.strip():
        # Bounces often come "From: MAILER-DAEMON <>"; there is no one to answer.
        return "no sender address"
    return ""


def is_spam(headers: Iterable[tuple[str, str]]) -> bool:
    """Whether a filter on the way marked the mail as spam (SpamAssassin's
    X-Spam-Flag: YES, or an X-Spam-Status that begins with Yes)."""
    for key, value in headers:
        name = key.lower()
        if name == "x-spam-flag" and value.strip().lower() == "yes":
            return True
        if name == "x-spam-status" and value.strip().replace(",", " ").split(" ")[0].lower() == "yes":
            return True
    return False
