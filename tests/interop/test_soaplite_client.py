"""A real Perl SOAP::Lite client, signing as the platform does, against the
real server over HTTP."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from extdesk import IDENTIFICATION

pytestmark = pytest.mark.skipif(shutil.which("perl") is None, reason="perl is not installed")

CLIENT = Path(__file__).with_name("soaplite_client.pl")
NAMES = {
    "accents": "Zoë Émile Ångström",
    "cjk": "山田 太郎",
    "emoji": "😀🎉 party",
    "markup": "&<>\"' & ]]> <b>",
}


def soaplite(server, method, *args, style="uri", secret=None):
    completed = subprocess.run(
        ["perl", str(CLIENT), server.soap_url, secret or server.secret, method, json.dumps(list(args)),
         style],
        capture_output=True, timeout=120, check=True,
    )
    return json.loads(completed.stdout)


def test_greet_in_uri_and_ns_style(server):
    assert soaplite(server, "greet") == {"result": IDENTIFICATION, "http_status": "200"}
    assert soaplite(server, "greet", style="ns")["result"] == IDENTIFICATION


def test_alter_and_list_contacts_with_every_kind_of_name(server):
    records = [
        {"id": 100 + i, "email": f"{kind}@example.com", "first_name": name, "last_name": name,
         "accounts": f"acct-{kind}, shared"}
        for i, (kind, name) in enumerate(NAMES.items())
    ]
    assert soaplite(server, "alter_contacts", records)["result"] == str(len(records))
    # Sent again unchanged: SOAP::Lite's base64 autotyping must decode to the
    # very same text, or these would count as changed.
    assert soaplite(server, "alter_contacts", records)["result"] == "0"
    # A single hash (not an array) is a list of one.
    single = {"id": 99, "email": "single@example.com", "suffix": "true", "middle_name": "0042"}
    assert soaplite(server, "alter_contacts", single)["result"] == "1"
    listed = soaplite(server, "list_contacts")["result"]
    assert isinstance(listed, list), "SOAP::Lite must see an array, not a hash"
    assert [int(x) for x in listed] == sorted([99, *(r["id"] for r in records)])


def test_names_are_stored_exactly(server):
    """Read back through the database the server writes to."""
    import os

    env = {**os.environ, **server.env}
    script = (
        "import django; django.setup();"
        "from extdesk.contacts.models import Contact;"
        "import json;"
        "print(json.dumps({c.email: [c.first_name, c.middle_name, c.suffix] for c in Contact.objects.all()}))"
    )
    soaplite(server, "alter_contacts", [{"id": 201, "email": "exact@example.com",
                                         "first_name": "Zoë 山田 😀 &<>\"'", "middle_name": "0042",
                                         "suffix": "true"}])
    completed = subprocess.run(
        [sys.executable, "-c", script], env={
            **env, "DJANGO_SETTINGS_MODULE": "extdesk.conf.settings"},
        capture_output=True, text=True, timeout=60, check=True,
    )
    stored = json.loads(completed.stdout)
    assert stored["exact@example.com"] == ["Zoë 山田 😀 &<>\"'", "0042", "true"]


def test_faults_reach_soaplite_with_code_and_message(server):
    answer = soaplite(server, "alter_contacts", [{"id": "abc", "email": "x@example.com"}])
    assert answer["fault"]["code"] == "soap:Client"
    assert "record 1 (id abc): field 'id'" in answer["fault"]["string"]
    assert soaplite(server, "no_such_operation")["fault"]["code"] == "soap:Client"


def test_wrong_secret_is_refused_with_401(server):
    answer = soaplite(server, "greet", secret="a-wrong-secret-0123456789")
    assert answer == {"fault": {"code": "soap:Client", "string": "authentication failed"},
                      "http_status": "401"}
