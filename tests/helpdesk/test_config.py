"""Mail and attachment settings read from the environment (one configuration object)."""

from __future__ import annotations

import pytest

from extdesk.config import ConfigError, flag, integer, load_config

BASE = {"EXTDESK_SECRET": "x" * 16, "EXTDESK_DATA_DIR": "/tmp", "EXTDESK_BASE_URL": "https://help.example.com"}


def mail(env: dict[str, str]):
    return load_config({**BASE, **env}).email


def test_console_is_the_default():
    settings = mail({})
    assert settings.django_backend == "django.core.mail.backends.console.EmailBackend"
    assert settings.sender == "helpdesk@help.example.com"


def test_smtp_url_with_credentials_and_starttls():
    settings = mail({"EXTDESK_EMAIL_URL": "smtp://me%40corp:p%3Ass@mail.example.com:587?tls=true",
                     "EXTDESK_EMAIL_FROM": "support@corp.example"})
    assert settings.django_backend == "django.core.mail.backends.smtp.EmailBackend"
    assert (settings.host, settings.port) == ("mail.example.com", 587)
    assert (settings.user, settings.password) == ("me@corp", "p:ss")
    assert settings.use_tls is True and settings.use_ssl is False
    assert settings.sender == "support@corp.example"


def test_smtps_url_defaults_to_port_465():
    settings = mail({"EXTDESK_EMAIL_URL": "smtps://mail.example.com"})
    assert settings.port == 465 and settings.use_ssl is True


def test_smtp_variables():
    settings = mail({"EXTDESK_SMTP_HOST": "relay", "EXTDESK_SMTP_PORT": "2525",
                     "EXTDESK_SMTP_USER": "u", "EXTDESK_SMTP_PASSWORD": "p", "EXTDESK_SMTP_TLS": "yes"})
    assert settings.host == "relay"
    assert (settings.port, settings.use_tls) == (2525, True)


def test_file_url():
    settings = mail({"EXTDESK_EMAIL_URL": "file:///var/mail/extdesk"})
    assert settings.django_backend == "django.core.mail.backends.filebased.EmailBackend"
    assert settings.file_path == "/var/mail/extdesk"


@pytest.mark.parametrize(("env", "named"), [
    ({"EXTDESK_EMAIL_URL": "pop3://host"}, "EXTDESK_EMAIL_URL"),
    ({"EXTDESK_EMAIL_URL": "smtp://"}, "EXTDESK_EMAIL_URL"),
    ({"EXTDESK_EMAIL_URL": "smtp://host:99999"}, "EXTDESK_EMAIL_URL"),
    ({"EXTDESK_EMAIL_URL": "smtp://host?tls=maybe"}, "EXTDESK_EMAIL_URL"),
    ({"EXTDESK_EMAIL_URL": "smtps://host?tls=true"}, "EXTDESK_EMAIL_URL"),
    ({"EXTDESK_SMTP_HOST": "relay", "EXTDESK_SMTP_PORT": "abc"}, "EXTDESK_SMTP_PORT"),
    ({"EXTDESK_SMTP_HOST": "relay", "EXTDESK_SMTP_PORT": "70000"}, "EXTDESK_SMTP_PORT"),
    ({"EXTDESK_SMTP_HOST": "relay", "EXTDESK_SMTP_TLS": "sure"}, "EXTDESK_SMTP_TLS"),
    ({"EXTDESK_EMAIL_FROM": "not an address"}, "EXTDESK_EMAIL_FROM"),
])
def test_bad_values_name_the_variable(env, named):
    with pytest.raises(ConfigError, match=named):
        mail(env)


def test_attachment_and_outbox_numbers():
    config = load_config(BASE)
    assert (config.attachment_max_bytes, config.attachment_max_count) == (10 * 1024 * 1024, 5)
    assert (config.mail_max_attempts, config.mail_retry_seconds) == (10, 60)
    assert load_config({**BASE, "EXTDESK_ATTACHMENT_MAX_COUNT": "2"}).attachment_max_count == 2
    for name, bad in (("EXTDESK_ATTACHMENT_MAX_BYTES", "ten"), ("EXTDESK_ATTACHMENT_MAX_COUNT", "0"),
                      ("EXTDESK_MAIL_MAX_ATTEMPTS", "-1"), ("EXTDESK_MAIL_RETRY_SECONDS", "soon")):
        with pytest.raises(ConfigError, match=name):
            load_config({**BASE, name: bad})


def test_one_parser_per_type_names_the_variable():
    assert integer({}, "EXTDESK_X", 7) == 7
    assert integer({"EXTDESK_X": " 12 "}, "EXTDESK_X", 7) == 12
    with pytest.raises(ConfigError, match=r"EXTDESK_X='1\.5' is not a whole number"):
        integer({"EXTDESK_X": "1.5"}, "EXTDESK_X", 7)
    with pytest.raises(ConfigError, match="EXTDESK_X=3 must be at least 4"):
        integer({"EXTDESK_X": "3"}, "EXTDESK_X", 7, minimum=4)
    with pytest.raises(ConfigError, match="EXTDESK_X=9 must be at most 8"):
        integer({"EXTDESK_X": "9"}, "EXTDESK_X", 7, maximum=8)
    assert flag({"EXTDESK_Y": " Yes "}, "EXTDESK_Y", False) is True
    assert flag({"EXTDESK_Y": ""}, "EXTDESK_Y", True) is True
    with pytest.raises(ConfigError, match="EXTDESK_Y='maybe' must be true or false"):
        flag({"EXTDESK_Y": "maybe"}, "EXTDESK_Y", False)
