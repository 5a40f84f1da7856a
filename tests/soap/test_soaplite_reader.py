"""The SOAP::Lite push reader splits the array at every "<": pieces that only
look like fields are left to the general decoder, and what it reads is what
the general decoder reads."""

from __future__ import annotations

import base64

import pytest
from lxml import etree

from extdesk.soap import envelope, soaplite
from extdesk.soap.exceptions import ClientFault
from tests.soap.test_soaplite_fast_path import _HEAD as _PUSH_HEAD
from tests.soap.test_soaplite_fast_path import _TAIL

pytestmark = pytest.mark.database_independent

_HEAD = _PUSH_HEAD.format(n=2)


def _general_items(document: str) -> list:
    call = envelope.decode_call(document.encode())
    return call.params[0][1]


def _read(inner: str) -> list | None:
    document = _HEAD + inner + _TAIL
    etree.fromstring(document.encode())  # the reader's precondition: well formed
    shape = soaplite.read(document)
    return None if shape is None else shape[3]


@pytest.mark.parametrize("inner", [
    '<item><a xsi:type="x>y">1</a></item>',                  # ">" inside an attribute value
    '<item><a xsi:type="xsd:string">1</a ></item>',          # space in an end tag
    '<item><a xsi:type="xsd:string" /> </item>',             # text after an empty field
    '<item><a xsi:type="xsd:string"/>x</item>',
    '<item><a>1</a>x</item>',                                # text after a field
    '<item>x<a>1</a></item>',                                # text before a field
    '<item><a><b>1</b></a></item>',                          # a struct inside a field
    '<item><a xsi:type="xsd:string" xml:lang="en">1</a></item>',  # another attribute
    '<item><a  xsi:type="xsd:string">1</a></item>',          # two spaces
    '<item><x:a xmlns:x="urn:x">1</x:a></item>',             # a prefixed field
    '<item><a>1</a></item> <item><b>2</b></item>',           # text between items
    '<item xsi:type="namesp1:SOAPStruct"><a>1</a></item>',   # an attribute on the item
    '<item><a>1<!-- c --></a></item>',                       # a comment in a value
    '<item><a><?pi x?>1</a></item>',                         # a processing instruction
])
def test_what_only_looks_like_a_plain_push_is_left_to_the_general_decoder(inner):
    assert _read(inner) is None


def test_values_read_from_the_pieces_are_the_general_decoders():
    wide = base64.b64encode("Zoë 😀".encode()).decode()
    latin = base64.b64encode("Zoë".encode("latin-1")).decode()
    inner = (
        '<item><id xsi:type="xsd:int">1</id><a xsi:type="xsd:string" /><b xsi:type="xsd:string"/>'
        f'<c xsi:type="xsd:base64Binary">{wide}</c><d xsi:type="xsd:base64Binary">{latin}</d>'
        '<e xsi:nil="true" /><f xsi:nil="1">ignored</f><g xsi:nil="false">kept</g>'
        '<h>&amp;&lt;&gt;&quot;&apos;&#233;&#x1F600;</h><i xsi:type="xsd:string">a\r\nb\rc&#13;</i>'
        '<j xsi:type="soapenc:Array" /><k xsi:type="namesp2:SOAPStruct"></k>'
        '<l xsi:type="xsd:base64Binary" /><m>1 &gt; 0</m><n/><o /></item>'
        '<item><item>x</item><p xsi:type="xsd:string">y</p></item>'
        '<item><a>1</a><item>2</item></item><item><b>3</b></item>'  # "</item><item>" in an item
    )
    items = _read(inner)
    assert items == _general_items(_HEAD + inner + _TAIL)
    assert items[0]["c"] == "Zoë 😀" and items[0]["d"] == "Zoë" and items[0]["e"] is None
    assert items[0]["i"] == "a\nb\nc\r" and items[0]["j"] == [] and items[0]["k"] == {}
    assert items[1:] == [{"item": "x", "p": "y"}, {"a": "1", "item": "2"}, {"b": "3"}]


def test_an_empty_array_and_broken_base64():
    assert _read("") == []
    with pytest.raises(ClientFault):
        _read('<item><a xsi:type="xsd:base64Binary">*</a></item>')


@pytest.mark.parametrize("slab", [1, 7, 40, 200])
def test_a_push_read_in_slabs_of_whole_items_is_read_whole(monkeypatch, slab):
    monkeypatch.setattr(soaplite, "_SLAB_CHARACTERS", slab)
    inner = "".join(
        f'<item><id xsi:type="xsd:int">{n}</id><email xsi:type="xsd:string">p{n}@example.com</email>'
        f'<last_name xsi:type="xsd:string">a&amp;b</last_name><suffix xsi:nil="true" /></item>'
        for n in range(1, 30)
    )
    assert _read(inner) == _general_items(_HEAD + inner + _TAIL)
    assert len(_read(inner)) == 29


@pytest.mark.parametrize("slab", [1, 12, 30])
def test_a_cut_after_a_field_named_item_leaves_the_push_to_the_general_decoder(monkeypatch, slab):
    monkeypatch.setattr(soaplite, "_SLAB_CHARACTERS", slab)
    inner = "<item><item>1</item><a>2</a></item><item><b>3</b></item>"
    items = _read(inner)
    assert items is None or items == _general_items(_HEAD + inner + _TAIL)
