"""extdesk.mail.parsing.parse against real-world-shaped mail: the corpus
(CPython's email test messages and hand-written messages in the shapes
Outlook, Gmail, Apple Mail, Thunderbird, MTAs and list servers send), and
each rule of the reading on its own."""

# ruff: noqa: RUF001 - the mail is in Cyrillic, CJK and typographic characters on purpose

from __future__ import annotations

import base64
import dataclasses
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

import pytest

from extdesk.mail.exceptions import NotAMail
from extdesk.mail.parsing import MailAttachment, ParsedMail, own_mail_token, parse

CORPUS = Path(__file__).resolve().parent / "corpus"


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def first_words(text: str, count: int = 6) -> str:
    return " ".join(text.split()[:count])


class Expected(NamedTuple):
    subject: str
    sender: str
    words: str  # the first (up to six) words of ParsedMail.text
    attachments: list[str]
    automatic: str = ""
    report: tuple[str, str, list[str]] | None = None  # action, status, original ids


NOT_A_MAIL = {
    "cpython-msg_11.eml": "no From, Sender or Return-Path",
    "cpython-msg_18.eml": "no From, Sender or Return-Path",
    "cpython-msg_19.eml": "does not begin with a header block",
    "cpython-msg_37.eml": "no From, Sender or Return-Path",
    "cpython-msg_38.eml": "no From, Sender or Return-Path",
    "cpython-msg_39.eml": "no From, Sender or Return-Path",
    "cpython-msg_40.eml": "no From, Sender or Return-Path",
}

