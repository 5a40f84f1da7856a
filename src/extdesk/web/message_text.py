"""A message body as HTML: links, kept line breaks and indentation, code in monospace blocks.

Plain text goes in, and every character of it is escaped before anything is
added: the only tags in the output are the ones made here (``<a>``, ``<pre>``,
``<code>``), so a message can never add markup of its own. Line breaks and
indentation outside code are kept by the stylesheet (``white-space:
pre-wrap`` on the message's container), not by ``<br>`` tags.

Django-free on purpose: the template filter (``extdesk.web.templatetags.
message_ui``) marks the result safe, everything else is here and tested as
plain functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import escape

# http(s) and mailto only: another scheme (javascript:, data:, file:) stays text.
# A URL ends at white space, a control character, quotes, angle brackets or a
# backtick: the way people delimit addresses in text ("see <http://x>").
_URL = re.compile(r"""(?:https?://|mailto:)[^\s\x00-\x20\x7f<>"`]+""", re.IGNORECASE)
# Punctuation that ends the sentence around a URL rather than the URL itself.
_TRAILING = ".,;:!?'*"
_BRACKETS = {")": "(", "]": "[", "}": "{"}

# A fence opens with three or more backticks and an optional info string
# ("```python"); it closes with a line of at least as many backticks and
# nothing else (CommonMark's rule, so a fence can quote a shorter one).
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,})([^`]*)$")
_FENCE_CLOSE = re.compile(r"^ {0,3}(`{3,})\s*$")
# Indented code: four spaces or a tab before the text.
_INDENTED = re.compile(r"^(?: {4}|\t)")

CODE_OPEN = '<pre class="message-code"><code>'
CODE_CLOSE = "</code></pre>"


def _trim_url(candidate: str) -> str:
    """``candidate`` without the punctuation and unbalanced closing brackets that follow it in prose.

    "(see http://x/a_(b))." links ``http://x/a_(b)``: a closing bracket stays
    when the URL opened it.
    """
    url = candidate
    while url:
        last = url[-1]
        unbalanced = last in _BRACKETS and url.count(last) > url.count(_BRACKETS[last])
        if last in _TRAILING or unbalanced:
            url = url[:-1]
        else:
            break
    return url


def _is_link(url: str) -> bool:
    """Whether ``url`` names somewhere: a host after ``http(s)://``, an address after ``mailto:``."""
    lower = url.lower()
    if lower.startswith("mailto:"):
        return "@" in url[len("mailto:"):]
    rest = url.split("://", 1)[1]
    return bool(rest) and not rest.startswith("/")


def linkify(text: str) -> str:
    """``text`` escaped, its http(s) and mailto URLs made links."""
    out: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        url = _trim_url(match.group())
        if not _is_link(url):
            continue
        out.append(escape(text[position:match.start()]))
        shown = escape(url)
        out.append(f'<a href="{shown}" rel="nofollow noopener">{shown}</a>')
        position = match.start() + len(url)
    out.append(escape(text[position:]))
    return "".join(out)


def _code(lines: list[str]) -> str:
    return CODE_OPEN + escape("\n".join(lines)) + CODE_CLOSE


def _blocks(lines: list[str]) -> Iterator[tuple[str, list[str]]]:
    """The message's lines grouped as ("text" | "code", lines)."""
    text: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = _FENCE_OPEN.match(line)
        if opening:
            width = len(opening.group(1))
            body: list[str] = []
            index += 1
            while index < len(lines):
                closing = _FENCE_CLOSE.match(lines[index])
                if closing and len(closing.group(1)) >= width:
                    index += 1
                    break
                body.append(lines[index])
                index += 1
            # An unclosed fence runs to the end of the message, as in Markdown.
            if text:
                yield "text", text
                text = []
            yield "code", body
            continue
        if _INDENTED.match(line) and line.strip():
            block: list[str] = []
            # Blank lines belong to the block when more indented code follows them.
            while index < len(lines) and (_INDENTED.match(lines[index]) or not lines[index].strip()):
                block.append(lines[index])
                index += 1
            while block and not block[-1].strip():
                block.pop()
                index -= 1
            if text:
                yield "text", text
                text = []
            yield "code", block
            continue
        text.append(line)
        index += 1
    if text:
        yield "text", text


def render_message(body: str) -> str:
    """``body`` as HTML (see the module's docstring); the empty string for an empty body."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    parts: list[str] = []
    for kind, block in _blocks(lines):
        if kind == "code":
            parts.append(_code(block))
        else:
            # A block's own line breaks are kept; the one before or after a
            # code block is the block's edge (a <pre> starts a line anyway).
            parts.append(linkify("\n".join(block)))
    return "".join(parts)
