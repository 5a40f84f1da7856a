import hashlib
import hmac

import pytest

from extdesk.soap import signature
from extdesk.soap.exceptions import AuthenticationFailed

SECRET = "s3cret-0123456789abcdef"
BODY = b"<soap:Envelope/>"


def test_signature_is_hmac_sha256_of_t_nonce_and_body():
    expected = hmac.new(SECRET.encode(), b"1700000000\nabcdefghijklmnop\n" + BODY, hashlib.sha256)
    assert signature.compute_signature(SECRET, 1700000000, "abcdefghijklmnop", BODY) == expected.hexdigest()


def test_signed_header_verifies_and_returns_its_parts():
    header = signature.sign(SECRET, BODY, timestamp=1700000000, nonce="abcdefghijklmnop")
    parsed = signature.verify(SECRET, header, BODY, now=1700000100)
    assert (parsed.timestamp, parsed.nonce) == (1700000000, "abcdefghijklmnop")


@pytest.mark.parametrize(
    "spacing", ["t={t},n={n},s={s}", "t={t}, n={n}, s={s}", "t={t} ,  n={n} , s={s}"]
)
def test_optional_spaces_between_fields(spacing):
    s = signature.compute_signature(SECRET, 1700000000, "n" * 16, BODY)
    header = spacing.format(t=1700000000, n="n" * 16, s=s)
    assert signature.verify(SECRET, header, BODY, now=1700000000).nonce == "n" * 16


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        "n=abcdefghijklmnop, t=1700000000, s=" + "0" * 64,  # wrong order
        "t=1700000000, n=short, s=" + "0" * 64,  # nonce too short
        "t=1700000000, n=" + "a" * 65 + ", s=" + "0" * 64,  # nonce too long
        "t=1700000000, n=abcdefghijklmno!, s=" + "0" * 64,  # bad nonce character
        "t=1700000000, n=abcdefghijklmnop, s=" + "A" * 64,  # uppercase hex
        "t=1700000000, n=abcdefghijklmnop, s=" + "0" * 63,  # short signature
        "t=-1700000000, n=abcdefghijklmnop, s=" + "0" * 64,
        "t=1700000000, n=abcdefghijklmnop, s=" + "0" * 64 + ", x=1",
    ],
)
def test_malformed_headers_are_refused(header):
    with pytest.raises(AuthenticationFailed):
        signature.verify(SECRET, header, BODY, now=1700000000)


@pytest.mark.parametrize("skew", [-301, 301, 10_000])
def test_clock_outside_the_window_is_refused(skew):
    header = signature.sign(SECRET, BODY, timestamp=1700000000)
    with pytest.raises(AuthenticationFailed) as caught:
        signature.verify(SECRET, header, BODY, now=1700000000 + skew)
    assert "away from the server's clock" in caught.value.reason


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_clock_inside_the_window_is_accepted(skew):
    header = signature.sign(SECRET, BODY, timestamp=1700000000)
    signature.verify(SECRET, header, BODY, now=1700000000 + skew)


def test_wrong_secret_or_altered_body_is_refused():
    header = signature.sign(SECRET, BODY)
    for secret, body in (("another-secret-0123456789", BODY), (SECRET, BODY + b" ")):
        with pytest.raises(AuthenticationFailed) as caught:
            signature.verify(secret, header, body)
        assert "does not match" in caught.value.reason


def test_the_caller_only_learns_authentication_failed():
    with pytest.raises(AuthenticationFailed) as caught:
        signature.verify(SECRET, "garbage", BODY)
    assert caught.value.message == "authentication failed"
    assert caught.value.http_status == 401
