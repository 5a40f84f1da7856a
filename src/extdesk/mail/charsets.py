"""Bytes of a mail part or header to text, by the charset the sender declared.

Mail programs declare charsets loosely: labels Python does not know
(``x-unknown``, ``windows-874``), labels for a smaller set than the bytes
use (``gb2312`` for GBK text, ``iso-8859-1`` for windows-1252 quotes), or
nothing at all. Decoding never raises; what went wrong is returned as a
defect for the message's list.
"""

from __future__ import annotations

import codecs
import re

# Labels seen in mail that Python does not know under that name; None means
# "a label that tells nothing", decoded like an absent charset.
_UNKNOWN_LABELS = {
    "x-unknown": None,
    "unknown": None,
    "unknown-8bit": None,
    "x-user-defined": None,
    "default": None,
    "windows-874": "cp874",
    "x-sjis": "cp932",
    "x-mac-roman": "mac_roman",
    "x-gbk": "gb18030",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "iso-8859-8-e": "iso8859_8",
    "iso-8859-6-e": "iso8859_6",
    "x-cp1250": "cp1250",
    "x-cp1251": "cp1251",
    "cp-850": "cp850",
}

# What senders actually write under a codec's label: the larger set is tried
# first. A superset decodes every valid text of the subset the same way, so
# this only changes what would otherwise have failed (the WHATWG encoding
# standard reads these labels the same way).
_SUPERSETS = {
    "ascii": ("ascii",),
    "iso8859-1": ("cp1252", "latin-1"),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "big5": ("big5hkscs",),
    "shift_jis": ("cp932", "shift_jis"),
    "euc_kr": ("cp949",),
    "euc_jp": ("euc_jp", "euc_jis_2004"),
    "iso2022_jp": ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_3"),
    "iso8859-11": ("cp874", "iso8859_11"),
    "tis-620": ("cp874", "tis_620"),
}

# Codecs Python has that are not charsets of text: their "decoding" of mail
# bytes would be an accident (or raise on every input).
_NOT_CHARSETS = frozenset({
    "undefined", "unicode-escape", "raw-unicode-escape", "unicode_internal", "idna", "punycode",
    "mbcs", "oem",
})

_ASCII_LIKE = frozenset({"ascii"})

_SURROGATE = re.compile("[\ud800-\udfff]")
_OTHER_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")
_ESCAPED_RUN = re.compile("[\udc80-\udcff]+")


def codec_for(charset: str | None) -> str | None:
    """Python's codec name for a declared charset label, or None when the
    label is absent, unknown or names no text charset."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").strip().lower()
    # RFC 2231 allows a language after the charset in encoded words: utf-8*en.
    label = label.partition("*")[0]
    if not label or len(label) > 40:
        return None
    if label in _UNKNOWN_LABELS:
        mapped = _UNKNOWN_LABELS[label]
        if mapped is None:
            return None
        label = mapped
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


def decode(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """The text of ``data`` and a defect (None when the bytes were what the
    label said). Tries the declared charset (as the superset senders mean),
    then UTF-8, then the declared charset or windows-1252 with replacement."""
    codec = codec_for(charset)
    defect: str | None = None
    if codec is not None:
        for name in _SUPERSETS.get(codec, (codec,)):
            try:
                return data.decode(name), None
            except (UnicodeError, LookupError, ValueError):
                continue
        defect = f"the text is not valid {_shown(charset)}"
    elif charset and charset.strip().strip("\"'").strip():
        defect = f"unknown charset {_shown(charset)}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if defect is not None and codec is not None and codec not in _ASCII_LIKE:
            defect += ", read as utf-8"
        return text, defect
    # A real multibyte charset read with replacement keeps all but the bad
    # characters; windows-1252 would turn the whole text into nonsense.
    fallback = codec if codec is not None and codec not in _ASCII_LIKE else "cp1252"
    try:
        return data.decode(fallback, "replace"), defect
    except (UnicodeError, LookupError, ValueError):
        return data.decode("cp1252", "replace"), defect


def unescape_surrogates(value: str) -> str:
    """Text whose 8-bit bytes arrived as surrogate escapes (how the email
    package hands over raw 8-bit header bytes), each run of them read as
    UTF-8 (RFC 6532) or else windows-1252."""
    if not _SURROGATE.search(value):
        return value
    # Only U+DC80..U+DCFF stand for bytes; any other lone surrogate is no text.
    return _OTHER_SURROGATE.sub("\ufffd", _ESCAPED_RUN.sub(_unescaped_run, value))


def _unescaped_run(match: re.Match[str]) -> str:
    raw = match.group(0).encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def _shown(charset: str | None) -> str:
    label = (charset or "").strip()
    return repr(label[:40] + ("..." if len(label) > 40 else ""))
