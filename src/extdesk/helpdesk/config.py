"""The helpdesk's settings from the environment (no Django import: read by settings.py).

Attachments: ``EXTDESK_ATTACHMENT_MAX_BYTES`` (per file, default 10 MiB) and
``EXTDESK_ATTACHMENT_MAX_COUNT`` (per message, default 5).

Mail:
``EXTDESK_EMAIL_URL``: ``console://`` (the default: mail is written to the
server log), ``smtp://user:password@host:port`` (STARTTLS with
``?tls=true``), ``smtps://...`` (TLS from the first byte), or
``file:///path/to/dir``. Without it, ``EXTDESK_SMTP_HOST`` (with
``_PORT``, ``_USER``, ``_PASSWORD``, ``_TLS``, ``_SSL``) selects SMTP.
``EXTDESK_EMAIL_FROM`` is the sender address.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from extdesk.config import ConfigError, int_setting

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _flag(name: str, raw: str | None) -> bool:
    word = (raw or "").strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} must be true or false")


def _port(name: str, raw: str | None, default: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"{name}={port} is not a port number (1-65535)")
    return port


def _smtp(host: str, port: int, user: str, password: str, tls: bool, ssl: bool, name: str) -> dict:
    if tls and ssl:
        raise ConfigError(f"{name}: choose STARTTLS or SSL, not both")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": host,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": user,
        "EMAIL_HOST_PASSWORD": password,
        "EMAIL_USE_TLS": tls,
        "EMAIL_USE_SSL": ssl,
        "EMAIL_TIMEOUT": 20,
    }


def _from_url(raw: str) -> dict:
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "file":
        if not parts.path:
            raise ConfigError("EXTDESK_EMAIL_URL=file:// needs a directory: file:///path/to/dir")
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "EMAIL_FILE_PATH": unquote(parts.path)}
    if scheme in ("smtp", "smtps"):
        if not parts.hostname:
            raise ConfigError("EXTDESK_EMAIL_URL names no host: smtp://user:password@host:port")
        try:
            port = parts.port
        except ValueError:
            raise ConfigError("EXTDESK_EMAIL_URL has an invalid port") from None
        query = parse_qs(parts.query)
        tls = _flag("EXTDESK_EMAIL_URL ?tls", (query.get("tls") or [""])[0])
        ssl = scheme == "smtps"
        return _smtp(parts.hostname, port or (465 if ssl else 25), unquote(parts.username or ""),
                     unquote(parts.password or ""), tls, ssl, "EXTDESK_EMAIL_URL")
    raise ConfigError(
        f"EXTDESK_EMAIL_URL has scheme {scheme or '(none)'!r}; use console://, "
        "smtp://user:password@host:port, smtps://... or file:///path"
    )


def email_settings(env: Mapping[str, str], default_from: str) -> dict:
    """The EMAIL_* and DEFAULT_FROM_EMAIL settings; ConfigError names a wrong variable."""
    url = (env.get("EXTDESK_EMAIL_URL") or "").strip()
    host = (env.get("EXTDESK_SMTP_HOST") or "").strip()
    if url:
        result = _from_url(url)
    elif host:
        result = _smtp(
            host,
            _port("EXTDESK_SMTP_PORT", env.get("EXTDESK_SMTP_PORT"), 25),
            env.get("EXTDESK_SMTP_USER") or "",
            env.get("EXTDESK_SMTP_PASSWORD") or "",
            _flag("EXTDESK_SMTP_TLS", env.get("EXTDESK_SMTP_TLS")),
            _flag("EXTDESK_SMTP_SSL", env.get("EXTDESK_SMTP_SSL")),
            "EXTDESK_SMTP_TLS/EXTDESK_SMTP_SSL",
        )
    else:
        result = {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    sender = (env.get("EXTDESK_EMAIL_FROM") or default_from).strip()
    if "@" not in sender or any(c in sender for c in "\r\n"):
        raise ConfigError(f"EXTDESK_EMAIL_FROM={sender!r} is not an e-mail address")
    result["DEFAULT_FROM_EMAIL"] = sender
    result["SERVER_EMAIL"] = sender
    return result


def attachment_limits(env: Mapping[str, str]) -> dict:
    return {
        "EXTDESK_ATTACHMENT_MAX_BYTES": int_setting(env, "EXTDESK_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        "EXTDESK_ATTACHMENT_MAX_COUNT": int_setting(env, "EXTDESK_ATTACHMENT_MAX_COUNT", 5),
    }


# The text of a form besides its files (a long reply, the multipart framing
# of five parts): generous, since a refused reply is lost typing.
FORM_MARGIN_BYTES = 1024 * 1024


def upload_form_bytes(max_count: int, max_bytes: int) -> int:
    """The largest legitimate body of a form with attachments."""
    return max_count * max_bytes + FORM_MARGIN_BYTES