HI = "Hi, Do you like this message?"
LYRICS = ("Lyrics", "barry@python.org")
EXPECTED = {
    # CPython's Lib/test/test_email/data, as the email package's authors collected them.
    "cpython-msg_01.eml": Expected("This is a test message", "bbb@ddd.com", HI, []),
    "cpython-msg_02.eml": Expected("Ppp digest, Vol 1 #2 - 5 msgs", "ppp-request@zzz.org",
                                   "Send Ppp mailing list submissions to",
                                   ["[Ppp] testing #1.eml", "message.eml", "[Ppp] testing #3.eml",
                                    "[Ppp] testing #4.eml", "[Ppp] testing #5.eml"]),
    "cpython-msg_03.eml": Expected("This is a test message", "bbb@ddd.com", HI, []),
    # Only named text files, shown inline: they are the text, and files.
    "cpython-msg_04.eml": Expected("a simple multipart", "barry@python.org", "a simple kind of mirror to",
                                   ["msg.txt", "msg.txt"]),
    "cpython-msg_05.eml": Expected("bar", "", "Yadda yadda yadda Yadda yadda yadda", ["message.eml"],
                                   automatic="no sender address"),
    "cpython-msg_06.eml": Expected("forwarded message from Barry A. Warsaw", "barry@python.org", "",
                                   ["testing.eml"]),
    "cpython-msg_07.eml": Expected("Here is your dingus fish", "barry@digicool.com",
                                   "Hi there, This is the dingus", ["dingusfish.gif"]),
    "cpython-msg_08.eml": Expected(*LYRICS, "", []),
    "cpython-msg_09.eml": Expected(*LYRICS, "", []),
    "cpython-msg_10.eml": Expected(*LYRICS, "This is a 7bit encoded message.", []),
    "cpython-msg_12.eml": Expected(*LYRICS, "", []),
    "cpython-msg_12a.eml": Expected(*LYRICS, "", []),
    "cpython-msg_13.eml": Expected("Here is your dingus fish", "barry@digicool.com",
                                   "A text/plain part Hi there, This", ["dingusfish.gif"]),
    "cpython-msg_14.eml": Expected("This is a test message", "bbb@ddd.com", "Hi, I'm sorry but I'm using",
                                   []),
    "cpython-msg_15.eml": Expected("XX", "xx@xx.dk", "Some removed test.", []),
    "cpython-msg_16.eml": Expected("Delivery Notification: Delivery has failed", "postmaster@ucla.edu",
                                   "This report relates to a message",
                                   ["delivery-status.txt", "[scr] yeah for Ians!!.eml"],
                                   automatic="Precedence: bulk",
                                   report=("failed", "5.0.0", ["002001c144a6$8752e060$56104586@oxy.edu"])),
    "cpython-msg_17.eml": Expected("Here is your dingus fish", "barry@digicool.com",
                                   "Hi there, This is the dingus", []),
    "cpython-msg_20.eml": Expected("This is a test message", "bbb@ddd.com", HI, []),
    "cpython-msg_21.eml": Expected("Test", "aperson@dom.ain", "One Two", []),
    "cpython-msg_22.eml": Expected("", "b@example.com", "Text text text. Text text text.",
                                   ["wibble.JPG", "wibble2.JPG"]),
    "cpython-msg_23.eml": Expected("", "aperson@dom.ain", "A message part", []),
    "cpython-msg_24.eml": Expected("A subject", "bperson@dom.ain", "", []),
    # Its boundary parameter is cut off; the boundary line in the body is used.
    "cpython-msg_25.eml": Expected("Returned mail: Too many hops 19 (17 max): from <linuxuser-admin@www."
                                   "linux.org.uk> via [199.164.235.226], to <scoffman@wellpartner.com>",
                                   "MAILER-DAEMON@zinfandel.lacita.com",
                                   "The original message was received at",
                                   ["delivery-status.txt", "original-headers.txt"],
                                   automatic="Auto-Submitted: auto-generated (failure)",
                                   report=("failed", "5.4.6", ["01040616033903.00962@server"])),
    "cpython-msg_26.eml": Expected("IMAP file test", "father.time@xcar.wooster.local",
                                   "Simple email with attachment.", ["clock.bmp"]),
    "cpython-msg_27.eml": Expected("bug demonstration 12345678911234567892123456789312345678941234567895"
                                   "123456789612345678971234567898112345678911234567892123456789112345678"
                                   "911234567892123456789 more text", "aperson@dom.ain", "test", []),
    "cpython-msg_28.eml": Expected("", "aperson@dom.ain", "", ["ee.eml", "ee.eml"]),
    "cpython-msg_29.eml": Expected("This is a test message", "bbb@ddd.com", HI, []),
    "cpython-msg_30.eml": Expected("", "aperson@dom.ain", "", ["ee.eml", "ee.eml"]),
    "cpython-msg_31.eml": Expected("", "aperson@dom.ain", "message 1 message 2", []),
    "cpython-msg_32.eml": Expected("Re: Limiting Perl CPU Utilization...", "aperson@example.com",
                                   "Some message.", [], automatic="Precedence: bulk"),
    "cpython-msg_33.eml": Expected("Re: Limiting Perl CPU Utilization...", "aperson@example.com",
                                   "part 1 part 2", [], automatic="Precedence: bulk"),
    "cpython-msg_34.eml": Expected("", "aperson@dom.ain", "This is a text plain part", ["message.eml"]),
    "cpython-msg_35.eml": Expected("here's something interesting", "aperson@dom.ain",
                                   "counter to RFC 2822, there's no", []),
    "cpython-msg_36.eml": Expected("I-D ACTION:draft-ietf-mboned-mix-00.txt", "Internet-Drafts@ietf.org",
                                   "Blah blah blah", ["attachment", "draft-ietf-mboned-mix-00.txt"]),
    "cpython-msg_41.eml": Expected("64423", "xxx@example.com", "Blah blah blah", []),
    "cpython-msg_42.eml": Expected("", "xxx@example.com", "Stuff", ["message.eml"]),
    "cpython-msg_43.eml": Expected("Banned file: auto__mail.python.bat in mail from you", "",
                                   "BANNED FILENAME ALERT Your message to:",
                                   ["delivery-status.txt", "original-headers.txt"],
                                   automatic="no sender address",
                                   report=("failed", "5.7.1", ["edab.7804f5cb8070@python.org"])),
    "cpython-msg_44.eml": Expected("a simple multipart", "barry@python.org", "a simple kind of mirror to",
                                   ["msg.txt", "msg.txt"]),
    "cpython-msg_45.eml": Expected("test", "foo@bar.baz", "This is the signed contents.", ["signature.asc"]),
    "cpython-msg_46.eml": Expected("GroupwiseForwardingTest", "sender@example.net", "",
                                   ["GroupwiseForwardingTest.eml"]),
    "cpython-msg_47.eml": Expected("", "arthur@example.example", "bar", []),
    # Written for these tests, in the shapes the named programs send.
    "outlook-reply.eml": Expected("AW: RE: Invoice address [#1042]", "petra@customer.example",
                                  "Hello Support, the invoice still shows", []),
    "outlook-tnef.eml": Expected("Contract renewal", "petra@customer.example",
                                 "Please find the signed contract attached.", ["winmail.dat"]),
    "gmail-reply.eml": Expected("Re: [#2001] Login fails", "jo.customer@gmail.com",
                                "Thanks, that fixed it! On Mon,", []),
    "gmail-inline-image.eml": Expected("Screenshot of the error", "jo.customer@gmail.com",
                                       "This is what I see: [image:", ["error.png", "image001.png"]),
    "apple-mail.eml": Expected("Re: Quote", "jan@customer.example", "Hi, here is the quote you",
                               ["Quote-2024-06.pdf"]),
    "apple-forward.eml": Expected("Fwd: Server down", "jan@customer.example",
                                  "Please have a look at this.", []),
    "thunderbird.eml": Expected("Re: Rechnung für Juni", "karl@mueller.example",
                                "Hallo, anbei die Rechnung. Die Zahlung",
                                ["Grüße und Rechnung Nr. 12345 für Juni 2024.pdf"]),
    "html-only.eml": Expected("Your order", "orders@shop.example",
                              "Order “confirmed” Dear customer, your order", []),
    "iso-2022-jp.eml": Expected("ログインできません", "yamada@customer.example.jp",
                                "お世話になっております。 ログインできません。 山田", []),
    "shift-jis.eml": Expected("請求書", "tanaka@customer.example.jp",
                              "請求書の件です。①番の金額が違います。", []),
    "koi8-r.eml": Expected("Не работает почта", "ivan@customer.example.ru",
                           "Здравствуйте! Почта не приходит с утра.", []),
    "windows-1251.eml": Expected("Счёт на оплату", "olga@customer.example.ru",
                                 "Добрый день, счёт не пришёл.", []),
    "iso-8859-15.eml": Expected("Facture de 100 €", "rene@customer.example.fr",
                                "Bonjour, la facture de 100 €", []),
    "gb2312.eml": Expected("发票问题", "li@customer.example.cn", "您好，發票有問題。", []),
    "big5.eml": Expected("帳單", "chen@customer.example.tw", "您好，帳單有問題。", []),
    "rfc2047-subject.eml": Expected("Prüfung ✓ 😀 and café plain", "zoe@customer.example",
                                    "A subject of many words.", []),
    "rfc2047-filename.eml": Expected("Attached list", "office@customer.example", "Hi änd hello €5",
                                     ["Preisliste Änderungen.xlsx", "attachment.ics"]),
    "dsn-extdesk.eml": Expected("Undelivered Mail Returned to Sender", "MAILER-DAEMON@mx.helpdesk.example",
                                "This is the mail system at",
                                ["delivery-status.txt", "[#6001] Your request.eml"],
                                automatic="Auto-Submitted: auto-replied",
                                report=("failed", "5.1.1", ["extdesk.6001.9@helpdesk.example"])),
    "exchange-ndr.eml": Expected("Undeliverable: [#7001] Password reset",
                                 "postmaster@customer.onmicrosoft.example",
                                 "Your message to gone@customer.example couldn't be",
                                 ["delivery-status.txt", "original-headers.txt"],
                                 automatic="Auto-Submitted: auto-replied",
                                 report=("failed", "5.1.10", ["extdesk.7001.5@helpdesk.example"])),
    "read-receipt.eml": Expected("Read: [#1042] Invoice address", "petra@customer.example",
                                 "Your message was displayed on Mon,", ["disposition-notification.txt"],
                                 report=("displayed", "", ["extdesk.1042.8@helpdesk.example"])),
    "classic-bounce.eml": Expected("Mail delivery failed: returning message to sender",
                                   "Mailer-Daemon@old.customer.example",
                                   "This message was created automatically by", ["[#8001] Update.eml"],
                                   automatic="sender Mailer-Daemon@old.customer.example",
                                   report=("failed", "", ["extdesk.8001.2@helpdesk.example"])),
    "vacation.eml": Expected("Abwesenheitsnotiz: [#9001] Your request", "max@customer.example",
                             "Ich bin bis 1. Juli nicht", [], automatic="Auto-Submitted: auto-replied"),
    "exchange-oof.eml": Expected("Automatic reply: [#9002] Your request", "lisa@customer.example",
                                 "I am out of the office", [], automatic="X-Auto-Response-Suppress: All"),
    "mailing-list.eml": Expected("[users] New release 2.0", "dev@lists.example",
                                 "Version 2.0 is out. _______________________________________________ users",
                                 [], automatic="Precedence: list"),
    "spam.eml": Expected("You have WON €1.000.000", "winner@lottery.example",
                         "Send us your bank details to", []),
    "broken-no-end-boundary.eml": Expected("Cut off", "sam@customer.example", "The first part arrived.",
                                           ["half.pdf"]),
    "broken-no-boundary.eml": Expected("No boundary", "sam@customer.example", "Text nobody announced.", []),
    "broken-base64.eml": Expected("Bad base64", "sam@customer.example",
                                  "Hello, the base64 is broken. Does", ["data.bin"]),
    "broken-8bit-headers.eml": Expected("Über die Rechnung – bitte prüfen", "juergen@customer.example",
                                        "Grüße aus München.", []),
    "no-body.eml": Expected("(no text)", "quiet@customer.example", "", []),
    "only-attachment.eml": Expected("Scan", "scanner@customer.example", "", ["scan_0001.pdf"]),
    "noreply-mislabelled.eml": Expected("Password changed", "No-Reply+alerts@service.example",
                                        "Your password was changed at 10:00", [],
                                        automatic="sender No-Reply+alerts@service.example"),
    "mbox-delivered.eml": Expected("Fw: Forwarded as attachment", "sam@customer.example",
                                   "See the attached mail.", ["Original question.eml"],
                                   automatic="X-Loop: support@helpdesk.example"),
}


