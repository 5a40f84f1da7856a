"""Long base64 runs kept out of the email package's parser, and put back after.

The parser holds every line of a part as a string object of its own (about
50 bytes of overhead per 76-character line) until it joins them, so a 25 MiB
attachment costs about 70 MiB while parsing, and the time of one Python
loop per line. A run of base64 lines can contain no boundary and no header,
so it can be replaced by one line (a token) for the parse and copied back
from the raw bytes into the part's text afterwards: the parser sees the
same structure, and the message is held once as bytes and once as text.
"""

from __future__ import annotations

import re
import secrets
from email.message import Message

from . import parts

# Runs are found 64 lines at a time: one regular expression repeated over a
# whole 25 MiB run would keep a backtracking record per line (about 90 MiB).
_BLOCK = re.compile(rb"^(?:[A-Za-z0-9+/=]{1,998}[ \t]*\r?\n){64}", re.MULTILINE)
_LINE = re.compile(rb"[A-Za-z0-9+/=]{1,998}[ \t]*\r?\n")
_BLANK_LINE = re.compile(rb"[ \t]*\r?\n")
# Below this the parser's own way is cheap enough.
_MIN_RUN = 32 * 1024


def _runs(raw: bytes) -> list[tuple[int, int]]:
    """(start, end) of every run of base64 lines of at least _MIN_RUN bytes,
    with the blank lines after it (so that a part's text is the run alone)."""
    blocks: list[list[int]] = []
    for match in _BLOCK.finditer(raw):
        if blocks and blocks[-1][1] == match.start():
            blocks[-1][1] = match.end()
        else:
            blocks.append([match.start(), match.end()])
    runs: list[tuple[int, int]] = []
    for index, (start, end) in enumerate(blocks):
        limit = blocks[index + 1][0] if index + 1 < len(blocks) else len(raw)
        for pattern in (_LINE, _BLANK_LINE):
            while end < limit and (found := pattern.match(raw, end)) and found.end() <= limit:
                end = found.end()
        if end - start >= _MIN_RUN:
            runs.append((start, end))
    return runs


class SetAside:
    """``reduced``: the message with each long base64 run replaced by a
    token line; ``restore`` puts the runs back into a parsed tree."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self.reduced = raw
        prefix = "extdesk-set-aside-" + secrets.token_hex(8) + "-"
        self._prefix = prefix
        pieces: list[bytes | memoryview] = []
        view = memoryview(raw)
        position = 0
        self._runs = _runs(raw)
        for index, (start, end) in enumerate(self._runs):
            pieces.append(view[position:start])
            pieces.append(f"{prefix}{index}\n".encode("ascii"))
            position = end
        if self._runs:
            pieces.append(view[position:])
            self.reduced = b"".join(pieces)
        self._token = re.compile(re.escape(prefix) + r"(\d+)(\n?)")

    def restore(self, message: Message, depth: int = 0) -> None:
        """Every token in the tree's texts replaced by its run again."""
        if not self._runs:
            return
        for name in ("preamble", "epilogue"):
            value = getattr(message, name, None)
            if isinstance(value, str) and self._prefix in value:
                setattr(message, name, self._restored(value))
        inner = parts.children(message)
        if inner is None:
            text = parts.stored_text(message)
            if self._prefix in text:
                # set_payload, not the private attribute: the part keeps its headers.
                message.set_payload(self._restored(text))
            return
        if depth < parts.MAX_DEPTH:
            for child in inner:
                self.restore(child, depth + 1)

    def _run_text(self, index: int, whole_line: bool) -> str:
        start, end = self._runs[index]
        if not whole_line:
            # The parser takes the line end before a boundary as the
            # boundary's; where it did so for the token, the run's own goes.
            end -= 2 if self._raw.endswith(b"\r\n", start, end) else 1
        return str(memoryview(self._raw)[start:end], "ascii")

    def _restored(self, text: str) -> str:
        found = self._token.fullmatch(text)
        if found and int(found.group(1)) < len(self._runs):
            # The usual case, a part that is nothing but its run: one copy.
            return self._run_text(int(found.group(1)), bool(found.group(2)))

        def put_back(match: re.Match[str]) -> str:
            index = int(match.group(1))
            if index >= len(self._runs):
                return match.group(0)
            return self._run_text(index, bool(match.group(2)))

        return self._token.sub(put_back, text)
