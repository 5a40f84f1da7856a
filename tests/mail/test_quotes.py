"""quotes.new_text on replies as Gmail, Outlook, Apple Mail and Thunderbird
write them, in the languages customers write in."""

from __future__ import annotations

import pytest

from extdesk.mail.quotes import new_text

QUOTED = "\n\n> Can we meet on Thursday?\n>\n> Maria\n"


@pytest.mark.parametrize("attribution", [
    # Gmail, in English, German, French, Dutch and Spanish.
    "On Tue, Jun 4, 2024 at 9:12 AM Maria Garcia <maria@example.com> wrote:",
    "Am Di., 4. Juni 2024 um 09:12 Uhr schrieb Maria Garcia <maria@example.com>:",
    "Le mar. 4 juin 2024 à 09:12, Maria Garcia <maria@example.com> a écrit :",
    "Op di 4 jun 2024 om 09:12 schreef Maria Garcia <maria@example.com>:",
    "El mar, 4 jun 2024 a las 9:12, Maria Garcia (<maria@example.com>) escribió:",
    # Thunderbird, in English and German.
    "On 04.06.24 09:12, Maria Garcia wrote:",
    "Am 04.06.24 um 09:12 schrieb Maria Garcia:",
    # Apple Mail.
    "On 4 Jun 2024, at 09:12, Maria Garcia <maria@example.com> wrote:",
])
def test_cut_at_the_attribution(attribution):
    assert new_text("Sounds good, see you then.\n\n" + attribution + QUOTED) == "Sounds good, see you then."


@pytest.mark.parametrize("attribution", [
    "On Tue, Jun 4, 2024 at 9:12 AM Extdesk Support Team <\nsupport-team@helpdesk.example> wrote:",
    "Am Di., 4. Juni 2024 um 09:12 Uhr schrieb Extdesk Support Team <\nsupport-team@helpdesk.example>:",
    "Le mar. 4 juin 2024 à 09:12, Extdesk Support Team <support-team@helpdesk.example>\na écrit :",
])
def test_an_attribution_gmail_wrapped_over_two_lines(attribution):
    assert new_text("Thanks!\n\n" + attribution + QUOTED) == "Thanks!"


def test_outlook_original_message_separator():
    text = ("Thanks, I'll check.\n\nPetra\n\n-----Original Message-----\nFrom: Support <support@x.example>\n"
            "Sent: Tuesday, June 4, 2024 9:12 AM\nTo: Petra <p@x.example>\nSubject: RE: Invoice\n\n"
            "Please check the invoice.\n")
    assert new_text(text) == "Thanks, I'll check.\n\nPetra"


@pytest.mark.parametrize("separator", ["-----Ursprüngliche Nachricht-----", "-----Message d'origine-----",
                                       "-----Oorspronkelijk bericht-----", "-----Mensaje original-----"])
def test_outlook_separator_in_other_languages(separator):
    assert new_text(f"Danke.\n\n{separator}\nVon: Support\nEarlier text\n") == "Danke."


def test_outlook_web_underscore_rule_followed_by_from():
    text = ("Thanks.\n\n________________________________\nFrom: Support <support@x.example>\n"
            "Sent: Tuesday, June 4, 2024 9:12 AM\nTo: Petra\nSubject: Invoice\n\nEarlier text\n")
    assert new_text(text) == "Thanks."


def test_outlook_german_underscore_rule_with_a_blank_line_before_von():
    text = ("Danke.\n\n________________________________\n\nVon: Support <support@x.example>\n"
            "Gesendet: Dienstag, 4. Juni 2024 09:12\nAn: Petra\nBetreff: Rechnung\n\nFrüherer Text\n")
    assert new_text(text) == "Danke."


def test_an_underscore_rule_without_a_from_line_is_content():
    text = "Version 2.0 is out.\n______________________________\nusers mailing list\n"
    assert new_text(text) == text.strip()


def test_outlook_for_mac_header_block_without_a_separator():
    text = ("Works now.\n\nFrom: Support <support@x.example>\nDate: Tuesday, 4 June 2024 at 09:12\n"
            "To: Petra <p@x.example>\nSubject: Re: Login\n\nPlease try again.\n")
    assert new_text(text) == "Works now."


def test_outlook_header_block_flattened_into_one_line():
    text = ("Works now.\n\nFrom: Support <support@x.example> Sent: Tuesday, June 4, 2024 9:12 AM "
            "To: Petra Subject: RE: Login\n\nPlease try again.\n")
    assert new_text(text) == "Works now."


def test_a_from_line_alone_is_content():
    text = "The mail came with\nFrom: billing@shop.example\nand no subject.\n"
    assert new_text(text) == text.strip()


@pytest.mark.parametrize("forward", ["Begin forwarded message:", "---------- Forwarded message ---------",
                                     "-------- Weitergeleitete Nachricht --------"])
def test_a_forward_is_content(forward):
    text = (f"FYI, see below.\n\n{forward}\n\nFrom: Monitoring <m@x.example>\n"
            "Subject: Disk full\nDate: 4 June 2024 at 09:00:00 CEST\nTo: Jan <j@x.example>\n\n"
            "Disk /var is full.\nOn Mon, Jun 3, 2024 at 8:00 AM Ops <ops@x.example> wrote:\n> earlier\n")
    assert new_text(text) == text.strip()


OUTLOOK_FORWARDED = ("Monitoring <m@x.example>\nSent: Tuesday, June 4, 2024 09:00\nTo: Jan <j@x.example>\n"
                     "Subject: Disk full\n\nDisk /var is full on web-3.\n")