def test_every_corpus_file_has_an_expectation():
    files = {path.name for path in CORPUS.glob("*.eml")}
    assert files == set(EXPECTED) | set(NOT_A_MAIL)
    assert not set(EXPECTED) & set(NOT_A_MAIL)


@pytest.mark.parametrize("name", sorted(NOT_A_MAIL))
def test_corpus_inputs_that_are_no_mail(name):
    with pytest.raises(NotAMail, match=NOT_A_MAIL[name]):
        parse(corpus(name))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message(name):
    expected = EXPECTED[name]
    mail = parse(corpus(name))
    assert mail.subject == expected.subject
    assert mail.sender_address == expected.sender
    assert first_words(mail.text) == expected.words
    assert [attachment.filename for attachment in mail.attachments] == expected.attachments
    assert mail.automatic == expected.automatic
    if expected.report is None:
        assert mail.report is None
    else:
        assert mail.report is not None
        assert (mail.report.action, mail.report.status, mail.report.original_message_ids) == expected.report
    for attachment in mail.attachments:
        assert len(attachment.payload()) == attachment.size


# --- the shapes of particular programs


def test_outlook_reply_reads_the_plain_alternative_and_folds_the_original_message():
    mail = parse(corpus("outlook-reply.eml"))
    assert mail.text.startswith("Hello Support,\n\nthe invoice still shows the old address.")
    assert "-----Original Message-----" in mail.text
    assert mail.new_text == "Hello Support,\n\nthe invoice still shows the old address.\n\nRegards,\nPetra"
    assert mail.in_reply_to == mail.references == ["extdesk.1042.7@helpdesk.example"]
    assert mail.message_id == "AM0PR07MB1234ABCD@AM0PR07MB1234.eurprd07.prod.outlook.com"
    assert mail.to_addresses == ["support@helpdesk.example"]
    assert mail.date == datetime(2024, 6, 3, 8, 15, tzinfo=UTC)
    assert "\r" not in mail.text


def test_outlook_tnef_is_kept_as_winmail_dat():
    mail = parse(corpus("outlook-tnef.eml"))
    (tnef,) = mail.attachments
    assert (tnef.filename, tnef.content_type, tnef.inline) == ("winmail.dat", "application/ms-tnef", False)
    assert tnef.payload().startswith(bytes.fromhex("789f3e22"))
    assert tnef.size == 4 + 1024
    assert mail.text == "Please find the signed contract attached.\n\nPetra Läng"
    assert mail.sender_name == "Lang, Petra"


