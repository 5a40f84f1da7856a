"""Article Markdown to HTML: markdown-it-py renders, nh3 sanitises; no raw HTML reaches a page.

Raw HTML in the Markdown is shown as text (markdown-it's ``html`` option off), and the sanitiser
then keeps only the tags and attributes below, so that even a renderer bug cannot let a script,
a style, a frame, an event handler or an SVG through. Links to other articles are written
``[text](kb:slug)`` (or as their /kb/slug/ path); links leaving the site get
``rel="nofollow noopener"``. Images must be this site's own (uploaded through the editor): the
Content-Security-Policy would block others, and a third party's image tracks the reader.
"""

from __future__ import annotations

import re

import nh3
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

# Blocks nested deeper than this are cut (markdown-it's own guard): a thousand ">" or "-" in a
# row then costs no more than twenty.
MAX_NESTING = 20

INTERNAL_PREFIX = "kb:"
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}
ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def _is_external(href: str) -> bool:
    return href.startswith("//") or bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", href))


def _link_open(self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if href.startswith(INTERNAL_PREFIX):
        slug = href[len(INTERNAL_PREFIX):].strip("/")
        # A malformed internal link leads nowhere rather than to a guessed address.
        token.attrSet("href", reverse("kb:article", args=[slug]) if _SLUG.match(slug) else "#")
    elif _is_external(href) and not href.lower().startswith("mailto:"):
        token.attrSet("rel", "nofollow noopener")
    return self.renderToken(tokens, idx, options, env)


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False,
                                       "maxNesting": MAX_NESTING})
    parser.enable(["table", "strikethrough"])
    parser.add_render_rule("link_open", _link_open)
    return parser


_PARSER = _parser()


def _attribute(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute == "src":
        # Only this site's own paths: no other host, no data: URL.
        return value if value.startswith("/") and not value.startswith("//") else None
    if attribute == "style":
        # Tables' column alignment is the only style markdown-it writes.
        return value if re.fullmatch(r"text-align:(left|right|center)", value) else None
    return value


def render_markdown(body: str) -> SafeString:
    """``body`` (Markdown) as sanitised HTML."""
    html = _PARSER.render(body or "")
    cleaned = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=None,
                        strip_comments=True, attribute_filter=_attribute)
    return mark_safe(cleaned)  # nh3 kept only the allowlisted tags and attributes


def plain_text(body: str) -> str:
    """The article's words without Markdown's marks, for a listing's excerpt."""
    tokens = _PARSER.parse(body or "")
    words: list[str] = []
    for token in tokens:
        if token.type == "inline" and token.children:
            words.extend(child.content for child in token.children if child.type in ("text", "code_inline"))
        elif token.type in ("code_block", "fence"):
            words.append(token.content)
    return " ".join(" ".join(words).split())
