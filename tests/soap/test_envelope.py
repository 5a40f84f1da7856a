"""The envelope codec against every shape SOAP::Lite 1.27 sends, and the
responses it must be able to read."""

from __future__ import annotations

import base64

import pytest
from lxml import etree

from extdesk.soap.envelope import (
    decode_call,
    decode_response,
    encode_call,
    encode_response,
    iter_int_array_response,
)
from extdesk.soap.exceptions import ClientFault, FaultReceived
from extdesk.soap.faults import encode_fault
from tests.support.captures import capture_body

pytestmark = pytest.mark.database_independent

NS = "urn:HSPC/ExternalHelpdesk"
ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope '
    'soap:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" '
    'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body>{}</soap:Body></soap:Envelope>'
)


def envelope(inner: str) -> bytes:
    return ENVELOPE.format(inner).encode("utf-8")


def test_greet_without_arguments_is_a_nil_call_element():
    call = decode_call(capture_body("01-greet"))
    assert (call.namespace, call.method, call.params) == (NS, "greet", [])


def test_ns_style_call_with_prefixed_element():
    call = decode_call(capture_body("06-greet_ns_style"))
    assert (call.namespace, call.method, call.params) == (NS, "greet", [])


def test_array_of_hashes_with_base64_boolean_nil_and_escapes():
    call = decode_call(capture_body("02-alter_contacts_array2"))
    assert call.method == "alter_contacts"
    [(name, records)] = call.params
    assert name == "Array"
    assert records == [
        {
            "middle_name": "M",
            "insertion": "van der",
            "prefix": "Dr.",
            "email": "zoe@example.com",
            "id": "17",
            "accounts": "acme, beta ,,gamma",
            "first_name": "Zoë 山田 😀",
            "suffix": "Jr.",
            "last_name": "&<>\"'",
        },
        {
            "id": "18",
            "email": "bob@example.org",
            "prefix": "",
            "accounts": "",
            "middle_name": "",
            "insertion": None,
            "first_name": "Bob",
            # An autotyped boolean keeps its literal text for a string field.
            "suffix": "true",
            "last_name": "Smith",
        },
    ]


def test_single_hash_parameter_is_a_struct():
    call = decode_call(capture_body("03-alter_contacts_single_hashref"))
    [(name, record)] = call.params
    assert name == "c-gensym6"
    assert record["id"] == "17" and record["first_name"] == "Zoë 山田 😀"


def test_scalar_parameters_named_c_gensym():
    call = decode_call(capture_body("05-init_session"))
    assert call.params == [("c-gensym10", "42"), ("c-gensym12", "203.0.113.7"), ("c-gensym14", "add")]


def test_multi_ref_items_are_resolved():
    call = decode_call(capture_body("07-alter_contacts_multiref"))
    [(_, records)] = call.params
    assert records == [{"email": "m@example.com", "id": "19"}] * 2


def test_empty_array():
    call = decode_call(capture_body("10-alter_contacts_empty_array"))
    assert call.params == [("Array", [])]


def test_unqualified_children_and_any_namespace():
    call = decode_call(envelope(
        '<m:alter_contacts xmlns:m="urn:other"><contacts xsi:type="soapenc:Array" '
        'soapenc:arrayType="xsd:anyType[1]"><item><id>5</id><email>a@b.example</email></item>'
        "</contacts></m:alter_contacts>"
    ))
    assert call.namespace == "urn:other"
    assert call.params == [("contacts", [{"id": "5", "email": "a@b.example"}])]


def test_untyped_item_list_without_array_type_is_an_array():
    call = decode_call(envelope(
        f'<alter_contacts xmlns="{NS}"><list><item><id>1</id></item><item><id>2</id></item>'
        "</list></alter_contacts>"
    ))
    assert call.params == [("list", [{"id": "1"}, {"id": "2"}])]


def test_literal_text_is_kept_for_numbers_that_look_like_numbers():
    call = decode_call(envelope(
        f'<f xmlns="{NS}"><a xsi:type="xsd:int">0042</a><b xsi:type="xsd:float">1e5</b>'
        '<c xsi:type="xsd:long">9223372036854775807</c></f>'
    ))
    assert [value for _, value in call.params] == ["0042", "1e5", "9223372036854775807"]


def test_base64_that_is_not_utf8_is_latin1():
    data = base64.b64encode("Zoë".encode("latin-1")).decode()
    call = decode_call(envelope(f'<f xmlns="{NS}"><a xsi:type="xsd:base64Binary">{data}</a></f>'))
    assert call.params == [("a", "Zoë")]


