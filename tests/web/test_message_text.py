"""Message bodies as HTML: escaped first, then links and code blocks, never markup of the sender's."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extdesk.web.message_text import render_message

pytestmark = pytest.mark.database_independent


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


def _links(html: str) -> list[str]:
    return [str(attrs["href"]) for tag, attrs in _parse(html).tags if tag == "a"]


def test_plain_text_is_escaped_and_kept_line_by_line():
    html = render_message("Hello & welcome <b>bold</b>\n  indented a bit\n\nBye")
    assert html == "Hello &amp; welcome &lt;b&gt;bold&lt;/b&gt;\n  indented a bit\n\nBye"


def test_script_tags_and_entities_stay_text():
    body = '<script>alert(1)</script> &lt;img src=x onerror=alert(1)&gt; &amp;'
    html = render_message(body)
    assert _parse(html).tags == []
    # What the reader sees is exactly what was written, entities included.
    assert "".join(_parse(html).text) == body


def test_urls_become_links():
    html = render_message("See https://example.com/docs?a=1&b=2 and mailto:help@example.com now")
    assert _links(html) == ["https://example.com/docs?a=1&b=2", "mailto:help@example.com"]
    assert '<a href="https://example.com/docs?a=1&amp;b=2" rel="nofollow noopener">' in html


@pytest.mark.parametrize(("body", "link"), [
    ("Read http://example.com/page.", "http://example.com/page"),
    ("Really, http://example.com/page?!", "http://example.com/page"),
    ("(see http://example.com/x)", "http://example.com/x"),
    ("(see http://en.wikipedia.org/wiki/Foo_(bar))", "http://en.wikipedia.org/wiki/Foo_(bar)"),
    ("[http://example.com/a]", "http://example.com/a"),
    ("<http://example.com/b>", "http://example.com/b"),
    ('"http://example.com/c"', "http://example.com/c"),
    ("it's at http://example.com/d'", "http://example.com/d"),
    ("HTTPS://EXAMPLE.COM/E, then", "HTTPS://EXAMPLE.COM/E"),
])
def test_the_punctuation_around_a_url_is_not_part_of_it(body, link):
    assert _links(render_message(body)) == [link]


@pytest.mark.parametrize("body", [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "http://",
    "https:///path-only",
    "mailto:",
    "mailto:nobody",
])
def test_other_schemes_and_empty_urls_stay_text(body):
    html = render_message(body)
    assert _parse(html).tags == []
    assert "".join(_parse(html).text) == body


def test_a_quote_in_a_url_cannot_add_an_attribute():
    html = render_message('http://x/"onmouseover="alert(1)" and http://y/\'onclick=alert(1)')
    tags = _parse(html).tags
    assert [tag for tag, _ in tags] == ["a", "a"]
    for _, attrs in tags:
        assert set(attrs) == {"href", "rel"}
    assert [attrs["href"] for _, attrs in tags] == ["http://x/", "http://y/'onclick=alert(1)"]
    assert "onmouseover" not in "".join(str(attrs) for _, attrs in tags)


def test_an_escaped_looking_url_is_not_unescaped():
    html = render_message("http://x/&quot;onmouseover=alert(1)")
    assert _links(html) == ["http://x/&quot;onmouseover=alert(1)"]
    assert 'href="http://x/&amp;quot;onmouseover=alert(1)"' in html


def test_fenced_code_is_a_monospace_block_without_links():
    body = "Log:\n```text\n  <b>x</b> http://example.com/\n\tdone\n```\nThanks"
    html = render_message(body)
    assert html == ('Log:<pre class="message-code"><code>  &lt;b&gt;x&lt;/b&gt; http://example.com/\n'
                    '\tdone</code></pre>Thanks')


def test_a_longer_fence_quotes_a_shorter_one():
    body = "````\n```\ninner\n```\n````\nafter"
    html = render_message(body)
    assert html == '<pre class="message-code"><code>```\ninner\n```</code></pre>after'


def test_an_unclosed_fence_runs_to_the_end():
    html = render_message("before\n```\n</code></pre><script>x</script>")
    assert html == ('before<pre class="message-code"><code>&lt;/code&gt;&lt;/pre&gt;'
                    "&lt;script&gt;x&lt;/script&gt;</code></pre>")
    assert [tag for tag, _ in _parse(html).tags] == ["pre", "code"]


def test_indented_lines_are_code_and_keep_their_blank_lines():
    body = "Output:\n    line 1\n\n\tline 2\n\nBack to text"
    html = render_message(body)
    # The blank line after the block stays a blank line before the text.
    assert html == ('Output:<pre class="message-code"><code>    line 1\n\n\tline 2</code></pre>'
                    "\nBack to text")


def test_windows_line_ends_read_as_line_breaks():
    assert render_message("a\r\nb\rc") == "a\nb\nc"


def test_an_empty_body_renders_nothing():
    assert render_message("") == ""


_GENERATED = {("a", frozenset({"href", "rel"})), ("pre", frozenset({"class"})), ("code", frozenset())}
_PIECES = st.sampled_from([
    "<", ">", "&", '"', "'", "`", "```", "````", "\n", "    ", "\t", "(", ")", "]", ".", " ",
    "http://", "https://x.org/", "mailto:a@b", "javascript:", "<script>", "</code></pre>",
    "&lt;", "&#x3c;", "onerror=", "<a href=", "\x00", "é",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=40).map("".join))
def test_the_output_has_only_the_tags_it_makes(body):
    html = render_message(body)
    parsed = _parse(html)
    for tag, attrs in parsed.tags:
        assert (tag, frozenset(attrs)) in _GENERATED, (body, html)
        if tag == "a":
            assert re.match(r"(?i)(https?://[^/]|mailto:.*@)", str(attrs["href"]))
            assert attrs["rel"] == "nofollow noopener"
    # Nothing of the body is lost or added: the text a browser shows is the body's
    # (but for the line breaks at a code block's edges, and fence lines).
    if "`" not in body:
        assert "".join("".join(parsed.text).split()) == "".join(body.split())
