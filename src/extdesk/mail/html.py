"""HTML mail bodies: as plain text for the ticket, and sanitised for display.

``html_to_text`` keeps what a reader sees: paragraphs and line breaks,
list items, table rows, link targets, and quoted history as ``>`` lines so
that the quote folding (quotes.py) treats an HTML reply like a plain one.
"""

from __future__ import annotations

import html as html_module
import re

import lxml.html
import nh3
from lxml import etree

# Elements whose content no reader sees.
_INVISIBLE = frozenset({"script", "style", "head", "title", "template", "noscript", "object",
                        "embed", "applet", "iframe", "frame", "frameset", "svg", "math"})
# Elements that begin and end a line of their own.
_BLOCKS = frozenset({"div", "address", "article", "aside", "center", "dd", "details", "dl", "dt",
                     "fieldset", "figcaption", "figure", "footer", "form", "header", "main", "nav",
                     "ol", "ul", "menu", "section", "summary", "table", "thead", "tbody", "tfoot",
                     "caption", "body", "html"})
# Blocks that also stand apart from their neighbours by a blank line.
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"})
_CELLS = frozenset({"td", "th"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\n\r\f\v\u00a0\u200b]+")
_LINK_SCHEMES = ("http:", "https:", "ftp:", "mailto:", "tel:")
# Outlook's reply separator is an <hr> before the "From:" block; written as
# Outlook's plain-text separator, quotes.py recognises both the same way.
_RULE = "_" * 32


def _parser() -> lxml.html.HTMLParser:
    # no_network: a mail's HTML never makes the server fetch anything;
    # huge_tree off: libxml2's limits on depth and text size stay in force.
    return lxml.html.HTMLParser(no_network=True, huge_tree=False, remove_comments=True,
                                remove_pis=True, remove_blank_text=False, encoding="utf-8")


class _Lines:
    """Collects output lines, each with the quote depth it was written at."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, str]] = []
        self.current: list[str] = []
        self.depth = 0
        self.line_depth = 0
        self.space = False  # a collapsed space is due before the next word
        self.bullet = False  # a list item's "- " is due before the next word

    def text(self, value: str, *, pre: bool = False) -> None:
        if not pre:
            self._add(value, collapse=True)
            return
        first, *rest = value.replace("\r\n", "\n").split("\n")
        self._add(first, collapse=False)
        for line in rest:
            self.newline()
            self._add(line, collapse=False)

    def _add(self, value: str, *, collapse: bool) -> None:
        if collapse:
            words = _SPACES.sub(" ", value)
            if words.startswith(" ") and self.current:
                self.space = True
            ends_in_space = words.endswith(" ")
            words = words.strip()
        else:
            words, ends_in_space = value.replace("\u00a0", " "), False
        if not words:
            return
        if not self.current:
            self.line_depth = self.depth
            self.space = False
            if self.bullet:
                self.current.append("- ")
                self.bullet = False
        if self.space:
            self.current.append(" ")
        self.current.append(words)
        self.space = ends_in_space

    def newline(self) -> None:
        """A line break: the current line ends, even when empty (<br>)."""
        self.lines.append((self.line_depth if self.current else self.depth,
                           "".join(self.current).rstrip()))
        self.current = []
        self.space = False

    def block(self) -> None:
        """The next text begins a new line (nothing happens at a line start)."""
        if self.current:
            self.newline()

    def blank(self) -> None:
        """The next text begins after a blank line (not so a list item's first)."""
        self.block()
        if self.bullet or not self.lines:
            return
        depth, line = self.lines[-1]
        if line or depth != self.depth:
            self.lines.append((self.depth, ""))

    def end_quote(self) -> None:
        """A blockquote ends: its trailing blank lines go, and its depth."""
        self.block()
        while self.lines and self.lines[-1] == (self.depth, ""):
            self.lines.pop()
        self.depth -= 1
        self.blank()

    def render(self) -> str:
        self.block()
        out: list[str] = []
        for depth, line in self.lines:
            rendered = (">" * depth + (" " + line if line else "")) if depth else line
            if not line and out and out[-1] == rendered:
                continue  # runs of blank lines become one
            out.append(rendered)
        return "\n".join(out).strip("\n")


def _walk(element: etree._Element, out: _Lines, pre: bool) -> None:
    if not isinstance(element.tag, str):
        return  # an entity or a comment libxml2 kept; its tail is the parent's
    tag = element.tag.lower()
    if tag in _INVISIBLE or _HIDDEN_STYLE.search(element.get("style") or ""):
        return
    if tag == "blockquote":
        out.blank()
        out.depth += 1
    elif tag in _PARAGRAPHS:
        out.blank()
    elif tag in _BLOCKS or tag == "tr":
        out.block()
    elif tag == "li":
        out.block()
        out.bullet = True
    elif tag in _CELLS and out.current:
        out.space = True
    elif tag == "hr":
        out.block()
        out.text(_RULE)
        out.block()
    elif tag == "img":
        alt = (element.get("alt") or "").strip()
        if alt:
            out.text(alt)
    inner_pre = pre or tag in ("pre", "textarea", "listing", "plaintext", "xmp")
    if element.text:
        out.text(element.text, pre=inner_pre)
    for child in element:
        _walk(child, out, inner_pre)
        if child.tail:
            out.text(child.tail, pre=inner_pre)
    if tag == "br":
        out.newline()
    elif tag == "a":
        _link(element, out)
    if tag == "blockquote":
        out.end_quote()
    elif tag in _PARAGRAPHS:
        out.blank()
    elif tag in _BLOCKS or tag in ("tr", "li"):
        out.block()


def _link(element: etree._Element, out: _Lines) -> None:
    href = (element.get("href") or "").strip()
    if not href.lower().startswith(_LINK_SCHEMES):
        return  # anchors, javascript:, cid: tell a reader nothing
    label = _SPACES.sub(" ", "".join(str(piece) for piece in element.itertext())).strip()
    shown = href[7:] if href.lower().startswith("mailto:") else href
    if label in (href, shown):
        return
    out.text(f" <{href}>")


def html_to_text(html: str) -> str:
    """The readable text of an HTML document or fragment. Never raises."""
    if not html or not html.strip():
        return ""
    try:
        # UTF-8 bytes with the parser's encoding fixed: an XML declaration or
        # <meta charset> in the text cannot make lxml read it as another charset.
        document = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=_parser())
        out = _Lines()
        _walk(document, out, False)
        text = out.render()
    except Exception:
        # lxml refuses documents that are empty after parsing and may fail on
        # input libxml2 finds too broken; the words are still worth keeping.
        return _fallback_text(html)
    # libxml2 drops what is nested deeper than its limit (256 levels).
    return text or _fallback_text(html)


def _fallback_text(html: str) -> str:
    try:
        text = html_module.unescape(nh3.clean(html, tags=set()))
    except Exception:
        text = html_module.unescape(re.sub(r"<[^>]*>", " ", html))
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# A conservative set for showing a mail to staff: text structure, links and
# tables. No images (remote ones report the reading to the sender, cid: ones
# need rewriting to attachment URLs first), no style, no forms.
SAFE_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "kbd", "li", "ol", "p", "pre", "q",
    "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul",
})
_SAFE_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
}


def safe_html(html: str) -> str:
    """The HTML with only SAFE_TAGS, link targets limited to http(s) and
    mailto, and every link opening without referrer or opener."""
    try:
        return nh3.clean(
            html,
            tags=set(SAFE_TAGS),
            clean_content_tags={"script", "style", "head", "title", "template"},
            attributes={tag: set(names) for tag, names in _SAFE_ATTRIBUTES.items()},
            url_schemes={"http", "https", "mailto"},
            strip_comments=True,
            link_rel="noopener noreferrer nofollow",
        )
    except Exception:
        # nh3 does not fail on text input; should it, nothing is safer than escaping.
        return html_module.escape(html)