def test_gmail_reply_folds_the_attribution_wrapped_over_two_lines():
    mail = parse(corpus("gmail-reply.eml"))
    assert mail.new_text == "Thanks, that fixed it!"
    assert mail.sender_name == "Jo Customer"
    assert mail.message_id == "CAF=abc123XyZ+9q@mail.gmail.com"


def test_gmail_inline_images_are_inline_attachments_with_their_content_ids():
    mail = parse(corpus("gmail-inline-image.eml"))
    named, unnamed = mail.attachments
    assert (named.filename, named.content_type, named.inline, named.content_id) == (
        "error.png", "image/png", True, "ii_lx1abc0")
    # No disposition, but a Content-ID: meant to be shown in the text.
    assert (unnamed.filename, unnamed.inline, unnamed.content_id) == ("image001.png", True, "ii_lx1abc1")
    assert named.payload().startswith(b"\x89PNG\r\n\x1a\n")
    assert mail.text == "This is what I see:\n[image: error.png]"


def test_apple_mail_flowed_text_is_unwrapped_and_the_attachment_in_the_html_branch_found():
    mail = parse(corpus("apple-mail.eml"))
    assert mail.text.splitlines()[2] == (
        "here is the quote you asked for. The totals on page two are the ones that changed since April.")
    assert "> Could you send us the quote?" in mail.text
    assert mail.new_text.endswith("Best,\nJan")
    (pdf,) = mail.attachments
    assert (pdf.content_type, pdf.inline) == ("application/pdf", True)
    assert pdf.payload().startswith(b"%PDF-1.4")


def test_apple_mail_forward_is_content_not_history():
    mail = parse(corpus("apple-forward.eml"))
    assert mail.new_text == mail.text
    assert mail.new_text.endswith("web01 is not answering since 07:55.")


def test_thunderbird_signature_and_german_attribution_are_folded():
    mail = parse(corpus("thunderbird.eml"))
    assert mail.new_text == ("Hallo,\n\nanbei die Rechnung. Die Zahlung ist auf dem Konto leider nicht "
                             "angekommen, bitte prüfen Sie das.\n\nGrüße\nKarl")
    assert mail.sender_name == "Karl Müller"
    (pdf,) = mail.attachments
    assert pdf.content_type == "application/pdf"
    assert not pdf.inline


def test_html_only_mail_becomes_readable_text():
    mail = parse(corpus("html-only.eml"))
    assert mail.text == ("Order “confirmed”\n\nDear customer,\n\nyour order is on its way. Track it here "
                         "<https://shop.example/track?id=77> or see https://shop.example/.\n\n"
                         "- 1 × Keyboard\n- 2 × Mouse\nTotal 59,90 €\n\nBye")


def test_french_attribution_is_folded():
    assert parse(corpus("iso-8859-15.eml")).new_text == "Bonjour,\nla facture de 100 € est fausse."


def test_rfc2047_names_addresses_and_reply_to():
    mail = parse(corpus("rfc2047-subject.eml"))
    assert mail.sender_name == "Zoë Smith"
    assert mail.reply_to_address == "zoe.work@customer.example"
    assert mail.to_addresses == ["joerg@helpdesk.example", "support@helpdesk.example"]
    # "broken@@example" is no address; the others are kept in order.
    assert mail.cc_addresses == ["team@customer.example", "cc2@customer.example"]
    assert mail.message_id == "20240615.abc@customer.example"
    assert mail.in_reply_to == ["extdesk.5001.1@helpdesk.example"]
    assert mail.references == ["extdesk.5001.0@helpdesk.example", "extdesk.5001.1@helpdesk.example"]
    # -0000: the zone is unknown; taken as UTC, still aware.
    assert mail.date == datetime(2024, 6, 15, 10, 0, tzinfo=UTC)


def test_8bit_headers_are_read_as_utf8_or_windows_1252():
    mail = parse(corpus("broken-8bit-headers.eml"))
    assert mail.sender_name == "Jürgen Groß"
    assert ("X-Note", "café") in mail.headers
    assert mail.text == "Grüße aus München."


def test_rfc2231_continued_and_rfc2047_quoted_file_names_are_decoded():
    assert parse(corpus("thunderbird.eml")).attachments[0].filename == (
        "Grüße und Rechnung Nr. 12345 für Juni 2024.pdf")
    sheet, calendar = parse(corpus("rfc2047-filename.eml")).attachments
    assert sheet.filename == "Preisliste Änderungen.xlsx"
    assert sheet.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # text/calendar is a file, not text, and gets a name from its type.
    assert (calendar.filename, calendar.content_type) == ("attachment.ics", "text/calendar")


def test_a_windows_path_as_file_name_keeps_only_the_name():
    (scan,) = parse(corpus("only-attachment.eml")).attachments
    assert scan.filename == "scan_0001.pdf"
    assert scan.payload().startswith(b"%PDF")


def test_sender_falls_back_to_sender_then_return_path():
    assert parse(corpus("rfc2047-filename.eml")).sender_address == "office@customer.example"
    mail = parse(b"Return-Path: <bounce@lists.example>\nFrom: nobody\nSubject: x\n\nbody\n")
    assert mail.sender_address == "bounce@lists.example"
    assert "the From header has no usable address" in mail.defects


