import ipaddress

import pytest

from extdesk.web.addresses import client_ip, parse_ip


@pytest.mark.parametrize(("text", "expected"), [
    ("192.0.2.7", "192.0.2.7"),
    (" 2001:db8::1 ", "2001:db8::1"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("::ffff:192.0.2.7", "192.0.2.7"),
    ("2001:DB8:0:0::1", "2001:db8::1"),
])
def test_parse_ip(text, expected):
    assert str(parse_ip(text)) == expected


@pytest.mark.parametrize("text", ["", "localhost", "300.1.1.1", "1.2.3", "192.0.2.7/24", "::g"])
def test_parse_ip_refuses(text):
    with pytest.raises(ValueError):
        parse_ip(text)


def test_forwarded_for_ignored_from_untrusted_peers():
    assert client_ip("198.51.100.9", "203.0.113.5", []) == ipaddress.ip_address("198.51.100.9")
    assert client_ip("198.51.100.9", "203.0.113.5", ["10.0.0.0/8"]) == ipaddress.ip_address("198.51.100.9")


def test_forwarded_for_believed_from_trusted_proxies_rightmost_first():
    proxies = ["10.0.0.0/8"]
    assert str(client_ip("10.0.0.2", "203.0.113.5", proxies)) == "203.0.113.5"
    # The client may prepend anything; only what our proxies appended counts.
    assert str(client_ip("10.0.0.2", "1.1.1.1, 203.0.113.5, 10.0.0.3", proxies)) == "203.0.113.5"
    assert client_ip("10.0.0.2", "garbage", proxies) is None
    assert str(client_ip("10.0.0.2", None, proxies)) == "10.0.0.2"
