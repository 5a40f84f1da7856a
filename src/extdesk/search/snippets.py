"""A snippet of matched text made safe to show: escaped first, then the matches marked.

The engines return plain text with private-use markers around each match (schema.MARK_START,
MARK_END). Everything between markers is escaped as text; the markers alone become ``<mark>``
tags, kept balanced even if a message itself contains such characters.
"""

# ruff: noqa: RUF001 - the Greek final sigma on purpose

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from .schema import CJK_SEPARATOR, MARK_END, MARK_START

_MARKERS = re.compile(f"([{MARK_START}{MARK_END}])")
# PostgreSQL indexes final sigma as sigma; a sigma that ends a word is written back as ς.
_WORD_END_SIGMA = re.compile(r"σ(?![^\W\d_])")
# Context shown around a match found without the engine's snippet (trigram searches).
_BEFORE, _AFTER = 40, 80


@dataclass(frozen=True)
class Snippet:
    """The matching passage of a ticket, ready to show, and whether it is from an internal note."""

    html: SafeString
    internal: bool = False


_LINE = '<div class="search-snippet small">{}{}</div>'
_NOTE = '<span class="snippet-note">Internal note:</span> '


def snippet_line(row: object) -> str:
    """The snippet a ranked search gave ``row`` (a ticket of its page) as the line under its subject.

    Empty for a row without one: not found by a search of words, or matched by its subject alone.
    """
    snippet = getattr(row, "search_snippet", None)
    if not isinstance(snippet, Snippet):
        return ""
    return format_html(_LINE, mark_safe(_NOTE) if snippet.internal else "", snippet.html)


def has_match(raw: str | None) -> bool:
    return raw is not None and MARK_START in raw


def render(raw: str) -> SafeString:
    """``raw`` (marked plain text) as HTML: one line, escaped, each match in <mark>."""
    text = " ".join(raw.replace(CJK_SEPARATOR, "").split())
    parts: list[str] = []
    marking = False
    for piece in _MARKERS.split(text):
        if piece == MARK_START:
            if not marking:
                parts.append("<mark>")
                marking = True
        elif piece == MARK_END:
            if marking:
                parts.append("</mark>")
                marking = False
        else:
            parts.append(escape(piece))
    if marking:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # every piece escaped above; only <mark> added


def from_postgresql(headline: str) -> str:
    """A ts_headline of the escaped text (extdesk_search_text) back to marked plain text."""
    return _WORD_END_SIGMA.sub("ς", html.unescape(headline))


def cut_around(text: str, terms: tuple[str, ...]) -> str | None:
    """The text around the first occurrence of any of ``terms``, each occurrence marked; None if none."""
    if not terms:
        return None
    pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)),
                         re.IGNORECASE)
    found = pattern.search(text)
    if found is None:
        return None
    start, end = max(0, found.start() - _BEFORE), min(len(text), found.end() + _AFTER)
    marked = pattern.sub(lambda m: f"{MARK_START}{m.group(0)}{MARK_END}", text[start:end])
    return ("…" if start else "") + marked + ("…" if end < len(text) else "")
