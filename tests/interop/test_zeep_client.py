"""A WSDL-driven client (zeep) built from the served WSDL."""

from __future__ import annotations

import pytest
import zeep
from zeep.exceptions import Fault
from zeep.transports import Transport

from extdesk import IDENTIFICATION
from extdesk.soap import signature
from extdesk.soap.schemas import local_schema


class SigningTransport(Transport):
    """Signs every request; serves the SOAP encoding schema from disk."""

    def __init__(self, secret: str) -> None:
        super().__init__(timeout=60)
        self.secret = secret

    def load(self, url: str) -> bytes:
        return local_schema(url) or super().load(url)

    def post(self, address, message, headers):
        body = message if isinstance(message, bytes) else message.encode("utf-8")
        headers = {**headers, signature.HEADER_NAME: signature.sign(self.secret, body)}
        return super().post(address, body, headers)


@pytest.fixture(scope="module")
def client(server):
    return zeep.Client(f"{server.soap_url}?wsdl", transport=SigningTransport(server.secret))


def test_wsdl_describes_every_operation(client):
    operations = set(client.service._binding._operations)
    assert {"greet", "alter_contacts", "list_contacts"} <= operations


def test_greet(client):
    assert client.service.greet() == IDENTIFICATION


def test_alter_and_list_contacts(client):
    contact = client.get_type("ns0:Contact")
    array = client.get_type("ns0:ContactArray")
    records = [
        contact(id=7001, email="zeep1@example.com", first_name="Zoë 山田 😀", accounts="a, b"),
        contact(id=7002, email="zeep2@example.com", last_name="&<>\"'"),
    ]
    assert client.service.alter_contacts(array(records)) == 2
    assert client.service.alter_contacts(array(records)) == 0
    assert client.service.alter_contacts(array(records[:1])) == 0
    assert 7001 in client.service.list_contacts()
    ids = client.service.list_contacts()
    assert ids == sorted(ids)


def test_faults_are_raised_by_zeep(client):
    contact = client.get_type("ns0:Contact")
    array = client.get_type("ns0:ContactArray")
    with pytest.raises(Fault) as caught:
        client.service.alter_contacts(array([contact(id=7003, email="not an address")]))
    assert "field 'email'" in caught.value.message
    assert caught.value.code.endswith("Client")
