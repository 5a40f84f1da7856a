"""html.html_to_text and html.safe_html on the HTML mail programs send."""

from __future__ import annotations

import lxml.html
import pytest

from extdesk.mail import html
from extdesk.mail.html import html_to_text, safe_html
from extdesk.mail.quotes import new_text

pytestmark = pytest.mark.database_independent


def test_paragraphs_breaks_and_inline_markup():
    assert html_to_text("<p>Hello <b>World</b>,</p><p>second&nbsp;paragraph<br>next line</p>") == (
        "Hello World,\n\nsecond paragraph\nnext line")


def test_whitespace_in_the_source_is_collapsed_as_a_browser_would():
    assert html_to_text("<div>\n  one\n  two   three\n</div><div>four</div>") == "one two three\nfour"


def test_pre_keeps_its_lines():
    assert html_to_text("<p>log:</p><pre>line 1\n  line 2</pre>") == "log:\n\nline 1\n  line 2"


def test_invisible_elements_are_dropped():
    text = html_to_text("<html><head><title>Title</title><style>p {color: red}</style>"
                        "<script>alert(1)</script></head><body><template>tpl</template>"
                        "<p>visible</p><noscript>no</noscript>"
                        "<div style='display: none'>preheader</div></body></html>")
    assert text == "visible"


def test_comments_and_processing_instructions_are_dropped():
    text = html_to_text("<p>a<!-- secret -->b<?php echo 1; ?>c</p><!--[if mso]><p>mso</p><![endif]-->")
    assert text == "abc"


def test_headings_lists_and_table_rows():
    text = html_to_text("<h1>Order</h1><ul><li>one</li><li>two <i>items</i></li></ul>"
                        "<ol><li><p>first</p></li></ol>"
                        "<table><tr><th>Item</th><th>Price</th></tr>"
                        "<tr><td>Mouse</td><td>9 €</td></tr></table>")
    assert text == "Order\n\n- one\n- two items\n- first\n\nItem Price\nMouse 9 €"


def test_links_keep_their_target_when_it_differs_from_the_text():
    text = html_to_text('<p>Track it <a href="https://shop.example/t?id=1">here</a>, see '
                        '<a href="https://shop.example/">https://shop.example/</a>, mail '
                        '<a href="mailto:help@shop.example">help@shop.example</a> or '
                        '<a href="javascript:void(0)">click</a> <a href="#top">top</a>.</p>')
    assert text == ("Track it here <https://shop.example/t?id=1>, see https://shop.example/, mail "
                    "help@shop.example or click top.")


def test_images_give_their_alt_text():
    assert html_to_text('<p>Logo: <img src="cid:x" alt="ACME"> <img src="y.png"></p>') == "Logo: ACME"


def test_blockquotes_become_quoted_lines_for_the_quote_folding():
    text = html_to_text('<div>Thanks!</div><div class="gmail_quote">On Mon, Jun 3, 2024 at 10:00 AM Support '
                        '&lt;support@x.example&gt; wrote:<br><blockquote>Try again.<br><br>Regards'
                        '<blockquote>older</blockquote></blockquote></div>')
    assert text == ("Thanks!\nOn Mon, Jun 3, 2024 at 10:00 AM Support <support@x.example> wrote:\n\n"
                    "> Try again.\n>\n> Regards\n>\n>> older")
    assert new_text(text) == "Thanks!"


def test_outlook_html_reply_separator_is_folded():
    text = html_to_text('<p class="MsoNormal">Done.<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
                        '<hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg">'
                        '<b>From:</b> Support &lt;s@x.example&gt;<br><b>Sent:</b> Monday, June 3, 2024<br>'
                        '<b>To:</b> Petra<br><b>Subject:</b> Ticket</div><p>Older text</p>')
    assert text.startswith("Done.\n\n________________________________\nFrom: Support <s@x.example>\n")
    assert new_text(text) == "Done."


def test_runs_of_blank_lines_become_one():
    assert html_to_text("<p>a</p><p></p><p>&nbsp;</p><br><br><br><p>b</p>") == "a\n\nb"


def test_entities_and_non_ascii_text():
    assert html_to_text("<p>caf&eacute; &amp; &#8364;5 &lt;tag&gt; 日本</p>") == "café & €5 <tag> 日本"


def test_an_xml_declaration_or_meta_charset_does_not_change_the_reading():
    assert html_to_text('<?xml version="1.0" encoding="iso-8859-1"?><p>Grüße</p>') == "Grüße"
    assert html_to_text('<meta charset="koi8-r"><p>Grüße €</p>') == "Grüße €"


def test_external_entities_are_not_loaded():
    text = html_to_text('<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]><p>a&x;b</p>')
    assert "root:" not in text
    assert text.endswith("a&x;b")


def test_parser_is_set_up_without_network_and_without_huge_trees():
    parser = html._parser()
    document = lxml.html.document_fromstring(b"<p>x</p>", parser=parser)
    assert document.text_content() == "x"
    assert isinstance(parser, lxml.html.HTMLParser)


@pytest.mark.parametrize("value", ["", "   ", "<!-- only a comment -->", "\x00\x01", "<", "<<<>>>", "&",
                                   "<p", "</p></div></body>", "\ud800 lone surrogate", "<" * 10000,
                                   "<div>" * 5000 + "deep"])
def test_never_raises_on_broken_input(value):
    assert isinstance(html_to_text(value), str)


def test_deep_nesting_keeps_the_text():
    assert html_to_text("<div>" * 5000 + "deep") == "deep"


def test_plain_text_without_tags():
    assert html_to_text("just text & more") == "just text & more"


def test_fallback_to_nh3_when_lxml_fails(monkeypatch):
    def fail(*args, **kwargs):
        raise ValueError("parser broke")

    monkeypatch.setattr(html.lxml.html, "document_fromstring", fail)
    assert html_to_text("<p>one &amp; two</p><script>x()</script><p>three</p>") == "one & twothree"


def test_safe_html_keeps_structure_and_drops_everything_active():
    cleaned = safe_html('<p onclick="x()" style="color:red">Hi <b>there</b> <a href="https://e.example/" '
                        'target="_top">link</a> <a href="javascript:alert(1)">js</a></p>'
                        '<script>alert(1)</script>'
                        '<img src="https://tracker.example/p.gif"><form><input name="q"></form>'
                        '<table><tr><td colspan="2">cell</td></tr></table><iframe src="x"></iframe>')
    assert cleaned == ('<p>Hi <b>there</b> '
                       '<a href="https://e.example/" rel="noopener noreferrer nofollow">link</a> '
                       '<a rel="noopener noreferrer nofollow">js</a></p>'
                       '<table><tbody><tr><td colspan="2">cell</td></tr></tbody></table>')


def test_safe_html_keeps_quotes_and_lists():
    cleaned = safe_html("<blockquote><ul><li>a</li></ul></blockquote><!-- c -->")
    assert cleaned == "<blockquote><ul><li>a</li></ul></blockquote>"
