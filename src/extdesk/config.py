"""Configuration read from the environment, validated before anything runs.

Kept free of Django so that the command line can report a bad setting in one
line before any framework starts.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .soap.signature import DEFAULT_WINDOW_SECONDS, MIN_SECRET_LENGTH

SECRET_FILE = "secret"
DJANGO_KEY_FILE = "django-secret-key"


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it."""


@dataclass(frozen=True)
class Email:
    """Outgoing mail: ``EXTDESK_EMAIL_URL``, or the ``EXTDESK_SMTP_*`` variables, and the sender."""

    sender: str
    backend: str = "console"  # console, smtp or file
    host: str = ""
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    file_path: str = ""

    @property
    def django_backend(self) -> str:
        return {"console": "django.core.mail.backends.console.EmailBackend",
                "smtp": "django.core.mail.backends.smtp.EmailBackend",
                "file": "django.core.mail.backends.filebased.EmailBackend"}[self.backend]


@dataclass(frozen=True)
class Inbox:
    """One IMAP mailbox that ``extdesk fetch-mail`` collects from (an ``EXTDESK_INBOX_URL`` entry)."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    # imaps:// speaks TLS from the start; imap:// upgrades with STARTTLS.
    ssl: bool = True
    # Where a processed message is moved; empty: it is flagged \Seen and stays.
    processed_folder: str = ""

    @property
    def label(self) -> str:
        """The mailbox as logs and records name it: never with its password."""
        scheme = "imaps" if self.ssl else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


@dataclass(frozen=True)
class MailIn:
    """Incoming mail: where from, and what is done with it."""

    inboxes: tuple[Inbox, ...] = ()
    # "[Support #123]" for "Support"; "[#123]" when empty.
    tag: str = ""
    # "ticket": an unknown sender's mail opens a guest ticket; "reject": it is answered and dropped.
    unknown_senders: str = "ticket"
    max_new_per_hour: int = 20
    acknowledge: bool = True
    max_bytes: int = 50 * 1024 * 1024


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
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachment_max_count: int = 5
    mail_max_attempts: int = 10
    mail_retry_seconds: int = 60
    email: Email = field(default_factory=lambda: Email(sender="helpdesk@localhost"))
    mail_in: MailIn = field(default_factory=MailIn)
    # The platform's control panel, where customers are sent to start a session.
    platform_url: str = ""
    # The business calendar's zone when none is set in it (extdesk.sla), an IANA name.
    time_zone: str = "UTC"
    # A resolved ticket with no customer reply for this many days is closed; 0 never.
    auto_close_days: int = 7
    # The provider's name, logo and colour on the portal, the desk and mail.
    brand: Brand = field(default_factory=lambda: Brand())


def integer(env: Mapping[str, str], name: str, default: int, minimum: int = 1,
            maximum: int | None = None) -> int:
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
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name}={value} must be at most {maximum}")
    return value


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """The yes/no in ``env[name]`` (``default`` when unset or blank); ConfigError names a bad one."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} must be true or false")


def port(env: Mapping[str, str], name: str, default: int) -> int:
    """The TCP port in ``env[name]``; ConfigError names a bad one."""
    raw = env.get(name)
    if raw is not None and raw.strip() and not raw.strip().isdigit():
        raise ConfigError(f"{name}={raw!r} is not a port number")
    return integer(env, name, default, minimum=1, maximum=65535)


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


def _platform_url(env: Mapping[str, str]) -> str:
    raw = (env.get("EXTDESK_PLATFORM_URL") or "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"EXTDESK_PLATFORM_URL={raw!r} must be an absolute http(s) URL")
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


def _time_zone(env: Mapping[str, str]) -> str:
    raw = (env.get("EXTDESK_TIME_ZONE") or "").strip() or "UTC"
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"EXTDESK_TIME_ZONE={raw!r} is not a time zone name (such as Europe/Berlin)"
                          ) from None
    return raw


@dataclass(frozen=True)
class Brand:
    """The provider's branding: ``EXTDESK_BRAND_NAME``, ``EXTDESK_BRAND_LOGO``, ``EXTDESK_ACCENT_COLOR``."""

    name: str = "Helpdesk"
    logo: Path | None = None
    # The logo's media type, taken from its content (never from its name).
    logo_type: str = ""
    # "#rrggbb" in lower case; empty: the stylesheet's own colours.
    accent: str = ""


