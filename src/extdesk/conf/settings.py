"""Django settings, all taken from the environment (see extdesk.config)."""

from __future__ import annotations

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.signals import connection_created

from extdesk.conf.sqlite import use_write_ahead_log
from extdesk.conf.translations import LOCALE_DIR
from extdesk.config import ConfigError, load_config, upload_form_bytes
from extdesk.demo import demo_mode

try:
    EXTDESK = load_config()
except ConfigError as exc:
    raise ImproperlyConfigured(str(exc)) from None

DATA_DIR = EXTDESK.data_dir
SECRET_KEY = EXTDESK.django_secret_key
DEBUG = EXTDESK.debug
ALLOWED_HOSTS = EXTDESK.allowed_hosts

INSTALLED_APPS = [
    # django.contrib.admin, its site letting in desk users only.
    "extdesk.desk.admin_site.DeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "extdesk.contacts",
    "extdesk.endpoint",
    "extdesk.security",
    "extdesk.audit",
    "extdesk.web",
    "extdesk.helpdesk",
    "extdesk.sso",
    "extdesk.portal",
    "extdesk.desk",
    "extdesk.outbox",
    "extdesk.mail",
    "extdesk.sla",
    "extdesk.worker",
    "extdesk.reports",
    "extdesk.search",
    "extdesk.ratings",
    "extdesk.kb",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "extdesk.security.middleware.ContentSecurityPolicyMiddleware",
    "extdesk.security.middleware.BodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Ends idle or too old customer sessions before anything reads the user.
    "extdesk.sso.sessions.CustomerSessionMiddleware",
    # The language: the switcher's cookie, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Pages in the signed-in user's time zone (extdesk.web.timezones).
    "extdesk.web.timezones.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A signed-in contact's mail goes out in the language of the portal pages they read.
    "extdesk.sso.language.ContactLanguageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "extdesk.audit.middleware.PlatformLoginAuditMiddleware",
]

ROOT_URLCONF = "extdesk.conf.urls"
# Only staff sign in with a password; customers arrive through one-time links.
LOGIN_URL = "desk:login"
WSGI_APPLICATION = "extdesk.conf.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGE_CODE for <html lang>.
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "extdesk.demo.context_processors.demo",
                # The brand, the control panel's address and an error page's way on.
                "extdesk.web.branding.site",
                # The held mail's count in the desk's navigation.
                "extdesk.desk.context_processors.desk",
            ],
        },
    },
]

if EXTDESK.database_url:
    _default_db = dj_database_url.parse(
        EXTDESK.database_url, conn_max_age=60, conn_health_checks=True
    )
else:
    _default_db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "extdesk.sqlite3"),
    }
