"""The client library and ``extdesk client`` against the real Extdesk server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from extdesk.client import AuthenticationError, HelpdeskClient, Person, SoapFault
from extdesk.client.state import SyncState
from extdesk.client.sync import sync

from .conftest import run_client

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def secret_file(server, tmp_path_factory):
    path = tmp_path_factory.mktemp("secret") / "secret"
    path.write_text(server.secret + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def client(server):
    with HelpdeskClient(server.soap_url, server.secret, retries=0) as client:
        yield client


@pytest.fixture
def cli(server, secret_file, tmp_path):
    """Runs ``extdesk client`` with the server's URL and secret file and a fresh state."""

    def run(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
        connection = ("--url", server.soap_url, "--secret-file", str(secret_file))
        state = ("--state", str(tmp_path / "state.json")) if args[0] in ("sync", "status") else ()
        return run_client(*args, *connection, *state, **kwargs)

    return run


def _write_csv(path, people):
    lines = ["id,email,first_name,last_name,accounts"]
    lines += [f"{p.id},{p.email},{p.first_name},{p.last_name},\"{p.accounts}\"" for p in people]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_library_calls(client):
    assert client.greet() == "Extdesk 1.0.0"
    zoe = {"id": 9001, "email": "zoe@example.com", "first_name": "Zoë 山田 😀", "last_name": "<&>\"'",
           "middle_name": "0042", "suffix": "true", "accounts": "acme, beta"}
    bob = {"id": "9002", "email": "bob@example.com"}
    assert client.alter_contacts([zoe, bob]) == 2
    assert client.alter_contacts([zoe, bob]) == 0
    assert client.alter_contacts([dict(zoe, last_name="Changed")]) == 1
    assert {9001, 9002} <= set(client.list_contacts())
    assert client.list_contacts() == sorted(client.list_contacts())


def test_library_refuses_bad_input_before_sending(client):
    before = client.list_contacts()
    with pytest.raises(ValueError, match=r"record 2 \(id 9004\), field email"):
        client.alter_contacts([{"id": 9003, "email": "ok@example.com"}, {"id": 9004, "email": "nope"}])
    with pytest.raises(ValueError, match="not an IPv4 or IPv6 address"):
        client.init_session(9001, "10.0.0.300", "add")
    with pytest.raises(ValueError, match="act must be one of add, list"):
        client.init_session(9001, "10.0.0.1", "delete")
    assert client.list_contacts() == before


def test_a_fault_of_the_server_is_a_soap_fault_with_its_text(client):
    # Sent unvalidated, so that the server is the one refusing it.
    broken = Person(9010, "ok@example.com", last_name="x" * 300)
    with pytest.raises(SoapFault) as caught:
        client.push_batch([broken])
    assert caught.value.code == "Client"
    assert "9010" in caught.value.string and "last_name" in caught.value.string
    assert 9010 not in client.list_contacts()


def test_init_session_gives_a_login_url(client, server):
    client.alter_contacts([{"id": 9020, "email": "s@example.com"}])
    url = client.init_session(9020, "127.0.0.1", "list")
    assert url.startswith(server.base_url + "/")
    assert url != client.init_session(9020, "127.0.0.1", "list")  # single-use tokens


def test_wrong_secret_is_an_authentication_error(server, cli, tmp_path):
    with HelpdeskClient(server.soap_url, "a-wrong-secret-0123456789", retries=3) as wrong, \
            pytest.raises(AuthenticationError, match="shared secret"):
        wrong.greet()
    bad = tmp_path / "bad-secret"
    bad.write_text("a-wrong-secret-0123456789")
    bad.chmod(0o600)
    result = run_client("greet", "--url", server.soap_url, "--secret-file", str(bad))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "HTTP 401" in result.stderr
    assert "a-wrong-secret" not in result.stderr + result.stdout
    status = run_client("status", "--url", server.soap_url, "--secret-file", str(bad))
    assert status.returncode == 1
    assert "reachable: yes, but it refused the request" in status.stdout.splitlines()


def test_greet_list_session_commands(cli, client, server):
    client.alter_contacts([{"id": 9030, "email": "c@example.com"}])
    greet = cli("greet")
    assert (greet.returncode, greet.stdout, greet.stderr) == (0, "Extdesk 1.0.0\n", "")
    listed = cli("list")
    assert listed.returncode == 0
    assert [int(line) for line in listed.stdout.split()] == client.list_contacts()
    session = cli("session", "9030", "10.1.2.3", "add")
    assert session.returncode == 0, session.stderr
    assert session.stdout.startswith(server.base_url + "/") and session.stdout.count("\n") == 1
    unknown = cli("session", "987654321", "10.1.2.3", "add")
    assert unknown.returncode == 1 and unknown.stderr.startswith("extdesk client: ")
    assert unknown.stderr.count("\n") == 1


@pytest.mark.parametrize(("args", "message"), [
    (("session", "abc", "10.0.0.1", "add"), "must be an integer"),
    (("session", "1", "10.0.0.1", "edit"), "invalid choice"),
    (("session", "1", "nowhere", "add"), "not an IPv4 or IPv6 address"),
    (("sync", "--batch-size", "0", "--source", "x.csv"), "must be from 1 to 10000"),
    (("sync",), "--source"),
])
def test_usage_errors_exit_2_with_one_line(cli, args, message):
    result = cli(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_a_secret_on_the_command_line_is_refused_without_echoing_it(server):
    for args in (("--secret", "visible-secret-0123456789"), ("--secret=visible-secret-0123456789",)):
        result = run_client("greet", "--url", server.soap_url, *args)
        assert result.returncode == 2 and "--secret-file" in result.stderr
        assert "visible-secret" not in result.stderr + result.stdout


def test_settings_come_from_environment_and_config_file(server, secret_file, tmp_path):
    env = {"EXTDESK_URL": server.soap_url, "EXTDESK_SECRET": server.secret}
    assert run_client("greet", env=env).stdout == "Extdesk 1.0.0\n"
    config = tmp_path / "client.toml"
    config.write_text(f'url = "{server.soap_url}"\nsecret_file = "{secret_file}"\ntimeout = 30\n')
    assert run_client("greet", "--config", str(config)).stdout == "Extdesk 1.0.0\n"
    config.write_text(f'url = "{server.soap_url}"\nsecret = "short"\n')
    result = run_client("greet", "--config", str(config))
    assert result.returncode == 2 and "shorter than 16 characters" in result.stderr
    config.write_text('url = "ftp://x"\nsecret_word = "x"\n')
    result = run_client("greet", "--config", str(config))
    assert result.returncode == 2 and "unknown setting 'secret_word'" in result.stderr
    result = run_client("greet", "--url", server.soap_url)
    assert result.returncode == 2 and "no shared secret" in result.stderr


def test_the_client_command_does_not_start_django(server, secret_file):
    code = textwrap.dedent(f"""
        import sys
        from extdesk.cli import main
        code = main(["client", "greet", "--url", {server.soap_url!r}, "--secret-file", {str(secret_file)!r}])
        print("django loaded" if "django" in sys.modules else "no django", code)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "no django 0", result.stderr


def test_sync_validates_every_row_before_sending_anything(cli, client, tmp_path):
    before = client.list_contacts()
    source = tmp_path / "bad.csv"
    source.write_text("id,email\n9101,a@example.com\n9102,broken\n9103,c@example.com\n9104,\n")
    result = cli("sync", "--source", str(source))
    assert result.returncode == 2
    assert result.stderr == (f"extdesk client: {source} line 3 (id 9102), field email: 'broken' is not a "
                             "valid e-mail address (and 1 more invalid row); nothing was sent\n")
    assert client.list_contacts() == before


def test_sync_status_dry_run_and_all(cli, client, tmp_path):
    people = [Person(9200 + i, f"s{i}@example.com", first_name="Ünal", last_name=f"S{i}", accounts="a, b")
              for i in range(25)]
    source = tmp_path / "people.csv"
    _write_csv(source, people)
    held_before = len(client.list_contacts())

    status = cli("status", "--source", str(source))
    assert status.returncode == 0, status.stderr
    assert "reachable:               yes" in status.stdout
    assert "source persons:          25" in status.stdout
    assert "missing:                 25" in status.stdout

    dry = cli("sync", "--source", str(source), "--dry-run")
    assert dry.returncode == 0 and "would push 25 persons; nothing was sent" in dry.stdout
    assert len(client.list_contacts()) == held_before

    first = cli("sync", "--source", str(source), "--batch-size", "10")
    assert first.returncode == 0, first.stderr
    assert "pushed 25 persons in 3 batches (25 inserted or changed by the helpdesk)" in first.stdout
    # Not a terminal: plain progress lines, never a redrawn bar.
    assert "\r" not in first.stderr and "pushed 25/25 persons" in first.stderr

    status = cli("status", "--source", str(source))
    assert "missing:                 0" in status.stdout
    assert "changed since last sync: 0" in status.stdout

    everyone = cli("sync", "--source", str(source), "--all", "--quiet")
    assert everyone.returncode == 0 and everyone.stderr == ""
    assert "pushed 25 persons in 1 batch (0 inserted or changed by the helpdesk)" in everyone.stdout

    stdin = source.read_text(encoding="utf-8").replace("S3,", "Renamed,")
    piped = cli("sync", "--source", "-", stdin=stdin)
    assert "pushed 1 person in 1 batch (1 inserted or changed by the helpdesk)" in piped.stdout


def test_interrupted_sync_resumes_with_exactly_the_rest(server, client, tmp_path):
    people = [Person(20_000 + i, f"r{i}@example.com", last_name=f"R{i}") for i in range(1000)]
    state = SyncState(tmp_path / "state.json", server.soap_url)

    class InterruptAfterThreeBatches:
        def start(self, total):
            pass

        def advance(self, done):
            if done == 300:
                raise KeyboardInterrupt

        def finish(self):
            pass

    small = HelpdeskClient(server.soap_url, server.secret, batch_size=100)
    with pytest.raises(KeyboardInterrupt):
        sync(small, people, state, progress=InterruptAfterThreeBatches(), save_interval=3600)
    saved = SyncState.load(tmp_path / "state.json", server.soap_url)
    assert len(saved) == 300
    resumed = sync(small, people, saved)
    assert resumed.pushed == 700 and resumed.reported_changed == 700
    assert len(resumed.plan.missing) == 700 and resumed.plan.unchanged == 300
    assert sync(small, people, SyncState.load(tmp_path / "state.json", server.soap_url)).pushed == 0
    small.close()


@pytest.mark.parametrize(("stop", "first_id"), [(signal.SIGINT, 30_000), (signal.SIGTERM, 60_000)])
def test_stopping_the_command_leaves_a_true_state(server, secret_file, tmp_path, stop, first_id):
    people = [Person(first_id + i, f"k{i}@example.com", last_name=f"K{i}") for i in range(20_000)]
    source = tmp_path / "people.csv"
    _write_csv(source, people)
    state_path = tmp_path / "state.json"
    args = ["--url", server.soap_url, "--secret-file", str(secret_file), "--source", str(source),
            "--state", str(state_path), "--batch-size", "50"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTDESK_")}
    process = subprocess.Popen([sys.executable, "-m", "extdesk.cli", "client", "sync", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    first_line = process.stderr.readline()  # the first progress line: pushing is under way
    assert first_line.startswith("pushed "), first_line
    process.send_signal(stop)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "interrupted" in err and "run sync again to resume" in err
    recorded = len(SyncState.load(state_path, server.soap_url))
    assert 0 < recorded < 20_000

    resumed = run_client("sync", *args)
    assert resumed.returncode == 0, resumed.stderr
    assert f"pushed {20_000 - recorded} persons" in resumed.stdout
    with HelpdeskClient(server.soap_url, server.secret) as client:
        assert set(range(first_id, first_id + 20_000)) <= set(client.list_contacts())