BRAND_NAME_MAX = 60
LOGO_MAX_BYTES = 512 * 1024
_ACCENT = re.compile(r"#[0-9a-fA-F]{6}")


def _logo_type(head: bytes) -> str | None:
    """The media type of a logo from its first bytes; None for anything but PNG, JPEG, WebP, SVG."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    # An SVG file opens with its root element, an XML declaration, a comment or a doctype.
    if text.startswith((b"<svg", b"<?xml", b"<!--", b"<!doctype svg")) and b"<svg" in head.lower():
        return "image/svg+xml"
    return None


def brand(env: Mapping[str, str]) -> Brand:
    """The branding settings; ConfigError names a wrong variable."""
    name = " ".join((env.get("EXTDESK_BRAND_NAME") or "").split()) or "Helpdesk"
    if len(name) > BRAND_NAME_MAX or not name.isprintable():
        raise ConfigError(f"EXTDESK_BRAND_NAME={name!r} must be printable text of at most "
                          f"{BRAND_NAME_MAX} characters")
    accent = (env.get("EXTDESK_ACCENT_COLOR") or "").strip()
    if accent and not _ACCENT.fullmatch(accent):
        raise ConfigError(f"EXTDESK_ACCENT_COLOR={accent!r} must be a colour as #rrggbb (such as #2452c7)")
    raw = (env.get("EXTDESK_BRAND_LOGO") or "").strip()
    if not raw:
        return Brand(name=name, accent=accent.lower())
    path = Path(raw).absolute()
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(4096)
    except IsADirectoryError:
        raise ConfigError(f"EXTDESK_BRAND_LOGO={raw} is a directory, not an image file") from None
    except OSError as exc:
        raise ConfigError(f"EXTDESK_BRAND_LOGO: cannot read {raw}: {exc.strerror}") from None
    if size > LOGO_MAX_BYTES:
        raise ConfigError(f"EXTDESK_BRAND_LOGO={raw} is {size} bytes; a logo may have at most "
                          f"{LOGO_MAX_BYTES} bytes")
    media_type = _logo_type(head)
    if media_type is None:
        raise ConfigError(f"EXTDESK_BRAND_LOGO={raw} is not a PNG, JPEG, WebP or SVG image")
    return Brand(name=name, logo=path, logo_type=media_type, accent=accent.lower())


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
    idle = integer(env, "EXTDESK_CUSTOMER_SESSION_IDLE", 8 * 3600, minimum=60)
    cap = integer(env, "EXTDESK_CUSTOMER_SESSION_MAX", 24 * 3600, minimum=60)
    if idle > cap:
        raise ConfigError(f"EXTDESK_CUSTOMER_SESSION_IDLE={idle} must not be more than "
                          f"EXTDESK_CUSTOMER_SESSION_MAX={cap}")
    return idle, cap


def _email_from_url(raw: str, sender: str) -> Email:
    name = "EXTDESK_EMAIL_URL"
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return Email(sender=sender)
    if scheme == "file":
        if not parts.path:
            raise ConfigError(f"{name}=file:// needs a directory: file:///path/to/dir")
        return Email(sender=sender, backend="file", file_path=unquote(parts.path))
    if scheme in ("smtp", "smtps"):
        if not parts.hostname:
            raise ConfigError(f"{name} names no host: smtp://user:password@host:port")
        try:
            given_port = parts.port
        except ValueError:
            raise ConfigError(f"{name} has an invalid port") from None
        # Named as the user wrote them, so that flag()'s error says where.
        query = {f"{name} ?{key}": values[0] for key, values in parse_qs(parts.query).items()}
        tls = flag(query, f"{name} ?tls", False)
        ssl = scheme == "smtps"
        if tls and ssl:
            raise ConfigError(f"{name}: choose STARTTLS (?tls=true) or SSL (smtps://), not both")
        return Email(sender=sender, backend="smtp", host=parts.hostname,
                     port=given_port or (465 if ssl else 25), user=unquote(parts.username or ""),
                     password=unquote(parts.password or ""), use_tls=tls, use_ssl=ssl)
    raise ConfigError(
        f"{name} has scheme {scheme or '(none)'!r}; use console://, "
        "smtp://user:password@host:port, smtps://... or file:///path"
    )


def email(env: Mapping[str, str], default_from: str) -> Email:
    """Outgoing mail settings; ConfigError names a wrong variable."""
    sender = (env.get("EXTDESK_EMAIL_FROM") or default_from).strip()
    if "@" not in sender or any(c in sender for c in "\r\n"):
        raise ConfigError(f"EXTDESK_EMAIL_FROM={sender!r} is not an e-mail address")
    url = (env.get("EXTDESK_EMAIL_URL") or "").strip()
    host = (env.get("EXTDESK_SMTP_HOST") or "").strip()
    if url:
        return _email_from_url(url, sender)
    if not host:
        return Email(sender=sender)
    tls = flag(env, "EXTDESK_SMTP_TLS", False)
    ssl = flag(env, "EXTDESK_SMTP_SSL", False)
    if tls and ssl:
        raise ConfigError("EXTDESK_SMTP_TLS/EXTDESK_SMTP_SSL: choose STARTTLS or SSL, not both")
    return Email(sender=sender, backend="smtp", host=host, port=port(env, "EXTDESK_SMTP_PORT", 25),
                 user=env.get("EXTDESK_SMTP_USER") or "", password=env.get("EXTDESK_SMTP_PASSWORD") or "",
                 use_tls=tls, use_ssl=ssl)


def _inbox(raw: str, position: int) -> Inbox:
    where = f"EXTDESK_INBOX_URL (entry {position})"
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in ("imap", "imaps"):
        raise ConfigError(f"{where} has scheme {scheme or '(none)'!r}; "
                          "use imaps://user:password@host:993/INBOX or imap://... (STARTTLS)")
    if not parts.hostname:
        raise ConfigError(f"{where} names no host: imaps://user:password@host:993/INBOX")
    try:
        given_port = parts.port
    except ValueError:
        raise ConfigError(f"{where} has an invalid port") from None
    if not parts.username:
        raise ConfigError(f"{where} names no user: imaps://user:password@host:993/INBOX")
    query = parse_qs(parts.query, keep_blank_values=True)
    if unknown := sorted(set(query) - {"processed"}):
        raise ConfigError(f"{where} has unknown option {unknown[0]!r}; the only one is ?processed=Folder")
    processed = unquote((query.get("processed") or [""])[0]).strip()
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    if processed and processed == folder:
        raise ConfigError(f"{where}: ?processed={processed} is the folder it collects from")
    return Inbox(host=parts.hostname, port=given_port or (993 if scheme == "imaps" else 143),
                 user=unquote(parts.username), password=unquote(parts.password or ""),
                 folder=folder, ssl=scheme == "imaps", processed_folder=processed)


_MAIL_TAG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.")


def mail_in(env: Mapping[str, str]) -> MailIn:
    """Incoming mail settings; ConfigError names a wrong variable."""
    urls = [u.strip() for u in (env.get("EXTDESK_INBOX_URL") or "").split(",")]
    inboxes = tuple(_inbox(url, n) for n, url in enumerate(urls, 1) if url)
    tag = " ".join((env.get("EXTDESK_MAIL_TAG") or "").split())
    if not set(tag) <= _MAIL_TAG_CHARS or len(tag) > 40:
        raise ConfigError(f"EXTDESK_MAIL_TAG={tag!r} may hold up to 40 letters, digits, spaces, '-', '_' "
                          "and '.' (it goes in subjects as [TAG #123])")
    unknown = (env.get("EXTDESK_MAIL_UNKNOWN_SENDERS") or "ticket").strip().lower()
    if unknown not in ("ticket", "reject"):
        raise ConfigError(f"EXTDESK_MAIL_UNKNOWN_SENDERS={unknown!r} must be ticket or reject")
    return MailIn(inboxes=inboxes, tag=tag, unknown_senders=unknown,
                  max_new_per_hour=integer(env, "EXTDESK_MAIL_MAX_NEW_PER_HOUR", 20),
                  acknowledge=flag(env, "EXTDESK_MAIL_ACKNOWLEDGE", True),
                  max_bytes=integer(env, "EXTDESK_MAIL_MAX_BYTES", 50 * 1024 * 1024, minimum=64 * 1024))


# The text of a form besides its files (a long reply, the multipart framing
# of five parts): generous, since a refused reply is lost typing.
FORM_MARGIN_BYTES = 1024 * 1024


def upload_form_bytes(max_count: int, max_bytes: int) -> int:
    """The largest legitimate body of a form with attachments."""
    return max_count * max_bytes + FORM_MARGIN_BYTES


DEFAULT_DATA_DIR = "extdesk-data"


def missing_data_dir_message(data_dir: Path, env: Mapping[str, str]) -> str:
    """What a command says when the data directory it was pointed at does not exist."""
    if env.get("EXTDESK_DATA_DIR"):
        where = f"EXTDESK_DATA_DIR={env['EXTDESK_DATA_DIR']} names {data_dir}"
    else:
        where = (f"EXTDESK_DATA_DIR is not set, so it looked for ./{DEFAULT_DATA_DIR} "
                 f"in the current directory ({data_dir.parent})")
    return (f"no data directory at {data_dir} ({where}); run it where `extdesk serve` keeps its data, "
            "or set EXTDESK_DATA_DIR to that directory; only `extdesk serve` creates a new one")


def load_config(env: Mapping[str, str] | None = None, *, create: bool = True) -> Config:
    """Read and validate the configuration; raise ConfigError when wrong.

    With ``create=False`` a missing data directory is an error instead of
    being made: every command but the server would otherwise leave a new,
    empty helpdesk wherever it happened to be run.
    """
    env = os.environ if env is None else env
    data_dir = Path(env.get("EXTDESK_DATA_DIR") or DEFAULT_DATA_DIR).absolute()
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError(f"EXTDESK_DATA_DIR={data_dir} exists and is not a directory")
    if not create and not data_dir.is_dir():
        raise ConfigError(missing_data_dir_message(data_dir, env))

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
        signature_window=integer(env, "EXTDESK_SIGNATURE_WINDOW", DEFAULT_WINDOW_SECONDS),
        max_body_bytes=integer(env, "EXTDESK_MAX_BODY_BYTES", 32 * 1024 * 1024, minimum=1024),
        debug=flag(env, "EXTDESK_DEBUG", False),
        allowed_hosts=hosts,
        django_secret_key=django_key,
        tls_cert=cert,
        tls_key=key,
        sso_ttl=integer(env, "EXTDESK_SSO_TTL", 120),
        sso_check_ip=flag(env, "EXTDESK_SSO_CHECK_IP", True),
        customer_session_idle=session_idle,
        customer_session_max=session_max,
        trusted_proxies=_trusted_proxies(env),
        auth_fail_limit=integer(env, "EXTDESK_AUTH_FAIL_LIMIT", 20),
        auth_fail_window=integer(env, "EXTDESK_AUTH_FAIL_WINDOW", 60),
        audit_retention_days=integer(env, "EXTDESK_AUDIT_RETENTION_DAYS", 90),
        audit_max_rows=integer(env, "EXTDESK_AUDIT_MAX_ROWS", 1_000_000, minimum=100),
        header_timeout=integer(env, "EXTDESK_HEADER_TIMEOUT", 10, maximum=60),
        body_timeout=integer(env, "EXTDESK_BODY_TIMEOUT", 30),
        threads=integer(env, "EXTDESK_THREADS", 4, maximum=256),
        attachment_max_bytes=integer(env, "EXTDESK_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        attachment_max_count=integer(env, "EXTDESK_ATTACHMENT_MAX_COUNT", 5),
        mail_max_attempts=integer(env, "EXTDESK_MAIL_MAX_ATTEMPTS", 10),
        mail_retry_seconds=integer(env, "EXTDESK_MAIL_RETRY_SECONDS", 60),
        email=email(env, default_from=f"helpdesk@{urlsplit(base_url).hostname}"),
        mail_in=mail_in(env),
        platform_url=_platform_url(env),
        time_zone=_time_zone(env),
        auto_close_days=integer(env, "EXTDESK_AUTO_CLOSE_DAYS", 7, minimum=0, maximum=3650),
        brand=brand(env),
    )