if _default_db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer (switched on as each connection
    # opens, see extdesk.conf.sqlite); IMMEDIATE transactions take the write
    # lock up front, so two writers queue on the busy timeout instead of
    # failing with "database is locked" when a read lock cannot upgrade.
    connection_created.connect(use_write_ahead_log, dispatch_uid="extdesk-sqlite-wal")
    _default_db["OPTIONS"] = {
        "init_command": "PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # Each worker keeps its connection: opening one per request costs more
    # than a signed greet, and closing the last one checkpoints the WAL.
    _default_db["CONN_MAX_AGE"] = 600
    _default_db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The hosting markets the platform serves; the catalogues are in LOCALE_PATHS,
# their compiled .mo files built at install (extdesk compile-translations).
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("nl", "Nederlands"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ru", "Русский"),
]
LOCALE_PATHS = [str(LOCALE_DIR)]
# The switcher's choice (extdesk.sso.language); a year, read by the server only.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = EXTDESK.base_url.startswith("https://")
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the apps, so `extdesk serve` works without
# a collectstatic step.
WHITENOISE_USE_FINDERS = True

# The SOAP endpoint reads its body itself with its own limit (EXTDESK_MAX_BODY).
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

USE_X_FORWARDED_HOST = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A refused form's page in the site's layout, with the way on.
CSRF_FAILURE_VIEW = "extdesk.web.errors.csrf_failure"
if EXTDESK.base_url.startswith("https://"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Django sends HSTS on HTTPS responses only: when `extdesk serve
    # --certfile` serves TLS itself, or a proxy in front says it did.
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Consent to the browsers' preload list; submitting the domain stays the
    # operator's decision.
    SECURE_HSTS_PRELOAD = True
# Plain HTTP is not redirected here: `extdesk serve --certfile` speaks TLS
# alone, a TLS proxy in front redirects itself, and the SOAP endpoint must
# never redirect (SOAP::Lite would resend without its signature header).
SILENCED_SYSTEM_CHECKS = ["security.W008"]

EXTDESK_SECRET = EXTDESK.secret
EXTDESK_BASE_URL = EXTDESK.base_url
EXTDESK_PLATFORM_URL = EXTDESK.platform_url
# Branding (extdesk.web.branding): the name, the logo file and its type, the accent colour.
EXTDESK_BRAND_NAME = EXTDESK.brand.name
EXTDESK_BRAND_LOGO = EXTDESK.brand.logo
EXTDESK_BRAND_LOGO_TYPE = EXTDESK.brand.logo_type
EXTDESK_ACCENT_COLOR = EXTDESK.brand.accent
# The business hours of the SLA clocks (extdesk.sla) and auto-close.
EXTDESK_TIME_ZONE = EXTDESK.time_zone
EXTDESK_AUTO_CLOSE_DAYS = EXTDESK.auto_close_days
# `extdesk serve --demo`: /platform/ and a banner on every page.
EXTDESK_DEMO = demo_mode()
if EXTDESK_DEMO:
    INSTALLED_APPS.append("extdesk.demo")
EXTDESK_SIGNATURE_WINDOW = EXTDESK.signature_window
EXTDESK_MAX_BODY_BYTES = EXTDESK.max_body_bytes
EXTDESK_AUTH_FAIL_LIMIT = EXTDESK.auth_fail_limit
EXTDESK_AUTH_FAIL_WINDOW = EXTDESK.auth_fail_window
EXTDESK_AUDIT_RETENTION_DAYS = EXTDESK.audit_retention_days
EXTDESK_AUDIT_MAX_ROWS = EXTDESK.audit_max_rows
EXTDESK_SSO_TTL = EXTDESK.sso_ttl
EXTDESK_SSO_CHECK_IP = EXTDESK.sso_check_ip
# Customer sessions from one-time links (extdesk.sso.sessions); staff keep
# Django's SESSION_COOKIE_AGE.
EXTDESK_CUSTOMER_SESSION_IDLE = EXTDESK.customer_session_idle
EXTDESK_CUSTOMER_SESSION_MAX = EXTDESK.customer_session_max
EXTDESK_TRUSTED_PROXIES = EXTDESK.trusted_proxies
EXTDESK_BODY_TIMEOUT = EXTDESK.body_timeout
EXTDESK_THREADS = EXTDESK.threads

# Helpdesk: attachment limits and outgoing mail.
EXTDESK_ATTACHMENT_MAX_BYTES = EXTDESK.attachment_max_bytes
EXTDESK_ATTACHMENT_MAX_COUNT = EXTDESK.attachment_max_count
EXTDESK_MAIL_MAX_ATTEMPTS = EXTDESK.mail_max_attempts
EXTDESK_MAIL_RETRY_SECONDS = EXTDESK.mail_retry_seconds
# Incoming mail (extdesk.mail): mailboxes, subject tag and what is done with strangers' mail.
EXTDESK_INBOXES = EXTDESK.mail_in.inboxes
EXTDESK_MAIL_TAG = EXTDESK.mail_in.tag
EXTDESK_MAIL_UNKNOWN_SENDERS = EXTDESK.mail_in.unknown_senders
EXTDESK_MAIL_MAX_NEW_PER_HOUR = EXTDESK.mail_in.max_new_per_hour
EXTDESK_MAIL_ACKNOWLEDGE = EXTDESK.mail_in.acknowledge
EXTDESK_MAIL_MAX_BYTES = EXTDESK.mail_in.max_bytes
EMAIL_BACKEND = EXTDESK.email.django_backend
EMAIL_HOST = EXTDESK.email.host
EMAIL_PORT = EXTDESK.email.port
EMAIL_HOST_USER = EXTDESK.email.user
EMAIL_HOST_PASSWORD = EXTDESK.email.password
EMAIL_USE_TLS = EXTDESK.email.use_tls
EMAIL_USE_SSL = EXTDESK.email.use_ssl
EMAIL_TIMEOUT = 20
EMAIL_FILE_PATH = EXTDESK.email.file_path
DEFAULT_FROM_EMAIL = SERVER_EMAIL = EXTDESK.email.sender
# The server reads every body into memory before Django sees it, bounded by
# security.limits; uploads then stay in memory instead of being copied to a
# temporary file, so nothing of a refused upload ever reaches the disk.
FILE_UPLOAD_MAX_MEMORY_SIZE = upload_form_bytes(EXTDESK_ATTACHMENT_MAX_COUNT, EXTDESK_ATTACHMENT_MAX_BYTES)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "extdesk": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
