"""The visitor's address, believing X-Forwarded-For from trusted proxies only.

One reading for every caller: the SOAP endpoint, the staff sign-in
throttle, the login audit and the one-time login links.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# What the throttles and the audit log count a request under when its source
# cannot be read: one shared key, never some other party's address.
UNKNOWN_ADDRESS = "unknown"
_MAX_PORT = 65535


def parse_ip(text: str) -> IPAddress:
    """An IPv4 or IPv6 address (IPv4-mapped IPv6 read as IPv4); ValueError otherwise."""
    text = (text or "").strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_port(text: str) -> bool:
    return 0 < len(text) <= 5 and text.isascii() and text.isdigit() and int(text) <= _MAX_PORT


def parse_hop(text: str) -> IPAddress:
    """An address as a server or proxy writes it: bare, bracketed, or with a port.

    ``203.0.113.66:40001`` and ``[2001:db8::1]:443`` are what some proxies
    put in X-Forwarded-For; the port says nothing about who the client is.
    Kept apart from parse_ip, which reads the addresses the platform sends
    and must stay strict.
    """
    text = (text or "").strip()
    try:
        return parse_ip(text)
    except ValueError:
        pass
    if text.startswith("["):
        # "[v6]:port": a bare IPv6 address cannot carry a port, its colons
        # would be ambiguous.
        host, separator, port = text[1:].partition("]:")
        if separator and _is_port(port):
            return parse_ip(host)
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
        if _is_port(port):
            return ipaddress.IPv4Address(host)
    raise ValueError(f"{text[:64]!r} is not an address")


@lru_cache(maxsize=16)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    # Parsed once per setting value, not once per request.
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(address: IPAddress, proxies: Sequence[str]) -> bool:
    return any(address in network for network in _networks(tuple(proxies)))


def client_ip(
    remote_addr: str, forwarded_for: str | None, trusted_proxies: Sequence[str]
) -> IPAddress | None:
    """The address the request came from, or None when it cannot be read.

    When the peer is a trusted proxy, X-Forwarded-For is walked from the
    right (the entries our own proxies appended) to the first address that
    is not a trusted proxy: entries further left are whatever the client
    chose to send and are not believed. A header that is there but cannot
    be read gives None, never the proxy's own address: counting every
    client behind the proxy as the proxy would let one of them get all of
    them throttled.
    """
    try:
        address = parse_hop(remote_addr)
    except ValueError:
        return None
    if forwarded_for is None or not trusted_proxies or not _trusted(address, trusted_proxies):
        return address
    for entry in reversed(forwarded_for.split(",")):
        try:
            hop = parse_hop(entry)
        except ValueError:
            return None
        if not _trusted(hop, trusted_proxies):
            return hop
        address = hop
    return address


def request_ip(meta: Mapping[str, Any]) -> IPAddress | None:
    """The client's address of a request (WSGI environ or ``request.META``), None when unreadable."""
    return client_ip(meta.get("REMOTE_ADDR") or "", meta.get("HTTP_X_FORWARDED_FOR"),
                     settings.EXTDESK_TRUSTED_PROXIES)


def request_address(meta: Mapping[str, Any]) -> str:
    """The source of a request as throttles and logs key it.

    The one fallback rule for every caller: the client's address as
    request_ip reads it, else UNKNOWN_ADDRESS.
    """
    address = request_ip(meta)
    return UNKNOWN_ADDRESS if address is None else str(address)
