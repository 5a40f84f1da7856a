"""What a search box's text asks for, and how each database's full-text engine is told it.

The syntax is PostgreSQL's ``websearch_to_tsquery`` (what people type into web search engines),
read here once so that both databases answer it alike: words and "quoted phrases" must all
appear, ``-word`` must not, ``or`` between words offers alternatives (``a b or c d`` is
``(a and b) or (c and d)``). A group made only of exclusions asks for nothing and is dropped.

Text in scripts written without spaces (Chinese, Japanese, Korean) has no words to look up: a run
of such characters is searched as the characters one after another (see docs/search.md).
"""

# ruff: noqa: RUF001 - Greek, CJK and other scripts' letters on purpose

from __future__ import annotations

import re
from dataclasses import dataclass

# Scripts written without spaces between words: Hiragana and Katakana, CJK ideographs (with
# extension A, the compatibility block and the supplementary planes), Hangul syllables and
# half-width Katakana. The same ranges are in the databases' side (extdesk.search.schema).
CJK_RANGES = (
    ("\u3040", "\u30ff"), ("\u3400", "\u4dbf"), ("\u4e00", "\u9fff"), ("\uf900", "\ufaff"),
    ("\uac00", "\ud7af"), ("\uff66", "\uff9f"), ("\U00020000", "\U0003134f"),
)
CJK_CLASS = "[" + "".join(f"{low}-{high}" for low, high in CJK_RANGES) + "]"
_CJK = re.compile(CJK_CLASS)

# Greek letters with tonos or dialytika, and their bare letters: SQLite's tokenizer keeps those
# marks (it removes diacritics from Latin letters only), so both sides of a search drop them.
GREEK_MARKS = {
    "ά": "α", "έ": "ε", "ή": "η", "ί": "ι", "ό": "ο", "ύ": "υ", "ώ": "ω", "ΐ": "ι", "ΰ": "υ",
    "ϊ": "ι", "ϋ": "υ", "Ά": "Α", "Έ": "Ε", "Ή": "Η", "Ί": "Ι", "Ό": "Ο", "Ύ": "Υ", "Ώ": "Ω",
    "Ϊ": "Ι", "Ϋ": "Υ",
}
_GREEK = str.maketrans(GREEK_MARKS)

# A query longer than this many terms is cut: no one types more, and each costs a look-up.
MAX_TERMS = 16
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_HAS_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Group:
    """Terms that must all appear (``wanted``) and terms that must not (``unwanted``)."""

    wanted: tuple[str, ...]
    unwanted: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextQuery:
    """A parsed search: any of its groups matches."""

    groups: tuple[Group, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        """The wanted terms of every group, each once: what a snippet marks."""
        return tuple(dict.fromkeys(term for group in self.groups for term in group.wanted))

    @property
    def has_cjk(self) -> bool:
        return any(_CJK.search(term) for group in self.groups for term in (*group.wanted, *group.unwanted))


def parse(text: str) -> TextQuery | None:
    """The search ``text`` asks for, or None when it names no word to look for."""
    groups: list[Group] = []
    wanted: list[str] = []
    unwanted: list[str] = []
    count = 0

    def close_group() -> None:
        if wanted:
            groups.append(Group(tuple(wanted), tuple(unwanted)))
        wanted.clear()
        unwanted.clear()

    for match in _TOKEN.finditer(text or ""):
        negated, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            if bare.lower() == "or":
                close_group()
                continue
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            quoted = bare[1:] if negated else bare
        term = " ".join(quoted.replace('"', " ").split())
        if not _HAS_WORD.search(term) or count >= MAX_TERMS:
            continue
        count += 1
        (unwanted if negated else wanted).append(term)
    close_group()
    return TextQuery(tuple(groups)) if groups else None


# ---------------------------------------------------------------- SQLite FTS5


def fold_greek(text: str) -> str:
    return text.translate(_GREEK)


def _fts5_phrase(term: str) -> str:
    return '"' + fold_greek(term).replace('"', '""') + '"'


def fts5_expression(query: TextQuery, columns: tuple[str, ...] | None = None) -> str:
    """The FTS5 MATCH expression of ``query``; ``columns`` limits where its phrases may match."""
    alternatives = []
    for group in query.groups:
        expression = " AND ".join(_fts5_phrase(term) for term in group.wanted)
        for term in group.unwanted:
            expression = f"({expression}) NOT {_fts5_phrase(term)}"
        alternatives.append(f"({expression})")
    expression = " OR ".join(alternatives)
    if columns:
        return "{" + " ".join(columns) + "} : (" + expression + ")"
    return expression


# ---------------------------------------------------------------- PostgreSQL


def _escaped(text: str) -> str:
    # As extdesk_search_text() escapes the indexed text (extdesk.search.schema), so that words
    # written between angle brackets are words, not an HTML tag the parser would skip.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _websearch_phrase(term: str) -> str:
    # Final sigma indexed as sigma (ΚΑΦΈΣ and καφές lower to different letters); each character
    # of a run without spaces its own word, the run a phrase.
    text = _escaped(term).replace("ς", "σ")
    text = _CJK.sub(lambda m: f" {m.group(0)} ", text)
    return '"' + " ".join(text.split()) + '"'


def websearch_text(query: TextQuery) -> str:
    """``query`` written again for ``websearch_to_tsquery``: every term quoted, the groups or-ed."""
    return " or ".join(
        " ".join([*(_websearch_phrase(t) for t in group.wanted),
                  *("-" + _websearch_phrase(t) for t in group.unwanted)])
        for group in query.groups
    )


# ---------------------------------------------------------------- substrings (SQLite, CJK)

# The trigram tokenizer looks up substrings of at least this many characters; shorter ones are
# compared with LIKE.
TRIGRAM = 3


def like_pattern(term: str) -> str:
    """``%term%`` for LIKE ... ESCAPE '\\'."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
