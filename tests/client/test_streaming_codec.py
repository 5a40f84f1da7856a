"""The protocol-layer pieces the client streams with: chunked encoding and signing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from extdesk.soap import signature
from extdesk.soap.envelope import decode_call, encode_call, iter_encode_call

_text = st.text(max_size=30)
_record = st.fixed_dictionaries(
    {"id": st.integers(min_value=1, max_value=2**63 - 1), "email": _text, "last_name": _text}
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_record, max_size=40), st.integers(min_value=1, max_value=7))
def test_chunks_join_to_exactly_what_encode_call_writes(records, per_chunk):
    params = [("contacts", records)]
    chunks = list(iter_encode_call("urn:x", "alter_contacts", params, items_per_chunk=per_chunk))
    assert b"".join(chunks) == encode_call("urn:x", "alter_contacts", params)
    # One chunk per slice of items, plus the closing one.
    assert len(chunks) == -(-len(records) // per_chunk) + 1


def test_scalar_and_empty_calls_match_encode_call():
    for params in ([], [("id", 7), ("ip", "10.0.0.1"), ("act", "add")], [("contacts", [])]):
        assert b"".join(iter_encode_call(None, "m", params)) == encode_call(None, "m", params)


def test_streamed_call_decodes_to_every_value_unchanged():
    records = [{"id": 1, "email": "a@example.com", "last_name": "Zoë 山田 😀 <&> \x01 true 0042"}] * 3
    body = b"".join(iter_encode_call("urn:x", "alter_contacts", [("contacts", records)], items_per_chunk=1))
    call = decode_call(body)
    assert call.params[0][1] == [
        {"id": "1", "email": "a@example.com", "last_name": "Zoë 山田 😀 <&> \x01 true 0042"}
    ] * 3


def test_signing_chunks_equals_signing_the_joined_body():
    chunks = [b"<a>", b"", "é".encode(), b"</a>"]
    joined = b"".join(chunks)
    assert signature.compute_signature("s" * 16, 5, "n" * 16, iter(chunks)) == (
        signature.compute_signature("s" * 16, 5, "n" * 16, joined)
    )
    header = signature.sign("secret-0123456789", iter(chunks), timestamp=10**9, nonce="abcdefghijklmnop")
    assert signature.verify("secret-0123456789", header, joined, now=10**9).nonce == "abcdefghijklmnop"
    other = signature.compute_signature("s" * 16, 5, "n" * 16, [b"<a>", b"</a>"])
    assert other != signature.compute_signature("s" * 16, 5, "n" * 16, joined)
