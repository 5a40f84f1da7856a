"""Mail and attachment settings read from the environment."""

from __future__ import annotations

import pytest

from extdesk.config import ConfigError
from extdesk.helpdesk.config import attachment_limits, email_settings

FROM = "helpdesk@example.com"


def test_console_is_the_default():
    settings = email_settings({}, FROM)
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["DEFAULT_FROM_EMAIL"] == FROM


def test_smtp_url_with_credentials_and_starttls():
    settings = email_settings({"EXTDESK_EMAIL_URL": "smtp://me%40corp:p%3Ass@mail.example.com:587?tls=true",
                               "EXTDESK_EMAIL_FROM": "support@corp.example"}, FROM)
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"]) == ("mail.example.com", 587)
    assert (settings["EMAIL_HOST_USER"], settings["EMAIL_HOST_PASSWORD"]) == ("me@corp", "p:ss")
    assert settings["EMAIL_USE_TLS"] is True and settings["EMAIL_USE_SSL"] is False
    assert settings["DEFAULT_FROM_EMAIL"] == "support@corp.example"


def test_smtps_url_defaults_to_port_465():
    settings = email_settings({"EXTDESK_EMAIL_URL": "smtps://mail.example.com"}, FROM)
    assert settings["EMAIL_PORT"] == 465 and settings["EMAIL_USE_SSL"] is True


def test_smtp_variables():
    settings = email_settings({"EXTDESK_SMTP_HOST": "relay", "EXTDESK_SMTP_PORT": "2525",
                               "EXTDESK_SMTP_USER": "u", "EXTDESK_SMTP_PASSWORD": "p",
                               "EXTDESK_SMTP_TLS": "yes"}, FROM)
    assert settings["EMAIL_HOST"] == "relay"
    assert (settings["EMAIL_PORT"], settings["EMAIL_USE_TLS"]) == (2525, True)


def test_file_url():
    settings = email_settings({"EXTDESK_EMAIL_URL": "file:///var/mail/extdesk"}, FROM)
    assert settings["EMAIL_FILE_PATH"] == "/var/mail/extdesk"


@pytest.mark.parametrize(("env", "named"), [
    ({"EXTDESK_EMAIL_URL": "pop3://host"}, "EXTDESK_EMAIL_URL"),
    ({"EXTDESK_EMAIL_URL": "smtp://"}, "EXTDESK_EMAIL_URL"),
    ({"EXTDESK_EMAIL_URL": "smtp://host:99999"}, "EXTDESK_EMAIL_URL"),
    ({"EXTDESK_EMAIL_URL": "smtp://host?tls=maybe"}, "EXTDESK_EMAIL_URL"),
    ({"EXTDESK_EMAIL_URL": "smtps://host?tls=true"}, "EXTDESK_EMAIL_URL"),
    ({"EXTDESK_SMTP_HOST": "relay", "EXTDESK_SMTP_PORT": "abc"}, "EXTDESK_SMTP_PORT"),
    ({"EXTDESK_SMTP_HOST": "relay", "EXTDESK_SMTP_TLS": "sure"}, "EXTDESK_SMTP_TLS"),
    ({"EXTDESK_EMAIL_FROM": "not an address"}, "EXTDESK_EMAIL_FROM"),
])
def test_bad_values_name_the_variable(env, named):
    with pytest.raises(ConfigError, match=named):
        email_settings(env, FROM)


def test_attachment_limits():
    assert attachment_limits({}) == {"EXTDESK_ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
                                     "EXTDESK_ATTACHMENT_MAX_COUNT": 5}
    assert attachment_limits({"EXTDESK_ATTACHMENT_MAX_COUNT": "2"})["EXTDESK_ATTACHMENT_MAX_COUNT"] == 2
    with pytest.raises(ConfigError, match="EXTDESK_ATTACHMENT_MAX_BYTES"):
        attachment_limits({"EXTDESK_ATTACHMENT_MAX_BYTES": "ten"})
    with pytest.raises(ConfigError, match="EXTDESK_ATTACHMENT_MAX_COUNT"):
        attachment_limits({"EXTDESK_ATTACHMENT_MAX_COUNT": "0"})


def test_whole_number_settings_come_from_the_public_helper():
    # The helpdesk reads its numbers through extdesk.config's public helper, not a private name.
    import extdesk.helpdesk.config as helpdesk_config
    from extdesk.config import int_setting

    assert int_setting({}, "EXTDESK_X", 7) == 7
    assert int_setting({"EXTDESK_X": " 12 "}, "EXTDESK_X", 7) == 12
    with pytest.raises(ConfigError, match=r"EXTDESK_X='1\.5' is not a whole number"):
        int_setting({"EXTDESK_X": "1.5"}, "EXTDESK_X", 7)
    with pytest.raises(ConfigError, match="EXTDESK_X=3 must be at least 4"):
        int_setting({"EXTDESK_X": "3"}, "EXTDESK_X", 7, minimum=4)
    assert helpdesk_config.int_setting is int_setting