def test_mailing_list_spam_and_noreply_classification():
    assert parse(corpus("spam.eml")).is_spam
    assert not parse(corpus("mailing-list.eml")).is_spam
    assert parse(corpus("noreply-mislabelled.eml")).text == "Your password was changed at 10:00 (Zürich)."


# --- delivery reports


def test_dsn_names_the_original_and_our_own_header_inside_it():
    report = parse(corpus("dsn-extdesk.eml")).report
    assert report is not None
    assert report.original_message_ids == ["extdesk.6001.9@helpdesk.example"]
    assert report.original_headers["X-Extdesk-Mail"] == "abc123 42"
    assert report.extdesk_header == "abc123 42"
    assert own_mail_token(report.extdesk_header) == ("abc123", 42)
    assert report.recipients == ["nobody@customer.example"]
    assert report.diagnostic == (
        "550 5.1.1 <nobody@customer.example>: Recipient address rejected: User unknown")
    assert report.kind == "delivery-status"


def test_exchange_ndr_reads_the_original_from_text_rfc822_headers():
    report = parse(corpus("exchange-ndr.eml")).report
    assert report is not None
    assert report.extdesk_header == "abc123 77"
    assert report.recipients == ["gone@customer.example"]
    assert report.diagnostic.startswith("550 5.1.10 RESOLVER.ADR.RecipientNotFound")


def test_classic_bounce_with_the_original_attached():
    report = parse(corpus("classic-bounce.eml")).report
    assert report is not None
    assert report.kind == "bounce"
    assert report.extdesk_header == "abc123 99"
    assert report.recipients == ["someone@old.customer.example"]


def test_read_receipt_is_a_disposition_report():
    report = parse(corpus("read-receipt.eml")).report
    assert report is not None
    assert (report.kind, report.action, report.recipients) == (
        "disposition-notification", "displayed", ["petra@customer.example"])


def test_a_forwarded_bounce_is_not_a_report_about_our_mail():
    bounce = corpus("dsn-extdesk.eml")
    forwarded = (b"From: Sam <sam@customer.example>\nSubject: Fwd: bounce\nMIME-Version: 1.0\n"
                 b"Content-Type: multipart/mixed; boundary=F\n\n--F\nContent-Type: text/plain\n\nLook.\n"
                 b"--F\nContent-Type: message/rfc822\n\n" + bounce + b"\n--F--\n")
    mail = parse(forwarded)
    assert mail.report is None
    assert mail.attachments[0].filename == "Undelivered Mail Returned to Sender.eml"


def test_a_bounce_that_copies_the_original_headers_into_its_text():
    mail = parse(b"From: MAILER-DAEMON@mx.example\nSubject: failure notice\n\n"
                 b"Hi. This is the qmail-send program at mx.example.\n\n<gone@customer.example>:\n"
                 b"Sorry, no mailbox here by that name. (#5.1.1)\n\n"
                 b"--- Below this line is a copy of the message.\n\n"
                 b"Message-ID: <extdesk.1.1@helpdesk.example>\nX-Extdesk-Mail: abc123 5\n")
    assert mail.report is not None
    assert mail.report.original_message_ids == ["extdesk.1.1@helpdesk.example"]
    assert mail.report.extdesk_header == "abc123 5"
    assert mail.report.recipients == ["gone@customer.example"]
    assert mail.report.status == "5.1.1"


def test_mail_from_a_person_with_an_attached_mail_is_no_report():
    assert parse(corpus("mbox-delivered.eml")).report is None


# --- NotAMail


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "empty"),
    (b" \r\n\t\n", "empty"),
    (b"just some words\nand more\n", "does not begin with a header block"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "does not begin with a header block"),
    (b"Subject: hello\nTo: a@b.example\n\nbody\n", "no From, Sender or Return-Path"),
    (b"From: a@b.example\nX-Bin: \x00\x01\x02\n\nbody\n", "NUL"),
])
def test_input_that_is_no_mail(raw, reason):
    with pytest.raises(NotAMail, match=reason):
        parse(raw)


def test_over_the_size_limit_names_size_and_limit():
    raw = b"From: a@b.example\n\n" + b"x" * 101
    assert len(raw) == 120
    with pytest.raises(NotAMail, match="120 bytes, more than the limit of 119") as raised:
        parse(raw, max_bytes=119)
    assert "\n" not in str(raised.value)
    assert parse(raw, max_bytes=120).text == "x" * 101


def test_nul_bytes_in_the_body_are_no_reason_to_refuse():
    mail = parse(b"From: a@b.example\n\nbefore\x00after\n")
    assert mail.text == "beforeafter"


def test_a_byte_order_mark_before_the_headers_is_skipped():
    mail = parse(b"\xef\xbb\xbfFrom: a@b.example\nSubject: s\n\nbody\n")
    assert (mail.sender_address, mail.subject) == ("a@b.example", "s")
    assert mail.headers[0] == ("From", "a@b.example")


def test_defects_are_listed_up_to_fifty():
    parts = b"".join(b"--M\nContent-Type: text/plain\nno separator %d\n" % number for number in range(80))
    mail = parse(b"From: a@b.example\nContent-Type: multipart/mixed; boundary=M\n\n" + parts + b"--M--\n")
    assert len(mail.defects) == 51
    assert mail.defects[0] == "part 1: missing header body separator"
    assert mail.defects[-1] == "and 30 more problems"


def test_an_mbox_from_line_is_not_a_header():
    mail = parse(b"From a@b.example Mon Jul  1 10:00:00 2024\nFrom: a@b.example\nSubject: s\n\nbody\n")
    assert (mail.sender_address, mail.subject, mail.text) == ("a@b.example", "s", "body")
    assert [name for name, _ in mail.headers] == ["From", "Subject"]