@pytest.mark.parametrize(
    "body, message",
    [
        (b"", "empty"),
        (b"not xml at all", "well-formed"),
        (b"<a><b></a>", "well-formed"),
        (b'<?xml version="1.0"?><Envelope/>', "not a SOAP 1.1 Envelope"),
        (envelope("").replace(b"<soap:Body></soap:Body>", b""), "no Body"),
        (envelope(""), "Body is empty"),
        (envelope(f'<f xmlns="{NS}"><a xsi:type="xsd:base64Binary">@@@</a></f>'), "base64"),
        (envelope(f'<f xmlns="{NS}"><a href="#nowhere"/></f>'), "names no element"),
        (envelope(f'<f xmlns="{NS}"><a href="#x"/></f><g id="x"><h href="#x"/></g>'), "cycle"),
        (envelope(f'<f xmlns="{NS}"><a href="http://example.com/x"/></f>'), "inside the envelope"),
    ],
)
def test_malformed_requests_are_client_faults(body, message):
    with pytest.raises(ClientFault, match=message):
        decode_call(body)


def test_must_understand_header_is_refused():
    body = envelope(f'<greet xmlns="{NS}"/>').replace(
        b"<soap:Body>",
        b'<soap:Header><x:auth xmlns:x="urn:x" soap:mustUnderstand="1">k</x:auth></soap:Header><soap:Body>',
    )
    with pytest.raises(ClientFault, match="must be understood"):
        decode_call(body)


def test_billion_laughs_is_refused_without_expansion():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
            for i in range(1, 10)
        )
        + b"]>"
        + envelope(f'<greet xmlns="{NS}"><a>&lol9;</a></greet>').split(b"?>", 1)[1]
    )
    with pytest.raises(ClientFault, match="DTD"):
        decode_call(bomb)


def test_external_entity_is_refused(tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("TOPSECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret_file}">]>'.encode()
        + envelope(f'<greet xmlns="{NS}"><a>&xxe;</a></greet>').split(b"?>", 1)[1]
    )
    with pytest.raises(ClientFault) as caught:
        decode_call(body)
    assert "TOPSECRET" not in str(caught.value)


def test_document_over_the_size_limit_is_refused():
    with pytest.raises(ClientFault, match="larger than"):
        decode_call(envelope(f'<greet xmlns="{NS}"/>'), max_bytes=100)


# --- responses -----------------------------------------------------------------


def test_string_response_shape_for_soaplite():
    body = encode_response(NS, "greet", "Extdesk 1.0.0")
    root = etree.fromstring(body)
    response = root[0][0]
    assert response.tag == f"{{{NS}}}greetResponse"
    result = response[0]
    assert result.tag == "result" and result.text == "Extdesk 1.0.0"
    assert result.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "xsd:string"
    assert decode_response(body) == "Extdesk 1.0.0"


def test_int_and_int_array_responses_round_trip():
    assert decode_response(encode_response(NS, "alter_contacts", 3)) == 3
    body = b"".join(iter_int_array_response(NS, "list_contacts", [1, 5, 9], 3))
    result = etree.fromstring(body)[0][0][0]
    assert result.get("{http://schemas.xmlsoap.org/soap/encoding/}arrayType") == "xsd:int[3]"
    assert decode_response(body) == [1, 5, 9]
    assert decode_response(b"".join(iter_int_array_response(NS, "list_contacts", [], 0))) == []


def test_fault_response_is_decoded_with_code_and_message():
    with pytest.raises(FaultReceived) as caught:
        decode_response(encode_fault("Client", "record 2 (id 7): field 'email': bad & <wrong>"))
    assert caught.value.code == "Client"
    assert caught.value.message == "record 2 (id 7): field 'email': bad & <wrong>"


@pytest.mark.parametrize(
    "value",
    ["Zoë 山田 😀", "&<>\"'", "line\r\nbreak\ttab", "", "  spaced  ", "\x01control\x1f", "\ufffe"],
)
def test_strings_round_trip_exactly(value):
    body = encode_call(NS, "echo", [("text", value)])
    assert decode_call(body).params == [("text", value)]
    assert decode_response(encode_response(NS, "echo", value)) == value


def test_request_encoding_mirrors_soaplite_shapes():
    body = encode_call(NS, "alter_contacts", [("contacts", [{"id": 3, "email": "x@y.example"}])])
    call = decode_call(body)
    assert call.namespace == NS
    assert call.params == [("contacts", [{"id": "3", "email": "x@y.example"}])]
    assert b'soapenc:arrayType="xsd:anyType[1]"' in body
    assert decode_call(encode_call(NS, "greet", [])).params == []
