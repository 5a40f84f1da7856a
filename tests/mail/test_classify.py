"""classify.automatic_reason and classify.is_spam, header by header."""

from __future__ import annotations

import pytest

from extdesk.mail.classify import automatic_reason, is_spam
from extdesk.mail.parsing import parse

pytestmark = pytest.mark.database_independent

PERSON = "ann@customer.example"


@pytest.mark.parametrize(("headers", "reason"), [
    ([("Auto-Submitted", "auto-replied")], "Auto-Submitted: auto-replied"),
    ([("Auto-Submitted", "auto-generated; type=vacation")], "Auto-Submitted: auto-generated; type=vacation"),
    ([("auto-submitted", "Auto-Notified")], "Auto-Submitted: Auto-Notified"),
    ([("Precedence", "bulk")], "Precedence: bulk"),
    ([("Precedence", " JUNK ")], "Precedence: JUNK"),
    ([("Precedence", "list")], "Precedence: list"),
    ([("List-Id", "Users <users.lists.example>")], "List-Id header"),
    ([("List-Unsubscribe", "<mailto:leave@lists.example>")], "List-Unsubscribe header"),
    ([("X-Autoreply", "yes")], "X-Autoreply: yes"),
    ([("X-Autorespond", "")], "X-Autorespond header"),
    ([("X-Auto-Response-Suppress", "OOF")], "X-Auto-Response-Suppress: OOF"),
    ([("X-Auto-Response-Suppress", "DR, RN, NRN, AutoReply")],
     "X-Auto-Response-Suppress: DR, RN, NRN, AutoReply"),
    ([("X-Auto-Response-Suppress", "All")], "X-Auto-Response-Suppress: All"),
    ([("X-Loop", "support@helpdesk.example")], "X-Loop: support@helpdesk.example"),
    ([("Return-Path", "<>")], "Return-Path: <>"),
    ([("Return-Path", "< >")], "Return-Path: <>"),
])
def test_headers_that_forbid_an_automatic_answer(headers, reason):
    assert automatic_reason(headers, PERSON) == reason


@pytest.mark.parametrize("headers", [
    [],
    [("Auto-Submitted", "no")],
    [("Auto-Submitted", "No ; comment")],
    [("Precedence", "first-class")],
    [("X-Auto-Response-Suppress", "RN, NRN")],
    [("Return-Path", "<ann@customer.example>")],
    [("Subject", "Auto-Submitted: auto-replied")],
    [("X-Mailer", "List-Id")],
])
def test_mail_a_person_wrote(headers):
    assert automatic_reason(headers, PERSON) == ""


@pytest.mark.parametrize("sender", [
    "MAILER-DAEMON@mx.example", "postmaster@example.com", "noreply@service.example",
    "No-Reply@service.example", "donotreply@bank.example", "Do-Not-Reply@bank.example",
    "noreply+alerts@service.example", "mailer-daemon",
])
def test_robot_senders(sender):
    assert automatic_reason([], sender) == f"sender {sender}"


@pytest.mark.parametrize("sender", ["reply@x.example", "noreplyer@x.example", "postmaster-team@x.example",
                                    "ann.noreply@x.example"])
def test_senders_that_only_look_like_robots(sender):
    assert automatic_reason([], sender) == ""


def test_no_sender_address_means_no_one_to_answer():
    assert automatic_reason([], "") == "no sender address"


def test_rules_apply_in_order_and_a_long_value_is_shortened():
    headers = [("Precedence", "bulk"), ("Auto-Submitted", "auto-generated " + "x" * 100)]
    reason = automatic_reason(headers, "noreply@x.example")
    assert reason == "Auto-Submitted: auto-generated " + "x" * 45 + "..."


def test_only_the_first_header_of_a_name_counts():
    assert automatic_reason([("Auto-Submitted", "no"), ("Auto-Submitted", "auto-replied")], PERSON) == ""


@pytest.mark.parametrize(("headers", "spam"), [
    ([("X-Spam-Flag", "YES")], True),
    ([("x-spam-flag", " yes ")], True),
    ([("X-Spam-Status", "Yes, score=12.3 required=5.0 tests=LOTS_OF_MONEY")], True),
    ([("X-Spam-Status", "yes score=9")], True),
    ([("X-Spam-Flag", "NO")], False),
    ([("X-Spam-Status", "No, score=-0.1 required=5.0")], False),
    ([("X-Spam-Status", "Yesterday")], False),
    ([("Subject", "X-Spam-Flag: YES")], False),
    ([], False),
])
def test_spam_flags(headers, spam):
    assert is_spam(headers) is spam


def test_parse_classifies_with_the_decoded_headers():
    mail = parse(b"From: Ann <ann@customer.example>\nAuto-Submitted: =?us-ascii?q?auto-replied?=\n"
                 b"X-Spam-Flag: YES\n\nI am away.\n")
    assert mail.automatic == "Auto-Submitted: auto-replied"
    assert mail.is_spam
