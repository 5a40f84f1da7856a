"""parse on arbitrary and damaged input: it answers a ParsedMail whose every
accessor works, or NotAMail, and nothing else."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extdesk.mail import fields
from extdesk.mail.exceptions import NotAMail
from extdesk.mail.parsing import ParsedMail, own_mail_token, parse

CORPUS = sorted((Path(__file__).resolve().parent / "corpus").glob("*.eml"))
SEEDS = [path.read_bytes() for path in CORPUS]
PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_HEX = re.compile("[0-9a-f]{64}")
_CONTENT_TYPE = re.compile(r"[a-z0-9!#$%&'*+\-.^_`|~]+/[a-z0-9!#$%&'*+\-.^_`|~]+")


def parsed_or_none(raw: bytes) -> ParsedMail | None:
    try:
        mail = parse(raw)
    except NotAMail as refused:
        assert str(refused) and "\n" not in str(refused)
        return None
    check(mail)
    return mail


def check(mail: ParsedMail) -> None:
    """Every accessor of a parsed mail, and what each promises."""
    for one_line in (mail.message_id, mail.sender_address, mail.sender_name, mail.reply_to_address,
                     mail.subject, mail.automatic, mail.extdesk_header):
        assert isinstance(one_line, str)
        assert not _LINE_CONTROL.search(one_line), one_line
    for text in (mail.text, mail.new_text):
        assert not _CONTROL.search(text)
        assert "\r" not in text
    if mail.text.strip():
        assert mail.new_text.strip()
    assert mail.subject == mail.subject.strip() and "  " not in mail.subject
    for ids in (mail.in_reply_to, mail.references):
        assert len(ids) == len(set(ids))
        assert all(mail_id and not re.search(r"[\s<>]", mail_id) for mail_id in ids)
    assert not re.search(r"[\s<>]", mail.message_id)
    for address in (mail.sender_address, mail.reply_to_address, *mail.to_addresses, *mail.cc_addresses):
        assert address == "" or fields.usable(address), address
    assert len(mail.to_addresses) == len(set(mail.to_addresses))
    assert mail.date is None or mail.date.tzinfo is not None
    assert isinstance(mail.is_spam, bool)
    assert all(isinstance(name, str) and isinstance(value, str) and not _LINE_CONTROL.search(value)
               for name, value in mail.headers)
    assert all(isinstance(defect, str) and defect and not _LINE_CONTROL.search(defect)
               for defect in mail.defects)
    assert _HEX.fullmatch(mail.dedup_key)
    token, number = own_mail_token(mail.extdesk_header)
    assert isinstance(token, str) and (number is None or number >= 0)
    for attachment in mail.attachments:
        assert attachment.filename and len(attachment.filename) <= 200
        assert not re.search(r"[/\\\x00-\x1f\x7f]", attachment.filename), attachment.filename
        assert attachment.filename not in (".", "..")
        assert _CONTENT_TYPE.fullmatch(attachment.content_type), attachment.content_type
        payload = attachment.payload()
        assert isinstance(payload, bytes)
        assert len(payload) == attachment.size
        assert attachment.payload() == payload
        assert isinstance(attachment.inline, bool)
        assert not re.search(r"[\s<>]", attachment.content_id)
    if mail.report is not None:
        report = mail.report
        assert all(isinstance(value, str) for value in (report.action, report.status, report.diagnostic))
        assert all(isinstance(value, str) for value in (*report.recipients, *report.original_message_ids))
        assert all(isinstance(key, str) and isinstance(value, str)
                   for key, value in report.original_headers.items())
        assert isinstance(report.extdesk_header, str)


@PROPERTIES
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(raw):
    parsed_or_none(raw)


@PROPERTIES
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_after_a_from_header(raw):
    # Past the "is this a mail at all" checks, into the MIME parsing.
    assert parsed_or_none(b"From: a@b.example\n" + raw) is not None or b"\0" in raw.partition(b"\n\n")[0]


_MAIL_BYTES = st.sampled_from([
    b"\n", b"\r\n", b"\r", b"--", b"=?", b"?=", b"=?utf-8?b?", b"=?x-bad?q?", b"=?iso-2022-jp?b?GyRC?=",
    b"<", b">", b'"', b";", b":", b"\\", b"\x00", b"\xff", b"\xc3", b"\x1b$B", b" ", b"\t", b"boundary=",
    b"boundary*0=",
    b"charset=", b"multipart/mixed", b"multipart/alternative", b"multipart/report", b"message/rfc822",
    b"message/delivery-status", b"text/html", b"text/rfc822-headers", b"Content-Type: ",
    b"Content-Transfer-Encoding: base64", b"quoted-printable", b"Content-Disposition: attachment; ",
    b"filename*0*=utf-8''%C3%BC", b"name=", b"format=flowed; delsp=yes", b"<blockquote>", b"<a href=",
    b"report-type=delivery-status", b"Action: failed", b"Status: 5.1.1", b"X-Extdesk-Mail: ",
    b"From: ", b"MAILER-DAEMON@", b"Message-ID: <", b"References: ", b"On Mon, Bob wrote:", b"-- \n", b"> ",
    b"=3D", b"=\n", b"AAAA", b"@", b"(", b")", b",", b"%", b"''", b"*",
])


@st.composite
def mutated_corpus_message(draw):
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(raw)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        if kind == "insert":
            raw[position:position] = draw(_MAIL_BYTES)
        elif kind == "delete":
            del raw[position : position + draw(st.integers(1, 40))]
        elif kind == "replace" and raw:
            raw[min(position, len(raw) - 1)] = draw(st.integers(0, 255))
        else:
            start = draw(st.integers(0, len(raw)))
            raw[position:position] = raw[start : start + draw(st.integers(1, 200))]
    return bytes(raw)


@PROPERTIES
@given(mutated_corpus_message())
def test_mutated_corpus_messages(raw):
    parsed_or_none(raw)


def test_every_corpus_message_passes_the_checks():
    for raw in SEEDS:
        parsed_or_none(raw)


_HEADER_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60).map(
    lambda text: text.encode("utf-8"))
_HEADER_NAMES = st.sampled_from([b"From", b"To", b"Cc", b"Reply-To", b"Sender", b"Return-Path", b"Subject",
                                 b"Date", b"Message-ID", b"In-Reply-To", b"References", b"Content-Type",
                                 b"Content-Transfer-Encoding", b"Content-Disposition", b"Auto-Submitted",
                                 b"Precedence", b"X-Spam-Status", b"X-Extdesk-Mail", b"List-Id", b"X-Other"])


@PROPERTIES
@given(st.lists(st.tuples(_HEADER_NAMES, st.one_of(_HEADER_TEXT, _MAIL_BYTES)), max_size=12),
       st.binary(max_size=300))
def test_arbitrary_header_values(headers, body):
    raw = b"From: a@b.example\n" + b"".join(name + b": " + value + b"\n" for name, value in headers)
    parsed_or_none(raw + b"\n" + body)


# Well-formed MIME built from parts: the reading gives back what was put in.

_CONTENT = st.binary(max_size=400)
_PRINTABLE = st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"])
_TEXT = st.text(_PRINTABLE, min_size=1, max_size=80).filter(lambda text: text.strip() != "")
_NAMES = st.text(_PRINTABLE, min_size=1, max_size=30)


@st.composite
def file_part(draw):
    content = draw(_CONTENT)
    content_type = draw(st.sampled_from([b"application/pdf", b"image/png", b"application/octet-stream",
                                         b"application/zip"]))
    encoding = draw(st.sampled_from(["base64", "quoted-printable"]))
    # istext=False: line ends in the content are encoded as =0D and =0A, not written.
    body = (base64.encodebytes(content) if encoding == "base64"
            else binascii.b2a_qp(content, quotetabs=True, istext=False))
    name = draw(st.none() | _NAMES)
    headers = b"Content-Type: " + content_type + b"\nContent-Transfer-Encoding: " + encoding.encode() + b"\n"
    if name is not None:
        style = draw(st.sampled_from(["rfc2231", "rfc2047"]))
        if style == "rfc2231":
            encoded = "".join(f"%{byte:02X}" for byte in name.encode("utf-8")).encode("ascii")
            headers += b"Content-Disposition: attachment; filename*=utf-8''" + encoded + b"\n"
        else:
            encoded = base64.b64encode(name.encode("utf-8"))
            headers += b'Content-Disposition: attachment; filename="=?utf-8?b?' + encoded + b'?="\n'
    return ("file", content, name, headers + b"\n" + body)


@st.composite
def text_part(draw):
    text = draw(_TEXT)
    charset = draw(st.sampled_from(["utf-8", "utf-16", "gb18030", "utf-7"]))
    body = base64.encodebytes(text.encode(charset))
    headers = (b"Content-Type: text/plain; charset=" + charset.encode()
               + b"\nContent-Transfer-Encoding: base64\n")
    return ("text", text, None, headers + b"\n" + body)


@PROPERTIES
@given(st.lists(st.one_of(file_part(), text_part()), min_size=1, max_size=6))
def test_a_well_formed_multipart_reads_back_what_it_carries(parts):
    raw = b"From: a@b.example\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=PART\n\n"
    for part in parts:
        raw += b"--PART\n" + part[3] + b"\n"
    raw += b"--PART--\n"
    mail = parsed_or_none(raw)
    assert mail is not None
    files = [part for part in parts if part[0] == "file"]
    assert [attachment.payload() for attachment in mail.attachments] == [part[1] for part in files]
    for attachment, part in zip(mail.attachments, files, strict=True):
        name = part[2]
        # The name given, without path components and surrounding whitespace,
        # or a default name when nothing (or only dots) is left.
        given = "" if name is None else name.replace("\\", "/").rsplit("/", 1)[-1].strip()
        if given.strip("."):
            assert attachment.filename == given
        else:
            assert attachment.filename.startswith(("attachment", "image0"))
    texts = [part[1].replace("\r\n", "\n").replace("\r", "\n") for part in parts if part[0] == "text"]
    for text in texts:
        assert fields.without_controls(text, keep="\t\n").strip("\n").rstrip() in mail.text