# --- header fields


def test_missing_fields_are_empty():
    mail = parse(b"From: a@b.example\n\nbody\n")
    assert (mail.message_id, mail.in_reply_to, mail.references, mail.subject, mail.date,
            mail.reply_to_address, mail.to_addresses, mail.cc_addresses, mail.extdesk_header) == (
        "", [], [], "", None, "", [], [], "")
    assert mail.attachments == []
    assert mail.report is None
    assert not mail.is_spam


def test_message_ids_are_normalised_and_references_deduplicated_in_order():
    mail = parse(b"From: a@b.example\nMessage-ID: <\r\n abc@x.example>\nIn-Reply-To: <one@x> (comment)\n"
                 b"References: <one@x> junk <two@x>\r\n\t<one@x> <three@x>\n\nbody\n")
    assert mail.message_id == "abc@x.example"
    assert mail.in_reply_to == ["one@x"]
    assert mail.references == ["one@x", "two@x", "three@x"]


def test_message_id_without_brackets():
    assert parse(b"From: a@b.example\nMessage-ID: bare@x.example \n\nb\n").message_id == "bare@x.example"


def test_subject_whitespace_collapsed_and_control_characters_removed():
    mail = parse(b"From: a@b.example\nSubject:  one\r\n\t two \x07three\x1b[31m  \n\nb\n")
    assert mail.subject == "one two three[31m"


@pytest.mark.parametrize(("value", "expected"), [
    (b"Mon, 3 Jun 2024 10:00:00 +0200", datetime(2024, 6, 3, 10, tzinfo=timezone(timedelta(hours=2)))),
    (b"3 Jun 2024 10:00 GMT", datetime(2024, 6, 3, 10, tzinfo=UTC)),
    (b"Mon, 3 Jun 2024 10:00:00 -0000", datetime(2024, 6, 3, 10, tzinfo=UTC)),
    (b"yesterday", None),
    (b"", None),
])
def test_date_is_aware_or_none(value, expected):
    mail = parse(b"From: a@b.example\nDate: " + value + b"\n\nb\n")
    assert mail.date == expected
    if mail.date is not None:
        assert mail.date.tzinfo is not None


def test_headers_are_all_top_level_headers_decoded_in_order():
    mail = parse(b"Received: from x\n by y\nFrom: =?utf-8?q?J=C3=B6rg?= <j@x.example>\nX-A: 1\nX-A: 2\n"
                 b"Subject: =?iso-8859-1?q?=E9t=E9?=\n\nbody\n")
    assert mail.headers == [("Received", "from x by y"), ("From", "Jörg <j@x.example>"), ("X-A", "1"),
                            ("X-A", "2"), ("Subject", "été")]


def test_own_header_at_the_top_level():
    mail = parse(b"From: a@b.example\nX-Extdesk-Mail:  abc123  42 \n\nb\n")
    assert mail.extdesk_header == "abc123  42"
    assert own_mail_token(mail.extdesk_header) == ("abc123", 42)


@pytest.mark.parametrize(("value", "expected"), [
    ("abc123 42", ("abc123", 42)),
    ("abc123", ("abc123", None)),
    ("abc123 x42", ("abc123", None)),
    ("abc123 ４２", ("abc123", None)),  # full-width digits are no id
    ("", ("", None)),
    ("  ", ("", None)),
])
def test_own_mail_token(value, expected):
    assert own_mail_token(value) == expected


# --- body text


@pytest.mark.parametrize("charset", [
    "iso-8859-1", "iso-8859-2", "iso-8859-5", "iso-8859-7", "iso-8859-15", "windows-1250", "windows-1251",
    "windows-1252", "koi8-r", "koi8-u", "shift_jis", "euc-jp", "iso-2022-jp", "gb2312", "gbk", "gb18030",
    "big5", "euc-kr", "utf-7", "utf-16", "utf-8",
])
def test_body_in_any_charset_python_knows(charset):
    text = {"iso-8859-1": "Grüße", "iso-8859-2": "Łódź", "iso-8859-5": "Привет", "iso-8859-7": "Γειά",
            "iso-8859-15": "100 €", "windows-1250": "Łódź", "windows-1251": "Привет",
            "windows-1252": "„Grüße“",
            "koi8-r": "Привет", "koi8-u": "Привіт", "shift_jis": "日本語", "euc-jp": "日本語",
            "iso-2022-jp": "日本語", "gb2312": "中文", "gbk": "中文", "gb18030": "中文", "big5": "中文",
            "euc-kr": "한국어", "utf-7": "Grüße €", "utf-16": "Grüße €", "utf-8": "Grüße € 日本"}[charset]
    body = base64.encodebytes(text.encode(charset))
    mail = parse(b"From: a@b.example\nContent-Type: text/plain; charset=" + charset.encode()
                 + b"\nContent-Transfer-Encoding: base64\n\n" + body)
    assert mail.text == text
    assert not [defect for defect in mail.defects if "charset" in defect or "valid" in defect]


@pytest.mark.parametrize(("charset", "body", "expected"), [
    (b"x-unknown-charset", "Grüße".encode(), "Grüße"),  # unknown: utf-8 first
    (b"x-unknown-charset", "Grüße".encode("cp1252"), "Grüße"),  # then windows-1252
    (b"us-ascii", "Grüße".encode("latin-1"), "Grüße"),  # 8-bit in a 7-bit charset
    (b"utf-8", b"caf\xe9 \xff", "caf\ufffd \ufffd"),  # invalid for the charset it names
    (b"base64", b"plain", "plain"),  # a Python codec, but no charset of text
    (b"\"utf-8\"", "ü".encode(), "ü"),
])
def test_unknown_and_wrong_charsets_never_raise(charset, body, expected):
    mail = parse(b"From: a@b.example\nContent-Type: text/plain; charset=" + charset + b"\n\n" + body + b"\n")
    assert mail.text == expected


