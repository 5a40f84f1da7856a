"""The client against a helpdesk written with Perl SOAP::Lite: the protocol, not our dialect."""

from __future__ import annotations

import pytest

from extdesk.client import AuthenticationError, HelpdeskClient, SoapFault

from .conftest import run_client

TRICKY = {
    "id": 7,
    "email": "zoe@example.com",
    "prefix": "Dr.",
    "first_name": "Zoë 山田 😀",
    "insertion": "van der",
    "middle_name": "0042",
    "last_name": "<&>\"' O'Brien",
    "suffix": "true",
    "accounts": "1e5, acme",
}


@pytest.fixture
def client(perl_helpdesk):
    with HelpdeskClient(perl_helpdesk.url, perl_helpdesk.secret, retries=0) as client:
        yield client


def test_every_operation_is_understood_and_every_value_arrives_exactly(client, perl_helpdesk):
    assert client.greet() == "SOAP::Lite helpdesk"
    control = dict(TRICKY, id=8, email="ctl@example.com", last_name="tab\there\x01bell")
    assert client.alter_contacts([TRICKY, control]) == 2
    assert client.list_contacts()[-2:] == [7, 8]
    assert client.init_session(7, "2001:db8::1", "list") == (
        "http://soaplite.test/login?id=7&ip=2001:db8::1&act=list"
    )

    calls = perl_helpdesk.calls()
    pushed = next(call for call in reversed(calls) if call["method"] == "alter_contacts")
    # SOAP::Lite decoded our array of structs as an array of hashes, every
    # field exactly as given (a value XML cannot carry went as base64).
    assert pushed["params"] == [[
        {**TRICKY, "id": "7"},
        {**control, "id": "8"},
    ]]
    assert calls[-1] == {"method": "init_session", "params": ["7", "2001:db8::1", "list"]}


def test_a_fault_from_soaplite_is_a_soap_fault(client):
    with pytest.raises(SoapFault) as caught:
        client.init_session(999, "10.0.0.1", "add")
    assert caught.value.code == "Client"
    assert caught.value.string == "unknown person id 999"


def test_the_soaplite_server_refuses_a_wrong_secret(perl_helpdesk):
    before = len(perl_helpdesk.calls())
    with HelpdeskClient(perl_helpdesk.url, "not-the-right-secret-at-all", retries=0) as client, \
            pytest.raises(AuthenticationError, match="shared secret"):
        client.greet()
    assert len(perl_helpdesk.calls()) == before  # refused before dispatch


def test_the_sync_command_works_against_soaplite(perl_helpdesk, tmp_path):
    source = tmp_path / "people.ndjson"
    source.write_text(
        '{"id": 101, "email": "a@example.com", "first_name": "Ånne"}\n'
        '{"id": 102, "email": "b@example.com", "accounts": "x,y"}\n',
        encoding="utf-8",
    )
    secret_file = tmp_path / "secret"
    secret_file.write_text(perl_helpdesk.secret + "\n")
    secret_file.chmod(0o600)
    args = ("--url", perl_helpdesk.url, "--secret-file", str(secret_file),
            "--source", str(source), "--state", str(tmp_path / "state.json"))
    first = run_client("sync", *args)
    assert first.returncode == 0, first.stderr
    assert "pushed 2 persons in 1 batch" in first.stdout
    again = run_client("sync", *args)
    assert again.returncode == 0, again.stderr
    assert "pushed 0 persons" in again.stdout
    pushed = [call for call in perl_helpdesk.calls() if call["method"] == "alter_contacts"]
    assert pushed[-1]["params"][0][0]["first_name"] == "Ånne"
