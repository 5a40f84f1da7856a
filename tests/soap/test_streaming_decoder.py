"""The one-pass request decoder: what it settles after the parse (hrefs,
unreadable values, structural faults) comes out as the lazy tree walk did."""

from __future__ import annotations

import pytest

from extdesk.soap.envelope import decode_call
from extdesk.soap.exceptions import ClientFault

pytestmark = pytest.mark.database_independent

_OPEN = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:x="urn:x">'
)


def _envelope(body: str, header: str = "") -> bytes:
    return f"{_OPEN}{header}<soap:Body>{body}</soap:Body></soap:Envelope>".encode()


def test_an_unreadable_value_nobody_references_is_no_fault():
    data = _envelope('<x:m><p>1</p></x:m><r id="r1" xsi:type="xsd:base64Binary">!!</r>')
    assert decode_call(data).params == [("p", "1")]


def test_an_unreadable_value_reached_through_an_href_is_a_fault():
    data = _envelope('<x:m><p href="#r1"/></x:m><r id="r1" xsi:type="xsd:base64Binary">!!</r>')
    with pytest.raises(ClientFault, match="not valid base64"):
        decode_call(data)


def test_malformed_xml_is_reported_as_such_even_after_an_unreadable_value():
    data = _envelope('<x:m><p xsi:type="xsd:base64Binary">!!</p></x:m><broken>')
    with pytest.raises(ClientFault, match="not well-formed"):
        decode_call(data)


def test_text_split_by_comments_and_cdata_is_read_whole():
    data = _envelope("<x:m><p>a<!-- c -->b<![CDATA[<&>]]>c&amp;d</p></x:m>")
    assert decode_call(data).params == [("p", "ab<&>c&d")]


def test_the_first_element_with_an_id_wins_and_the_last_body_counts():
    data = (
        f'{_OPEN}<soap:Body><x:old>1</x:old></soap:Body><soap:Body><x:m><p href="#a"/><q href="#a"/></x:m>'
        '<r id="a"><v id="a">inner</v></r></soap:Body></soap:Envelope>'
    ).encode()
    call = decode_call(data)
    assert call.method == "m"
    assert call.params == [("p", {"v": "inner"}), ("q", {"v": "inner"})]


def test_a_header_that_must_be_understood_is_refused_after_the_body():
    data = (
        f'{_OPEN}<soap:Body><x:m/></soap:Body>'
        '<soap:Header><h soap:mustUnderstand="1"/></soap:Header></soap:Envelope>'
    ).encode()
    with pytest.raises(ClientFault, match="'h' must be understood"):
        decode_call(data)


def test_a_dtd_in_a_utf16_document_is_refused():
    data = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE e []>'
            f'{_OPEN}<soap:Body><x:m/></soap:Body></soap:Envelope>').encode("utf-16")
    with pytest.raises(ClientFault, match="DTD"):
        decode_call(data)


def test_a_lone_untyped_item_is_an_array_and_repeated_names_too():
    data = _envelope("<x:m><a><item>1</item></a><b><c>1</c><c>2</c></b><d><c>1</c><e>2</e></d></x:m>")
    assert decode_call(data).params == [("a", ["1"]), ("b", ["1", "2"]), ("d", {"c": "1", "e": "2"})]
