"""fields, charsets and flowed: header values, charsets and format=flowed
read the way mail programs write them."""

from __future__ import annotations

import pytest

from extdesk.mail import charsets, fields, flowed

pytestmark = pytest.mark.database_independent


@pytest.mark.parametrize(("raw", "text"), [
    ("=?utf-8?q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
    ("=?UTF-8?B?R3LDvMOfZQ==?=", "Grüße"),
    ("=?utf-8?b?R3LDvMOfZQ?=", "Grüße"),  # padding missing
    ("=?iso-8859-1?q?caf=E9_au_lait?=", "café au lait"),  # "_" is a space in Q
    ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),  # whitespace between encoded words is no text
    ("=?utf-8?q?a?= b =?utf-8?q?c?=", "a b c"),
    ("=?utf-8?B?8J+Y?= =?utf-8?B?gA==?=", "😀"),  # one character split over two words
    ("=?koi8-r?b?8NLJ18XU?=", "Привет"),
    ("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=", "日本語"),
    ("=?utf-8*en?q?hello?=", "hello"),  # RFC 2231 language
    ("=?x-unknown?q?caf=C3=A9?=", "café"),  # unknown charset: utf-8
    ("=?utf-8?x?abc?=", "=?utf-8?x?abc?="),  # no such encoding: kept as written
    ("plain \udcc3\udcbc text", "plain ü text"),  # raw UTF-8 (RFC 6532)
    ("plain \udcfc text", "plain ü text"),  # raw windows-1252
    ("folded\r\n line\n\tand tab", "folded line and tab"),
    ("bell\x07 and escape\x1b", "bell and escape"),
])
def test_decode_text(raw, text):
    assert fields.decode_text(raw) == text


def test_decoding_problems_are_recorded_once():
    defects: list[str] = []
    fields.decode_text("=?x-nonsense?q?a?= =?x-nonsense?q?b?=", defects)
    assert defects == ["header: unknown charset 'x-nonsense'"]


def test_decode_line_collapses_whitespace():
    assert fields.decode_line("  a \t b\r\n  c  ") == "a b c"


@pytest.mark.parametrize(("raw", "expected"), [
    ("<abc@x.example>", "abc@x.example"),
    (" < abc @ x.example > ", "abc@x.example"),
    ("abc@x.example", "abc@x.example"),
    ("<a@x> <b@x>", "a@x"),
    ("", ""),
    (None, ""),
])
def test_message_id(raw, expected):
    assert fields.message_id(raw) == expected


def test_message_ids_from_several_headers_in_order_each_once():
    found = fields.message_ids(["<a@x> <b@x>", "<b@x>\r\n <c@x>", "d@x e@x, f"])
    assert found == ["a@x", "b@x", "c@x", "d@x", "e@x"]


@pytest.mark.parametrize(("raw", "expected"), [
    ('"Müller, Hans" <h@x.example>', [("Müller, Hans", "h@x.example")]),
    ("=?utf-8?q?M=C3=BCller?= <m@x.example>, other@x.example", [("Müller", "m@x.example"),
                                                                 ("", "other@x.example")]),
    ("h@x.example (Hans Müller)", [("Hans Müller", "h@x.example")]),
    ('"\udcc3\udcbc" <u@x.example>', [("ü", "u@x.example")]),
    ("MAILER DAEMON <>", [("MAILER DAEMON", "")]),
    ("Undisclosed recipients:;", []),
])
def test_addresses(raw, expected):
    assert [entry for entry in fields.addresses([raw]) if entry[1] or entry[0]] == expected


def test_very_long_address_headers_are_read_by_the_lax_reader():
    value = ", ".join(f"user{number}@x.example" for number in range(2000))
    found = fields.addresses([value])
    assert len(found) == 2000
    assert found[-1] == ("", "user1999@x.example")


@pytest.mark.parametrize(("address", "usable"), [
    ("a@b.example", True), ("a@b", True), ("a", False), ("@b.example", False), ("a@", False),
    ("a b@c.example", False), ("", False),
])
def test_usable(address, usable):
    assert fields.usable(address) is usable


def test_without_controls_keeps_what_it_is_told_and_replaces_surrogates():
    assert fields.without_controls("a\tb\nc\x00d\x85e\ud800", keep="\t\n") == "a\tb\ncde\ufffd"
    assert fields.without_controls("plain") == "plain"


@pytest.mark.parametrize(("label", "codec"), [
    ("utf-8", "utf-8"), ("UTF8", "utf-8"), ('"iso-8859-1"', "iso8859-1"), ("windows-874", "cp874"),
    ("ks_c_5601-1987", "euc_kr"), ("x-unknown", None), ("unknown-8bit", None), ("base64", None),
    ("rot13", None), ("undefined", None), ("idna", None), ("", None), (None, None), ("x" * 100, None),
])
def test_codec_for(label, codec):
    assert charsets.codec_for(label) == codec


@pytest.mark.parametrize(("data", "label", "text", "defect"), [
    ("Grüße".encode("latin-1"), "iso-8859-1", "Grüße", None),
    (b"\x93quoted\x94", "iso-8859-1", "“quoted”", None),  # windows-1252 under a latin-1 label
    ("中文".encode("gbk"), "gb2312", "中文", None),
    ("①".encode("cp932"), "shift_jis", "①", None),
    ("Grüße".encode(), "iso-8859-2", "GrĂźĂ\x9fe", None),  # a valid latin-2 reading wins
    ("Grüße".encode(), "us-ascii", "Grüße", "the text is not valid 'us-ascii'"),
    (b"\xff\xfe", "utf-8", "\ufffd\ufffd", "the text is not valid 'utf-8'"),
    ("日本".encode("shift_jis") + b"\x81", "shift_jis", "日本\ufffd", "the text is not valid 'shift_jis'"),
    ("Grüße".encode("cp1252"), "x-klingon", "Grüße", "unknown charset 'x-klingon'"),
    (b"plain", None, "plain", None),
])
def test_decode(data, label, text, defect):
    assert charsets.decode(data, label) == (text, defect)


def test_unescape_surrogates():
    assert charsets.unescape_surrogates("a\udcc3\udcbc") == "aü"
    assert charsets.unescape_surrogates("a\udcfc") == "aü"
    assert charsets.unescape_surrogates("a\ud800\udcfc") == "a\ufffdü"
    # Each run of bytes is read on its own: UTF-8 and windows-1252 in one header.
    assert charsets.unescape_surrogates("\udcc3\udcbc and \udcfc") == "ü and ü"
    assert charsets.unescape_surrogates("plain") == "plain"


@pytest.mark.parametrize(("text", "delsp", "expected"), [
    ("one \ntwo \nthree\n", False, "one two three\n"),
    ("one \ntwo\n", True, "onetwo\n"),
    ("> quoted \n> text\n>> deeper \n>> more\n", False, "> quoted text\n>> deeper more\n"),
    ("> quoted \nnot quoted\n", False, "> quoted \nnot quoted\n"),  # a soft break does not change depth
    (" >stuffed\n", False, ">stuffed\n"),  # space-stuffing removed
    ("-- \nsignature\n", False, "-- \nsignature\n"),  # the separator is never flowed
    ("trailing \n", False, "trailing \n"),
    ("", False, ""),
])
def test_unflow(text, delsp, expected):
    assert flowed.unflow(text, delsp=delsp) == expected
