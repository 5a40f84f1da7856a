"""The security headers of a response that bypasses Django's middleware.

The SOAP endpoint's WSGI entry point (extdesk.endpoint.wsgi) answers before
Django's handler runs; its responses must still carry what the
SecurityMiddleware, the Content-Security-Policy middleware and the
clickjacking middleware add to every other response. Computed once from the
same settings on every call (a few microseconds), so that overridden
settings apply; tests compare both paths header by header.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings

from .middleware import CONTENT_SECURITY_POLICY


def _headers(secure: bool) -> tuple[tuple[str, str], ...]:
    headers: list[tuple[str, str]] = []
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers.append(("Strict-Transport-Security", hsts))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        values = policy.split(",") if isinstance(policy, str) else policy
        headers.append(("Referrer-Policy", ",".join(v.strip() for v in values)))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    headers.append(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
    headers.append(("X-Frame-Options", settings.X_FRAME_OPTIONS))
    return tuple(headers)


def is_secure(environ: Mapping[str, Any]) -> bool:
    """Whether the request came over HTTPS, as Django's request.is_secure() decides."""
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header:
        name, secure_value = proxy_header
        value = environ.get(name)
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return environ.get("wsgi.url_scheme") == "https"


def security_headers(environ: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The headers Django's middleware would have added to this request's answer."""
    return _headers(is_secure(environ))
