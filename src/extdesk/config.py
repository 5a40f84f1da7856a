"""Configuration read from the environment, validated before anything runs.

Kept free of Django so that the command line can report a bad setting in one
line before any framework starts.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .soap.signature import DEFAULT_WINDOW_SECONDS, MIN_SECRET_LENGTH

SECRET_FILE = "secret"
DJANGO_KEY_FILE = "django-secret-key"


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it."""


@dataclass
class Config:
    data_dir: Path
    database_url: str | None
    secret: str
    secret_path: Path | None
    secret_generated: bool
    base_url: str
    signature_window: int
    max_body_bytes: int
    debug: bool
    allowed_hosts: list[str]
    django_secret_key: str
    tls_cert: str | None
    tls_key: str | None
    sso_ttl: int
    sso_check_ip: bool
    customer_session_idle: int = 8 * 3600
    customer_session_max: int = 24 * 3600
    trusted_proxies: list[str] = field(default_factory=list)
    auth_fail_limit: int = 20
    auth_fail_window: int = 60
    audit_retention_days: int = 90
    audit_max_rows: int = 1_000_000
    header_timeout: int = 10
    body_timeout: int = 30
    threads: int = 4


def int_setting(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    """The whole number in ``env[name]`` (``default`` when unset or blank); ConfigError names a bad one."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
    return value


def _at_most(value: int, name: str, maximum: int) -> int:
    if value > maximum:
        raise ConfigError(f"{name}={value} must be at most {maximum}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} must be true or false")


def _read_or_create(path: Path, length_bytes: int) -> tuple[str, bool]:
    """Read a generated value from ``path``, creating it (mode 0600) first."""
    if path.exists():
        try:
            return path.read_text(encoding="utf-8").strip(), False
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    value = secrets.token_urlsafe(length_bytes)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process created it between our check and our write.
        return path.read_text(encoding="utf-8").strip(), False
    except OSError as exc:
        raise ConfigError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value, True


def _database_url(env: Mapping[str, str]) -> str | None:
    raw = (env.get("EXTDESK_DATABASE_URL") or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("postgres", "postgresql", "sqlite"):
        raise ConfigError(
            f"EXTDESK_DATABASE_URL has scheme {parts.scheme or '(none)'!r}; "
            "use postgres://user@host:port/dbname or sqlite:///path/to/file"
        )
    if parts.scheme != "sqlite" and not parts.path.strip("/"):
        raise ConfigError("EXTDESK_DATABASE_URL names no database (postgres://host/DBNAME)")
    try:
        _ = parts.port
    except ValueError:
        raise ConfigError("EXTDESK_DATABASE_URL has an invalid port") from None
    return raw


def _base_url(env: Mapping[str, str]) -> str:
    raw = (env.get("EXTDESK_BASE_URL") or "http://127.0.0.1:8000").strip().rstrip("/")
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"EXTDESK_BASE_URL={raw!r} must be an absolute http(s) URL")
    return raw


def _trusted_proxies(env: Mapping[str, str]) -> list[str]:
    proxies = [p.strip() for p in (env.get("EXTDESK_TRUSTED_PROXIES") or "").split(",")]
    for proxy in filter(None, proxies):
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"EXTDESK_TRUSTED_PROXIES holds {proxy!r}, not an IP address or network"
            ) from None
    return [p for p in proxies if p]


def _readable_file(env: Mapping[str, str], name: str) -> str | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    try:
        with open(raw, "rb"):
            pass
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read {raw}: {exc.strerror}") from None
    return raw


def _customer_session_limits(env: Mapping[str, str]) -> tuple[int, int]:
    """(idle, max) seconds of a customer's session from a one-time link."""
    # At least a minute: the idle clock is only written once a minute.
    idle = int_setting(env, "EXTDESK_CUSTOMER_SESSION_IDLE", 8 * 3600, minimum=60)
    cap = int_setting(env, "EXTDESK_CUSTOMER_SESSION_MAX", 24 * 3600, minimum=60)
    if idle > cap:
        raise ConfigError(f"EXTDESK_CUSTOMER_SESSION_IDLE={idle} must not be more than "
                          f"EXTDESK_CUSTOMER_SESSION_MAX={cap}")
    return idle, cap


def load_config(env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the configuration; raise ConfigError when wrong."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("EXTDESK_DATA_DIR") or "extdesk-data").absolute()
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError(f"EXTDESK_DATA_DIR={data_dir} exists and is not a directory")

    secret = env.get("EXTDESK_SECRET")
    secret_path: Path | None = None
    generated = False
    if secret is None or secret == "":
        secret_path = data_dir / SECRET_FILE
        secret, generated = _read_or_create(secret_path, 32)
    if len(secret) < MIN_SECRET_LENGTH:
        where = "EXTDESK_SECRET" if secret_path is None else str(secret_path)
        raise ConfigError(
            f"the shared secret ({where}) is {len(secret)} characters long; "
            f"it must be at least {MIN_SECRET_LENGTH}"
        )

    django_key = env.get("EXTDESK_DJANGO_SECRET_KEY") or ""
    if not django_key:
        django_key, _ = _read_or_create(data_dir / DJANGO_KEY_FILE, 48)

    base_url = _base_url(env)
    hosts = [h.strip() for h in (env.get("EXTDESK_ALLOWED_HOSTS") or "").split(",") if h.strip()]
    if not hosts:
        hosts = [urlsplit(base_url).hostname or "", "127.0.0.1", "localhost", "[::1]", "::1"]

    cert = _readable_file(env, "EXTDESK_TLS_CERT")
    key = _readable_file(env, "EXTDESK_TLS_KEY")
    if bool(cert) != bool(key):
        raise ConfigError("EXTDESK_TLS_CERT and EXTDESK_TLS_KEY must be set together")
    session_idle, session_max = _customer_session_limits(env)

    return Config(
        data_dir=data_dir,
        database_url=_database_url(env),
        secret=secret,
        secret_path=secret_path,
        secret_generated=generated,
        base_url=base_url,
        signature_window=int_setting(env, "EXTDESK_SIGNATURE_WINDOW", DEFAULT_WINDOW_SECONDS),
        max_body_bytes=int_setting(env, "EXTDESK_MAX_BODY_BYTES", 32 * 1024 * 1024, minimum=1024),
        debug=_bool(env, "EXTDESK_DEBUG", False),
        allowed_hosts=hosts,
        django_secret_key=django_key,
        tls_cert=cert,
        tls_key=key,
        sso_ttl=int_setting(env, "EXTDESK_SSO_TTL", 120),
        sso_check_ip=_bool(env, "EXTDESK_SSO_CHECK_IP", True),
        customer_session_idle=session_idle,
        customer_session_max=session_max,
        trusted_proxies=_trusted_proxies(env),
        auth_fail_limit=int_setting(env, "EXTDESK_AUTH_FAIL_LIMIT", 20),
        auth_fail_window=int_setting(env, "EXTDESK_AUTH_FAIL_WINDOW", 60),
        audit_retention_days=int_setting(env, "EXTDESK_AUDIT_RETENTION_DAYS", 90),
        audit_max_rows=int_setting(env, "EXTDESK_AUDIT_MAX_ROWS", 1_000_000, minimum=100),
        header_timeout=_at_most(int_setting(env, "EXTDESK_HEADER_TIMEOUT", 10), "EXTDESK_HEADER_TIMEOUT", 60),
        body_timeout=int_setting(env, "EXTDESK_BODY_TIMEOUT", 30),
        threads=_at_most(int_setting(env, "EXTDESK_THREADS", 4), "EXTDESK_THREADS", 256),
    )
