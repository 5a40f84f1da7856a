"""The new part of a reply: the text above the quoted history and the signature.

Staff read a ticket as a conversation; every reply repeating the whole
thread below it would bury what is new. The rules are few and predictable,
so that a customer's text is never lost to a clever guess:

1. Cut at the first line that starts the quoted history: an attribution
   ("On ... wrote:" and its German, French, Dutch and Spanish forms, also
   wrapped over two lines), Outlook's "-----Original Message-----", an
   underscore rule followed by "From:", or a "From:/Sent:/To:/Subject:"
   header block. A forward ("Begin forwarded message:", "---------- Forwarded
   message ---------") is content: nothing at or below it is cut, the rules
   below apply to the text above it. Outlook writes a forward with the same
   separator or header block as a reply, so when the subject says it is a
   forward ("FW:", "Fwd:", "WG:", "TR:", "RV:", "Doorst:", "ENC:" first),
   that separator starts a forward too.
2. Drop ``>`` quoted lines at the end (those followed by no more new text);
   quotes between answers stay.
3. Cut a signature at a line that is exactly "-- " or "--".
4. Drop a mobile footer ("Sent from my iPhone", "Get Outlook for iOS") at the end.

If that would leave nothing, the whole text is the new text.
"""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"""^\s*(?:
        On\s.{1,300}\swrote\s?:
      | Am\s.{1,300}\sschrieb\s.{0,300}:
      | Le\s.{1,300}\sa\s+écrit\s?:
      | Op\s.{1,300}\sschreef\s.{0,300}:
      | El\s.{1,300}\sescribió\s?:
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# The first line of an attribution a mail program wrapped: it starts like
# one and does not end like one.
_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Am|Le|Op|El)\s", re.IGNORECASE)

_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{3,}\s*(?:Original\s+Message|Ursprüngliche\s+Nachricht|Message\s+d'origine"
    r"|Oorspronkelijk\s+bericht|Mensaje\s+original|Originalnachricht)\s*-{3,}\s*$",
    re.IGNORECASE,
)
_UNDERSCORE_RULE = re.compile(r"^\s*_{20,}\s*$")
_FROM = re.compile(r"^\s*\*?(?:From|Von|De|Van)\s?:", re.IGNORECASE)
_SENT = re.compile(r"^\s*\*?(?:Sent|Date|Gesendet|Datum|Envoyé|Verzonden|Enviado|Fecha)\s?:", re.IGNORECASE)
_TO = re.compile(r"^\s*\*?(?:To|An|À|A|Aan|Para)\s?:", re.IGNORECASE)
_SUBJECT = re.compile(r"^\s*\*?(?:Subject|Betreff|Objet|Onderwerp|Asunto)\s?:", re.IGNORECASE)
# Outlook writes the whole block on one line when it flattens HTML.
_ONE_LINE_BLOCK = re.compile(r"^\s*\*?(?:From|Von|De|Van)\s?:.*\b(?:Sent|Gesendet|Envoyé|Verzonden|Enviado)"
                             r"\s?:.*\b(?:Subject|Betreff|Objet|Onderwerp|Asunto)\s?:", re.IGNORECASE)
_HEADER_BLOCK_LINES = 8

_FORWARD = re.compile(
    r"^\s*(?:Begin\s+forwarded\s+message\s*:|-{5,}\s*Forwarded\s+message\s*-{5,}"
    r"|-{5,}\s*Weitergeleitete\s+Nachricht\s*-{5,}|Anfang\s+der\s+weitergeleiteten\s+Nachricht\s*:"
    r"|Début\s+du\s+message\s+réexpédié\s*:)\s*$",
    re.IGNORECASE,
)
# The first prefix only: "RE: FW: ..." answers a forward and is a reply.
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|wg|tr|rv|doorst|enc)\s*:", re.IGNORECASE)
_SIGNATURE = frozenset({"-- ", "--"})
_MOBILE_FOOTER = re.compile(
    r"^\s*(?:Sent\s+from\s+my\s+\w+(?:\s+\w+){0,3}|Sent\s+from\s+(?:Mail|Outlook)\s+for\s+\w+"
    r"|Get\s+Outlook\s+for\s+(?:iOS|Android)|Von\s+meinem\s+\w+(?:\s+\w+){0,2}\s+gesendet"
    r"|Envoyé\s+de\s+mon\s+\w+(?:\s+\w+){0,2}|Verzonden\s+(?:vanaf|met)\s+mijn\s+\w+(?:\s+\w+){0,2}"
    r"|Enviado\s+desde\s+mi\s+\w+(?:\s+\w+){0,2})\s*\.?\s*$",
    re.IGNORECASE,
)


def new_text(text: str, subject: str = "") -> str:
    """The text a reply with ``subject`` adds: see the module's description for the rules."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    end, forwarded = _history_start(lines, forward_subject=bool(_FORWARD_SUBJECT.match(subject)))
    kept = _without_trailing_quotes(lines[:end])
    for index, line in enumerate(kept):
        if line in _SIGNATURE:
            kept = _without_trailing_quotes(kept[:index])
            break
    while kept and (not kept[-1].strip() or _MOBILE_FOOTER.match(kept[-1])):
        kept.pop()
    if forwarded:
        kept = [*kept, "", *lines[end:]] if kept else lines[end:]
    result = "\n".join(kept).strip()
    return result or text.strip()


def _history_start(lines: list[str], *, forward_subject: bool) -> tuple[int, bool]:
    """The index of the first line of quoted history, or of a forward (then
    True: that line and all below it are content); len(lines) for neither."""
    for index, line in enumerate(lines):
        if _quoted(line):
            continue
        if _FORWARD.match(line):
            return index, True
        if _ATTRIBUTION.match(line) or _wrapped_attribution(lines, index):
            return index, False
        if (_ORIGINAL_MESSAGE.match(line)
                or (_UNDERSCORE_RULE.match(line) and _FROM.match(_next_text(lines, index)))
                or _ONE_LINE_BLOCK.match(line) or _header_block(lines, index)):
            # Outlook's separators, for its replies and its forwards alike.
            return index, forward_subject
    return len(lines), False


def _wrapped_attribution(lines: list[str], index: int) -> bool:
    line = lines[index]
    if not _ATTRIBUTION_START.match(line) or index + 1 >= len(lines):
        return False
    following = lines[index + 1]
    if not following.strip() or _quoted(following):
        return False
    return bool(_ATTRIBUTION.match(line.rstrip() + " " + following.strip()))


def _next_text(lines: list[str], index: int) -> str:
    for line in lines[index + 1 :]:
        if line.strip():
            return line
    return ""


def _header_block(lines: list[str], index: int) -> bool:
    """A "From:" line with Sent/Date, To and Subject lines below it."""
    if not _FROM.match(lines[index]):
        return False
    block = lines[index + 1 : index + _HEADER_BLOCK_LINES]
    return all(any(pattern.match(line) for line in block) for pattern in (_SENT, _TO, _SUBJECT))


def _without_trailing_quotes(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and (not lines[end - 1].strip() or _quoted(lines[end - 1])):
        end -= 1
    return lines[:end]


def _quoted(line: str) -> bool:
    # Some programs indent the quote marks by a space or two.
    return line.lstrip(" ").startswith(">")
