"""A first sync of 50,000 persons, then an incremental one after changing 10."""

from __future__ import annotations

import re

import pytest

from extdesk.client import HelpdeskClient

from .conftest import run_client

pytestmark = pytest.mark.slow

COUNT = 50_000
HEADER = "id,email,first_name,last_name,accounts"


def _row(i: int, last_name: str | None = None, accounts: str = "hosting-{i}, mail-{i}") -> str:
    return f"{i},person{i}@example.com,Zoë,{last_name or f'Name{i}'},\"{accounts.format(i=i)}\""


def test_fifty_thousand_then_exactly_ten(server, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(server.secret)
    secret_file.chmod(0o600)
    source = tmp_path / "people.csv"
    rows = [_row(i) for i in range(1, COUNT + 1)]
    source.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    args = ("sync", "--url", server.soap_url, "--secret-file", str(secret_file),
            "--source", str(source), "--state", str(tmp_path / "state.json"))

    first = run_client(*args)
    assert first.returncode == 0, first.stderr
    assert f"pushed {COUNT} persons in 50 batches ({COUNT} inserted or changed by the helpdesk)" \
        in first.stdout
    seconds = float(re.search(r"in ([0-9.]+) s", first.stdout)[1])
    print(f"\nfirst sync of {COUNT} persons: {seconds:.1f} s")
    with HelpdeskClient(server.soap_url, server.secret) as client:
        assert client.list_contacts() == list(range(1, COUNT + 1))

    changed = {1, 2, 777, 12_345, 25_000, 33_333, 40_001, 49_998, 49_999, COUNT}
    for i in changed:
        rows[i - 1] = _row(i, last_name=f"Changed{i}")
    # Reordered accounts are the same set to the helpdesk: not a change.
    rows[99] = _row(100, accounts="mail-{i},hosting-{i}")
    source.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")

    second = run_client(*args)
    assert second.returncode == 0, second.stderr
    assert "50000 persons; helpdesk held 50000: 0 missing, 10 changed, 49990 unchanged" in second.stdout
    assert "pushed 10 persons in 1 batch (10 inserted or changed by the helpdesk)" in second.stdout
    print(f"incremental sync pushing 10: {re.search(r'in ([0-9.]+) s', second.stdout)[1]} s")

    third = run_client(*args)
    assert "pushed 0 persons in 0 batches" in third.stdout
