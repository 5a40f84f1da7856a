"""The fuzz targets: one function per untrusted input, fed raw bytes.

A target returns normally for every input the code under test handles as
designed (a value, or the fault the protocol prescribes); any other
exception, a failed round-trip assertion, a hang or a crash is a finding.
"""

from __future__ import annotations

import contextlib

import atheris

with atheris.instrument_imports(include=["extdesk.soap", "extdesk.mail"]):
    from extdesk.mail.exceptions import NotAMail
    from extdesk.mail.parsing import own_mail_token, parse
    from extdesk.soap import signature
    from extdesk.soap.envelope import decode_call, decode_response, encode_call
    from extdesk.soap.exceptions import AuthenticationFailed, ClientFault, FaultReceived

SECRET = "fuzz-secret-0123456789"
NOW = 1_800_000_000


def envelope(data: bytes) -> None:
    """Both decoders: a value or a fault; a decoded call re-encodes to itself."""
    try:
        call = decode_call(data)
    except ClientFault:
        call = None
    with contextlib.suppress(ClientFault, FaultReceived):
        decode_response(data)
    if call is None:
        return
    try:
        again = encode_call(call.namespace, call.method, call.params)
    except ValueError:
        # Element names the encoder does not write (non-ASCII XML names).
        return
    assert decode_call(again) == call, (call, again)


_NONCE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdef")


def _reference_parse(value: str) -> tuple[int, str, str] | None:
    """PROTOCOL.md section 3 read literally, without a regular expression."""
    parts = [part.strip(" ") for part in value.strip().split(",")]
    if len(parts) != 3 or not all(part[:2] == key for part, key in zip(parts, ("t=", "n=", "s="),
                                                                           strict=True)):
        return None
    t, n, s = (part[2:] for part in parts)
    if not (1 <= len(t) <= 12 and set(t) <= _DIGITS):
        return None
    if not (16 <= len(n) <= 64 and set(n) <= _NONCE_CHARS):
        return None
    if not (len(s) == 64 and set(s) <= _HEX):
        return None
    return int(t), n, s


def signature_header(data: bytes) -> None:
    """The header parser agrees with a plain reading of the grammar; the
    verifier answers a header or AuthenticationFailed, never anything else."""
    # The first byte tells how many of the following bytes are the header;
    # WSGI hands header values over as latin-1 text.
    length = data[0] if data else 0
    header = data[1 : 1 + length].decode("latin-1")
    body = data[1 + length :]
    try:
        parsed = signature.parse_header(header)
    except AuthenticationFailed:
        parsed = None
    expected = _reference_parse(header)
    got = None if parsed is None else (parsed.timestamp, parsed.nonce, parsed.signature)
    assert got == expected, (header, got, expected)
    try:
        accepted = signature.verify(SECRET, header, body, now=NOW)
    except AuthenticationFailed:
        return
    assert abs(NOW - accepted.timestamp) <= signature.DEFAULT_WINDOW_SECONDS
    assert accepted.signature == signature.compute_signature(SECRET, accepted.timestamp,
                                                             accepted.nonce, body)


_CONTROLS = frozenset(chr(code) for code in [*range(0x20), *range(0x7F, 0xA0)])


def mail(data: bytes) -> None:
    """The mail reader: a ParsedMail whose every accessor works, or NotAMail."""
    try:
        parsed = parse(data)
    except NotAMail as refused:
        assert str(refused) and "\n" not in str(refused), refused
        return
    for one_line in (parsed.message_id, parsed.sender_address, parsed.sender_name, parsed.subject,
                     parsed.reply_to_address, parsed.automatic, parsed.extdesk_header,
                     *parsed.in_reply_to, *parsed.references, *parsed.to_addresses, *parsed.cc_addresses,
                     *(value for _, value in parsed.headers), *parsed.defects):
        assert isinstance(one_line, str) and not _CONTROLS & set(one_line), repr(one_line)
    for text in (parsed.text, parsed.new_text):
        assert isinstance(text, str) and not (_CONTROLS - {"\t", "\n"}) & set(text), repr(text)
    assert parsed.date is None or parsed.date.tzinfo is not None
    assert len(parsed.dedup_key) == 64 and isinstance(parsed.is_spam, bool)
    own_mail_token(parsed.extdesk_header)
    for attachment in parsed.attachments:
        assert attachment.filename and not {"/", "\\"} & set(attachment.filename), attachment.filename
        assert attachment.content_type.count("/") == 1, attachment.content_type
        payload = attachment.payload()
        assert len(payload) == attachment.size, (attachment, len(payload))
        assert isinstance(attachment.inline, bool) and isinstance(attachment.content_id, str)
    if parsed.report is not None:
        report = parsed.report
        assert all(isinstance(value, str) for value in (report.action, report.status, report.diagnostic,
                                                        report.extdesk_header, *report.recipients,
                                                        *report.original_message_ids))


TARGETS = {"envelope": envelope, "signature": signature_header, "mail": mail}
