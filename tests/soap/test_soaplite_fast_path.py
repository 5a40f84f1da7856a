"""The SOAP::Lite array fast path answers exactly as the plain reader does,
or leaves the document to it."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extdesk.soap import decoding, envelope, soaplite
from extdesk.soap.exceptions import ClientFault

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope '
    'soap:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" '
    'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body>'
    '<alter_contacts xmlns="urn:HSPC/ExternalHelpdesk">'
    '<soapenc:Array soapenc:arrayType="xsd:anyType[{n}]" xsi:type="soapenc:Array">'
)
_TAIL = "</soapenc:Array></alter_contacts></soap:Body></soap:Envelope>"


def _general(data: bytes):
    """The general decoder's answer (or fault), whatever the document's size."""
    try:
        call = decoding._general_call(data)
        return "ok", (call.namespace, call.method, call.params)
    except ClientFault as fault:
        return "fault", fault.message


def _fast(data: bytes):
    try:
        shape = soaplite.read(data.decode("utf-8"))
    except ClientFault as exc:
        return "fault", str(exc)
    if shape is None:
        return None
    namespace, method, name, items = shape
    return "ok", (namespace, method, [(name, items)])


_texts = st.text(
    st.one_of(st.sampled_from("\r\n\t&<>\"' aé😀"),
              st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
    max_size=12,
)


def _escape(text: str) -> str:
    text = "".join(ch if ch in "\t\n\r" or ch >= " " else "" for ch in text)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;" if len(text) % 2 else "\r"))


@st.composite
def _field(draw, name: str) -> str:
    kind = draw(st.sampled_from(["string", "int", "base64", "bad64", "nil", "nilfalse", "empty",
                                 "untyped", "Array", "SOAPStruct", "boolean"]))
    text = draw(_texts)
    if kind == "base64":
        encoded = base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()
        return f'<{name} xsi:type="xsd:base64Binary">{encoded}</{name}>'
    if kind == "bad64":
        return f'<{name} xsi:type="xsd:base64Binary">*{len(text)}</{name}>'
    if kind == "nil":
        return f'<{name} xsi:nil="true" />'
    if kind == "nilfalse":
        return f'<{name} xsi:nil="false">{_escape(text)}</{name}>'
    if kind == "empty":
        return f'<{name} xsi:type="xsd:string" />'
    if kind == "untyped":
        return f"<{name}>{_escape(text)}</{name}>"
    prefix = "soapenc" if kind == "Array" else ("namesp1" if kind == "SOAPStruct" else "xsd")
    return f'<{name} xsi:type="{prefix}:{kind}">{_escape(text)}</{name}>'


_names = st.lists(st.sampled_from(["id", "email", "first_name", "item", "x.y", "accounts"]),
                  max_size=5, unique=True)
_item = _names.flatmap(lambda names: st.tuples(*(_field(name) for name in names))).map(
    lambda fields: "<item>" + "".join(fields) + "</item>"
)
_items = st.lists(_item, max_size=6)


@settings(max_examples=300, deadline=None)
@given(_items, st.sampled_from(["", "\n", "<!-- c -->", " "]))
def test_the_fast_path_agrees_with_the_general_decoder(items, trailer):
    data = (_HEAD.format(n=len(items)) + "".join(items) + _TAIL + trailer).encode()
    fast = _fast(data)
    if fast is not None:
        assert fast == _general(data)


def test_generated_pushes_mostly_take_the_fast_path():
    # Guards the property above against passing by always falling back.
    answered = []

    @settings(max_examples=100, deadline=None)
    @given(_items)
    def collect(items):
        answered.append(_fast((_HEAD.format(n=len(items)) + "".join(items) + _TAIL).encode()) is not None)

    collect()
    assert sum(answered) > len(answered) / 4


@pytest.mark.parametrize("document", [
    _HEAD.format(n=1) + '<item><a xsi:type="xsd:string">1</a></item>' + _TAIL,
    _HEAD.format(n=1).replace('xmlns:xsi=', 'xmlns:i=') + '<item><a>1</a></item>' + _TAIL,
])
def test_it_answers_for_the_shape_it_knows(document):
    if "xmlns:i=" in document:
        assert soaplite.read(document) is None  # xsi is not bound: not the shape
    else:
        assert soaplite.read(document) == ("urn:HSPC/ExternalHelpdesk", "alter_contacts", "Array",
                                           [{"a": "1"}])


@pytest.mark.parametrize("inner", [
    '<item><a xsi:type="xsd:string">1</a></item> ',                 # whitespace between elements
    '<item><a href="#r1"/></item>',                                # multi-ref
    '<item><a xsi:type="xsd:string"><![CDATA[1]]></a></item>',     # CDATA
    '<item><a xmlns:xsi="urn:other" xsi:type="xsd:base64Binary">AA==</a></item>',  # rebound prefix
    '<item><a xsi:type="xsd:string">1</a><a xsi:type="xsd:string">2</a></item>',  # repeated name
    '<item><item>1</item></item>',                                  # a lone <item>
    "<item></item>",                                                 # no fields
])
def test_anything_else_is_left_to_the_general_decoder(inner):
    assert soaplite.read(_HEAD.format(n=1) + inner + _TAIL) is None


def test_a_large_push_takes_the_fast_path_and_decodes_the_same():
    items = "".join(
        f'<item><id xsi:type="xsd:int">{n}</id><email xsi:type="xsd:string">p{n}@example.com</email>'
        f'<first_name xsi:type="xsd:base64Binary">{base64.b64encode("Zoë".encode()).decode()}</first_name>'
        f'<last_name xsi:type="xsd:string">&amp;&lt;&#233;</last_name><suffix xsi:nil="true" /></item>'
        for n in range(1, 400)
    )
    data = (_HEAD.format(n=399) + items + _TAIL).encode()
    assert len(data) > decoding._FAST_PATH_BYTES
    assert decoding._soaplite_array_call(data, len(data)) is not None
    call = envelope.decode_call(data)
    assert call.params[0][1][0] == {"id": "1", "email": "p1@example.com", "first_name": "Zoë",
                                    "last_name": "&<é", "suffix": None}
    assert ("ok", (call.namespace, call.method, call.params)) == _general(data)
