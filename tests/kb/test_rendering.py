"""Article Markdown rendered and sanitised: what staff write reads well, nothing hostile survives."""

from __future__ import annotations

import html as html_module
import re
import time

import pytest

from extdesk.kb.rendering import plain_text, render_markdown

pytestmark = pytest.mark.database_independent


def test_markdown_renders_headings_lists_code_and_tables():
    html = render_markdown("# Mail\n\n- **IMAP** port `993`\n- SMTP\n\n```\nhost mail\n```\n\n"
                           "| a | b |\n|:-|-:|\n| 1 | 2 |\n")
    assert "<h1>Mail</h1>" in html
    assert "<li><strong>IMAP</strong> port <code>993</code></li>" in html
    assert "<pre><code>host mail\n</code></pre>" in html
    assert '<td style="text-align:left">1</td>' in html


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe src='https://evil.example'></iframe>",
    "<style>body{display:none}</style>",
    "<svg><script>alert(1)</script></svg>",
    '<svg onload="alert(1)"><circle r="5"/></svg>',
    "<a href='javascript:alert(1)'>x</a>",
])
def test_raw_html_is_shown_as_text_never_as_markup(hostile):
    html = render_markdown(f"Before\n\n{hostile}\n\nafter")
    for tag in ("<script", "<img", "<iframe", "<style", "<svg", "<a "):
        assert tag not in html
    assert "&lt;" in html  # the reader sees what was written


@pytest.mark.parametrize("link", [
    "[click](javascript:alert(1))", "[click](JaVaScRiPt:alert(1))", "[click](java\tscript:alert(1))",
    "[click](vbscript:msgbox)", "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "<javascript:alert(1)>", "[click](&#106;avascript:alert(1))",
])
def test_dangerous_link_schemes_are_removed(link):
    html = render_markdown(link)
    # The text may stay (as text); no link may lead to a script or a data: document.
    for href in re.findall(r'href="([^"]*)"', html):
        assert not re.match(r"\s*(javascript|vbscript|data):", html_module.unescape(href), re.IGNORECASE)
    assert "<a" not in html or "href=" in html


@pytest.mark.parametrize("image", [
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](https://tracker.example/pixel.gif)",
    "![x](//tracker.example/pixel.gif)",
    "![x](javascript:alert(1))",
])
def test_images_from_elsewhere_or_data_urls_lose_their_source(image):
    html = render_markdown(image)
    # Refused by the renderer (left as text) or by the sanitiser (no src): never loaded.
    assert "src=" not in html


def test_own_images_keep_their_source():
    assert '<img src="/kb/images/3/dns.png" alt="DNS">' in render_markdown("![DNS](/kb/images/3/dns.png)")


def test_external_links_get_nofollow_noopener_internal_links_do_not():
    html = render_markdown("[ours](/kb/ftp/) [theirs](https://example.org/) [mail](mailto:a@example.com)")
    assert '<a href="/kb/ftp/">ours</a>' in html
    assert '<a href="https://example.org/" rel="nofollow noopener">theirs</a>' in html
    assert '<a href="mailto:a@example.com">mail</a>' in html


def test_kb_links_point_at_the_article_and_bad_ones_nowhere():
    html = render_markdown("[DNS](kb:dns-records) [bad](kb:../../admin)")
    assert '<a href="/kb/dns-records/">DNS</a>' in html
    assert '<a href="#">bad</a>' in html
    assert "admin" not in html


@pytest.mark.parametrize("nesting", [">" * 50_000, "- " * 20_000 + "x", "[" * 50_000, "*" * 50_000,
                                     "\n".join("  " * n + "- x" for n in range(300))])
def test_deep_nesting_renders_in_bounded_time(nesting):
    # CPU time, not wall time: the bound is about the renderer's work, whatever else runs.
    started = time.process_time()
    html = render_markdown(nesting)
    assert time.process_time() - started < 3
    assert html.count("<blockquote>") <= 25
    assert html.count("<ul>") <= 25


def test_plain_text_drops_markdown_marks():
    assert plain_text("# Mail *settings*\n\nUse `imap.example.com`.\n\n[Link](kb:x)") == \
        "Mail settings Use imap.example.com . Link"
