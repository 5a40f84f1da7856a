"""The visitor's address, believing X-Forwarded-For from trusted proxies only."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(text: str) -> IPAddress:
    """An IPv4 or IPv6 address (IPv4-mapped IPv6 read as IPv4); ValueError otherwise."""
    text = (text or "").strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, proxies: Sequence[str]) -> bool:
    return any(address in ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def client_ip(
    remote_addr: str, forwarded_for: str | None, trusted_proxies: Sequence[str]
) -> IPAddress | None:
    """The address the request came from, or None when it cannot be read.

    When the peer is a trusted proxy, X-Forwarded-For is walked from the
    right (the entries our own proxies appended) to the first address that
    is not a trusted proxy: entries further left are whatever the client
    chose to send and are not believed.
    """
    try:
        address = parse_ip(remote_addr)
    except ValueError:
        return None
    if not trusted_proxies or not _trusted(address, trusted_proxies) or not forwarded_for:
        return address
    for entry in reversed([part.strip() for part in forwarded_for.split(",")]):
        try:
            hop = parse_ip(entry)
        except ValueError:
            return None
        if not _trusted(hop, trusted_proxies):
            return hop
        address = hop
    return address
