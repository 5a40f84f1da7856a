"""Where the client's settings come from, and how bad ones are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from extdesk.client.errors import SettingsError
from extdesk.client.settings import load_settings

SECRET = "config-secret-0123456789"


def _flags(**values):
    return {"config": None, "url": None, "secret_file": None, "namespace": None, "ca_bundle": None,
            "timeout": None, "retries": None, "state": None, **values}


def test_flags_win_over_environment_which_wins_over_the_config_file(tmp_path):
    config = tmp_path / "client.toml"
    config.write_text(f'url = "https://config.example.com/soap/"\nsecret = "{SECRET}"\n'
                      'namespace = "urn:config"\ntimeout = 7\nretries = 1\nstate = "/tmp/state.json"\n')
    config.chmod(0o600)
    from_config = load_settings(_flags(config=str(config)), {})
    assert (from_config.url, from_config.secret, from_config.namespace) == (
        "https://config.example.com/soap/", SECRET, "urn:config")
    assert (from_config.timeout, from_config.retries) == (7.0, 1)
    assert from_config.state_path == Path("/tmp/state.json")
    env = {"EXTDESK_URL": "https://env.example.com/soap/", "EXTDESK_SECRET": "env-secret-0123456789"}
    from_env = load_settings(_flags(config=str(config)), env)
    assert (from_env.url, from_env.secret) == ("https://env.example.com/soap/", "env-secret-0123456789")
    secret_file = tmp_path / "secret"
    secret_file.write_text("file-secret-0123456789\n")
    secret_file.chmod(0o600)
    from_flags = load_settings(_flags(config=str(config), url="http://flag.example.com/soap/",
                                      secret_file=str(secret_file)), env)
    assert (from_flags.url, from_flags.secret) == ("http://flag.example.com/soap/", "file-secret-0123456789")
    assert SECRET not in repr(from_config)


def test_default_state_path_is_under_the_state_directory(tmp_path):
    settings = load_settings(_flags(url="https://h.example.com/soap/"),
                             {"EXTDESK_SECRET": SECRET, "XDG_STATE_HOME": str(tmp_path)})
    assert settings.state_path.parent == tmp_path / "extdesk"
    assert settings.verify is True


def test_a_secret_readable_by_others_is_warned_about(tmp_path, capsys):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o644)
    load_settings(_flags(url="https://h.example.com/soap/", secret_file=str(secret_file)), {})
    assert "readable by other users; chmod 600 it" in capsys.readouterr().err


@pytest.mark.parametrize(("flags", "env", "message"), [
    ({}, {"EXTDESK_SECRET": SECRET}, "no helpdesk URL"),
    ({"url": "helpdesk.example.com"}, {"EXTDESK_SECRET": SECRET}, "must be an http:// or https:// URL"),
    ({"url": "https://h.example.com/soap/"}, {}, "no shared secret"),
    ({"url": "https://h.example.com/soap/"}, {"EXTDESK_SECRET": "short"}, "shorter than 16"),
    ({"url": "https://h.example.com/soap/", "secret_file": "/nonexistent/secret"}, {},
     "the secret file /nonexistent/secret (--secret-file) does not exist"),
    ({"url": "https://h.example.com/soap/", "ca_bundle": "/nonexistent/ca.pem"}, {"EXTDESK_SECRET": SECRET},
     "the CA bundle /nonexistent/ca.pem does not exist"),
    ({"config": "/nonexistent/client.toml"}, {}, "the config file /nonexistent/client.toml does not exist"),
])
def test_bad_settings_name_the_setting(flags, env, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(_flags(**flags), env)


@pytest.mark.parametrize(("content", "message"), [
    ("url = ", "not valid TOML"),
    ('timeout = "soon"', "timeout has the wrong type"),
    ("retries = true", "retries has the wrong type"),
    ('password = "x"', "unknown setting 'password'"),
])
def test_bad_config_files_are_reported(tmp_path, content, message):
    config = tmp_path / "client.toml"
    config.write_text(content)
    with pytest.raises(SettingsError, match=message):
        load_settings(_flags(config=str(config)), {})