@pytest.mark.parametrize("separator", ["________________________________\nFrom: ",
                                       "-----Original Message-----\nFrom: ", "From: "],
                         ids=["underscore-rule", "original-message", "header-block"])
@pytest.mark.parametrize("subject", ["FW: Disk full", "Fwd: Disk full", "WG: Disk full", "TR: Disk full",
                                     "RV: Disk full", "Doorst: Disk full", "fw:Disk full [#12]"])
def test_an_outlook_forward_is_content_when_the_subject_says_forward(separator, subject):
    text = f"Please look at this one.\n\nJan\n\n{separator}{OUTLOOK_FORWARDED}"
    assert new_text(text, subject) == text.strip()


@pytest.mark.parametrize("subject", ["RE: FW: Disk full", "Re: Disk full", "Disk full", "",
                                     "Fwdisk full: notes"])
def test_the_same_separator_under_a_reply_subject_is_cut(subject):
    text = f"Please look at this one.\n\nJan\n\n________________________________\nFrom: {OUTLOOK_FORWARDED}"
    assert new_text(text, subject) == "Please look at this one.\n\nJan"


def test_a_forward_subject_still_cuts_the_signature_above_the_forward():
    text = f"See below.\n-- \nJan, ops\n\n-----Original Message-----\nFrom: {OUTLOOK_FORWARDED}"
    assert new_text(text, "FW: Disk full") == (
        f"See below.\n\n-----Original Message-----\nFrom: {OUTLOOK_FORWARDED}".strip())


def test_a_reply_above_a_quoted_forward_is_cut_at_its_attribution():
    text = ("Thanks, done.\n\nOn Tue, Jun 4, 2024 at 9:12 AM Jan <j@x.example> wrote:\n"
            "> Begin forwarded message:\n>\n> Disk full.\n")
    assert new_text(text) == "Thanks, done."


def test_quotes_at_the_end_are_dropped_and_answers_between_quotes_kept():
    text = ("> Which version do you use?\n2.4\n\n> Does it happen every time?\nOnly on Mondays.\n\n"
            "> Regards\n> Support\n")
    assert new_text(text) == (
        "> Which version do you use?\n2.4\n\n> Does it happen every time?\nOnly on Mondays.")


def test_top_posting_without_an_attribution():
    assert new_text("Yes.\n\n> Shall we close it?\n> > Earlier\n") == "Yes."


def test_indented_quote_marks():
    assert new_text("Yes.\n\n  > Shall we close it?\n") == "Yes."


def test_thunderbird_signature_is_cut():
    text = "Hello,\n\nit works again.\n\nKarl\n-- \nKarl Müller\nMüller GmbH\nTel. 0123\n"
    assert new_text(text) == "Hello,\n\nit works again.\n\nKarl"


def test_a_bare_double_dash_is_a_signature_too():
    assert new_text("It works.\n--\nKarl\n") == "It works."


def test_signature_before_the_quoted_history():
    text = "It works.\n\n-- \nKarl\n\nOn Tue, Jun 4, 2024 at 9:12 AM Support wrote:\n> Try again.\n"
    assert new_text(text) == "It works."


def test_a_signature_inside_the_quote_does_not_cut_the_answer():
    text = "> Try again.\n> -- \n> Support\nIt works.\n"
    assert new_text(text) == "> Try again.\n> -- \n> Support\nIt works."


def test_dashes_within_a_line_are_no_signature():
    text = "Use the option -- force\n-- not a separator either\n"
    assert new_text(text) == text.strip()


@pytest.mark.parametrize("footer", ["Sent from my iPhone", "Sent from my iPad", "Get Outlook for iOS",
                                    "Get Outlook for Android", "Sent from my Samsung Galaxy smartphone.",
                                    "Von meinem iPhone gesendet", "Envoyé de mon iPhone",
                                    "Verzonden vanaf mijn iPhone", "Enviado desde mi iPhone",
                                    "Sent from Mail for Windows"])
def test_mobile_footers_at_the_end_are_dropped(footer):
    assert new_text(f"Yes please.\n\n{footer}\n") == "Yes please."


def test_apple_mail_iphone_reply_with_footer_and_quoted_attribution():
    text = ("Yes please.\n\nSent from my iPhone\n\n> On 4 Jun 2024, at 09:12, Support <support@x.example> "
            "wrote:\n>\n> Shall we close the ticket?\n")
    assert new_text(text) == "Yes please."


def test_a_mobile_footer_in_the_middle_is_content():
    text = "Sent from my iPhone\nis what my mails say; can you remove it?\n"
    assert new_text(text) == text.strip()


def test_nothing_new_gives_the_whole_text_stripped():
    assert new_text("\n> only a quote\n> nothing else\n\n") == "> only a quote\n> nothing else"
    assert new_text("On Mon, Jun 3, 2024 Bob wrote:\n> hi\n") == "On Mon, Jun 3, 2024 Bob wrote:\n> hi"
    assert new_text("") == ""
    assert new_text(" \n ") == ""


def test_crlf_line_ends():
    assert new_text("Yes.\r\n\r\nOn Tue, Bob <b@x.example> wrote:\r\n> Ok?\r\n") == "Yes."


def test_words_like_an_attribution_inside_a_paragraph_are_content():
    text = "On Monday the server went down.\nI wrote: please restart it.\nAm Dienstag auch.\n"
    assert new_text(text) == text.strip()


def test_a_line_starting_like_an_attribution_is_not_joined_with_a_quote():
    text = "On Monday we changed it.\n> wrote:\n"
    assert new_text(text) == "On Monday we changed it."