def test_crlf_line_ends_become_lf():
    mail = parse(b"From: a@b.example\r\nSubject: s\r\n\r\none\r\ntwo\r\n\r\nthree\r\n")
    assert mail.text == "one\ntwo\n\nthree"


def test_format_flowed_with_and_without_delsp():
    flowed = b"From: a@b.example\nContent-Type: text/plain; format=flowed%s\n\none \ntwo\n> quo \n> ted\n"
    assert parse(flowed % b"").text == "one two\n> quo ted"
    assert parse(flowed % b"; delsp=yes").text == "onetwo\n> quoted"


def test_plain_text_is_preferred_over_html_in_an_alternative():
    mail = parse(b"From: a@b.example\nContent-Type: multipart/alternative; boundary=A\n\n--A\n"
                 b"Content-Type: text/html\n\n<p>the html</p>\n--A\n"
                 b"Content-Type: text/plain\n\nthe plain\n--A--\n")
    assert mail.text == "the plain"


def test_an_empty_plain_alternative_gives_way_to_the_html():
    mail = parse(b"From: a@b.example\nContent-Type: multipart/alternative; boundary=A\n\n--A\n"
                 b"Content-Type: text/plain\n\n \n--A\nContent-Type: text/html\n\n<p>the html</p>\n--A--\n")
    assert mail.text == "the html"


def test_inline_plain_parts_of_a_mixed_are_joined_with_a_blank_line():
    mail = parse(b"From: a@b.example\nContent-Type: multipart/mixed; boundary=M\n\n--M\n"
                 b"Content-Type: text/plain\n\nfirst\n--M\nContent-Type: application/pdf\n\n%PDF\n--M\n"
                 b"Content-Type: text/plain\nContent-Disposition: inline\n\nsecond\n--M\n"
                 b"Content-Type: text/plain\nContent-Disposition: attachment; filename=notes.txt\n\n"
                 b"not text\n--M--\n")
    assert mail.text == "first\n\nsecond"
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("attachment.pdf", "application/pdf"), ("notes.txt", "text/plain")]


def test_only_html_is_turned_into_text():
    mail = parse(b"From: a@b.example\nContent-Type: text/html; charset=utf-8\n\n"
                 b"<html><head><title>x</title></head><body><p>Hallo <b>Welt</b></p>"
                 b"<blockquote>alt</blockquote></body></html>")
    assert mail.text == "Hallo Welt\n\n> alt"
    assert mail.new_text == "Hallo Welt"


def test_bad_base64_is_read_as_far_as_it_goes():
    mail = parse(corpus("broken-base64.eml"))
    assert mail.text == "Hello, the base64 is broken. Does it still read"
    assert mail.attachments[0].payload() == bytes(range(10))
    assert "base64 content contains characters that are not base64; they were ignored" in mail.defects
    assert "text/plain: unknown charset 'x-does-not-exist'" in mail.defects


def test_missing_end_boundary_and_undeclared_boundary_are_recorded():
    assert "message: close boundary not found" in parse(corpus("broken-no-end-boundary.eml")).defects
    defects = parse(corpus("broken-no-boundary.eml")).defects
    assert "message: no boundary in multipart" in defects
    assert "a multipart's boundary was missing or wrong; read by the line --unknown42" in defects


def test_defects_quoting_a_broken_line_are_decoded_and_without_control_characters():
    mail = parse(b"From: a@b.example\nContent-Type: multipart/mixed; boundary=M\n\n--M\n"
                 b" garbage \x0e\x0e G\xc3\xbc\nContent-Type: text/plain\n\nx\n--M--\n")
    assert "part 1: first header line is continuation: garbage Gü" in mail.defects


def test_clean_mail_has_no_defects():
    for name in ("outlook-reply.eml", "gmail-reply.eml", "thunderbird.eml", "dsn-extdesk.eml"):
        assert parse(corpus(name)).defects == [], name


# --- attachments


def test_attachment_payload_is_decoded_only_when_asked():
    names = [field.name for field in dataclasses.fields(MailAttachment)]
    assert names == ["filename", "content_type", "size", "inline", "content_id", "_part"]
    assert not any(isinstance(getattr(attachment, name), bytes)
                   for attachment in parse(corpus("outlook-tnef.eml")).attachments for name in names)


def test_default_names_from_the_content_type():
    parts = b"".join(b"--M\nContent-Type: %s\n\nx\n" % kind for kind in (
        b"application/pdf", b"image/png", b"image/jpeg", b"application/octet-stream", b"application/x-weird",
        b"message/delivery-status"))
    mail = parse(b"From: a@b.example\nContent-Type: multipart/mixed; boundary=M\n\n" + parts + b"--M--\n")
    assert [a.filename for a in mail.attachments] == ["attachment.pdf", "image001.png", "image002.jpg",
                                                      "attachment.bin", "attachment", "delivery-status.txt"]


@pytest.mark.parametrize(("given", "expected"), [
    (b'"../../etc/passwd"', "passwd"),
    (b'"..\\\\..\\\\boot.ini"', "boot.ini"),
    (b'"a\x01b.txt"', "ab.txt"),
    (b'".."', "attachment.pdf"),
    (b'"  "', "attachment.pdf"),
    (b"=?utf-8?q?Gr=C3=BC=C3=9Fe.pdf?=", "Grüße.pdf"),
    (b"\"" + b"x" * 300 + b".pdf\"", "x" * 196 + ".pdf"),
])
def test_file_names_are_safe_as_a_last_path_component(given, expected):
    mail = parse(b"From: a@b.example\nContent-Type: application/pdf\n"
                 b"Content-Disposition: attachment; filename=" + given + b"\n\n%PDF\n")
    assert mail.attachments[0].filename == expected


def test_content_type_is_lowercase_type_and_subtype():
    mail = parse(b"From: a@b.example\nContent-Type: Application/PDF; Name=x.pdf\n\n%PDF\n")
    assert mail.attachments[0].content_type == "application/pdf"


def test_quoted_printable_and_8bit_attachments():
    mail = parse(b"From: a@b.example\nContent-Type: multipart/mixed; boundary=M\n\n--M\n"
                 b"Content-Type: application/x-a\nContent-Transfer-Encoding: quoted-printable\n\na=3Db=\nc\n"
                 b"--M\nContent-Type: application/x-b\nContent-Transfer-Encoding: 8bit\n\n"
                 b"\xff\xfe\r\nz\n--M--\n")
    first, second = mail.attachments
    assert first.payload() == b"a=bc"
    assert second.payload() == b"\xff\xfe\r\nz"
    assert (first.size, second.size) == (4, 5)


def test_an_attached_message_is_an_eml_file_with_its_bytes():
    mail = parse(corpus("mbox-delivered.eml"))
    (eml,) = mail.attachments
    assert (eml.filename, eml.content_type) == ("Original question.eml", "message/rfc822")
    assert eml.payload() == (b"From: Other <other@customer.example>\nSubject: Original question\n"
                             b"Message-ID: <orig-q@customer.example>\n\nWhat is the status?")
    assert parse(eml.payload()).subject == "Original question"


def test_an_attached_message_of_a_crlf_mail_is_written_with_crlf():
    mail = parse(b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n--M\r\n"
                 b"Content-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\nSubject: folded\r\n line\r\n"
                 b"Content-Type: multipart/alternative; boundary=N\r\n\r\n--N\r\nContent-Type: text/plain\r\n"
                 b"\r\nhi\r\n--N--\r\n\r\n--M--\r\n")
    payload = mail.attachments[0].payload()
    assert b"\n" not in payload.replace(b"\r\n", b"")
    inner = parse(payload)
    assert (inner.subject, inner.text) == ("folded line", "hi")


def test_a_large_attachment_is_held_once_while_parsing():
    content = bytes(range(256)) * (6 * 1024 * 1024 // 256)
    raw = (b"From: a@b.example\nContent-Type: multipart/mixed; boundary=M\n\n"
           b"--M\nContent-Type: text/plain\n\nsee the file\n"
           b"--M\nContent-Type: application/octet-stream; name=big.bin\n"
           b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(content) + b"--M--\n")
    tracemalloc.start()
    try:
        mail = parse(raw)
        _, parse_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        (big,) = mail.attachments
        payload = big.payload()
        held, payload_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert payload == content
    assert big.size == len(content)
    # The parsed text of the message (about its size) and little besides.
    assert parse_peak < 1.3 * len(raw)
    # The parsed message and the decoded content, not another copy of either.
    assert payload_peak < held + 0.3 * len(raw)


def test_deeply_nested_multiparts_are_kept_as_text():
    raw = b"From: a@b.example\n" + b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (level, level) for level in range(300)
    ) + b"Content-Type: text/plain\n\ndeep\n"
    mail = parse(raw)
    assert "multiparts nested 300 deep; the body is kept as one text" in mail.defects
    assert mail.text.endswith("deep")


# --- dedup_key


BASE = (b"From: Ann <ann@customer.example>\nTo: support@helpdesk.example\nSubject: Mail is down\n"
        b"Message-ID: <m1@customer.example>\nDate: Mon, 3 Jun 2024 10:00:00 +0200\n\nSince this morning.\n")


def test_dedup_key_is_the_same_for_one_message_delivered_two_ways():
    piped = BASE
    fetched = (b"Return-Path: <ann@customer.example>\r\nDelivered-To: support@helpdesk.example\r\n"
               b"Received: from mx by imap; Mon, 3 Jun 2024 10:00:01 +0200\r\nX-Original-To: support@x\r\n"
               + BASE.replace(b"\n", b"\r\n") + b"\r\n")
    mbox = (b"From ann@customer.example Mon Jun  3 10:00:01 2024\nStatus: RO\nX-Status: A\nX-UID: 7\n"
            b"Content-Length: 19\nLines: 1\n" + BASE)
    keys = {parse(raw).dedup_key for raw in (piped, fetched, mbox)}
    assert len(keys) == 1
    (key,) = keys
    assert len(key) == 64 and int(key, 16) >= 0


def test_dedup_key_differs_for_different_messages_with_one_message_id():
    other_body = BASE.replace(b"Since this morning.", b"Since yesterday.")
    other_header = BASE.replace(b"Subject: Mail is down", b"Subject: Mail is up")
    keys = {parse(raw).dedup_key for raw in (BASE, other_body, other_header)}
    assert len(keys) == 3


def test_dedup_key_differs_for_different_message_ids():
    assert parse(BASE).dedup_key != parse(BASE.replace(b"<m1@", b"<m2@")).dedup_key


def test_parsed_mail_is_frozen():
    mail = parse(BASE)
    assert isinstance(mail, ParsedMail)
    with pytest.raises(dataclasses.FrozenInstanceError):
        mail.subject = "changed"  # type: ignore[misc]
