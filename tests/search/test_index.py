"""The search index through the selectors: what is found, by whom, kept current by every write."""

# ruff: noqa: RUF001 - text in Greek, Cyrillic and CJK on purpose

from __future__ import annotations

import io

import pytest
from django.db import connection

from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.models import Message, Ticket
from extdesk.search.services import rebuild_index
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return make_staff("agent", password=None)


def staff_page(text: str, **filters) -> list[Ticket]:
    """The first page the desk's search shows for ``text``, best first (every status unless filtered)."""
    page = selectors.staff_queue(selectors.QueueFilters(search=text, **filters),
                                 sort=selectors.RELEVANCE_SORT)
    return list(page.object_list)


def staff_finds(text: str, **filters) -> list[int]:
    return [ticket.pk for ticket in staff_page(text, **filters)]


def customer_page(contact, text: str) -> list[Ticket]:
    return list(selectors.contact_tickets(contact, state="all", search=text).object_list)


def customer_finds(contact, text: str) -> list[int]:
    page = selectors.contact_tickets(contact, state="all", search=text)
    return [ticket.pk for ticket in page.object_list]


def test_a_word_only_in_a_body_is_found_by_staff_and_customer(agent):
    ann = make_contact("acme")
    ticket = make_ticket(ann, "Mail is down", "The zebra server answers nothing since noon.")
    make_ticket(ann, "Other", "Nothing to see.")
    assert staff_finds("zebra") == [ticket.pk]
    assert customer_finds(ann, "zebra") == [ticket.pk]


def test_words_may_be_in_different_messages_and_the_subject(agent):
    ann = make_contact("acme")
    ticket = make_ticket(ann, "Printer broken", "It shows a blinking light.")
    services.reply(ticket, author=agent, body="Which error code does it show?")
    assert staff_finds("printer error") == [ticket.pk]
    assert staff_finds("printer -error") == []
    assert staff_finds("printer -toner") == [ticket.pk]
    assert staff_finds("toner or blinking") == [ticket.pk]
    assert staff_finds('"blinking light"') == [ticket.pk]
    assert staff_finds('"light blinking"') == []


@pytest.mark.parametrize(("written", "searched"), [
    ("Le café est froid", "cafe"),
    ("Le cafe est froid", "café"),
    ("Überweisung fehlgeschlagen", "uberweisung"),
    ("Сервер не отвечает", "сервер"),
    ("СЕРВЕР НЕ ОТВЕЧАЕТ", "сервер"),
    ("Ο καφές είναι κρύος", "καφες"),
    ("Ο ΚΑΦΈΣ ΕΊΝΑΙ ΚΡΎΟΣ", "καφές"),
    ("東京タワーのサーバーが応答しません", "サーバー"),
    ("東京タワーのサーバーが応答しません", "東京"),
    ("服务器不工作了", "服务器"),
    ("服务器不工作了", "工作"),
    ("서버가 응답하지 않습니다", "서버"),
])
def test_accents_and_scripts(agent, written, searched):
    ann = make_contact("acme")
    ticket = make_ticket(ann, "Help", written)
    make_ticket(ann, "Unrelated", "Nothing here at all")
    assert staff_finds(searched) == [ticket.pk]
    assert customer_finds(ann, searched) == [ticket.pk]


def test_cjk_run_is_not_found_by_characters_out_of_order(agent):
    ann = make_contact("acme")
    make_ticket(ann, "Help", "東京タワーのサーバー")
    assert staff_finds("京東") == []


def test_internal_notes_are_found_by_staff_only(agent):
    ann = make_contact("acme")
    ticket = make_ticket(ann, "Refund", "Please refund my last invoice.")
    services.reply(ticket, author=agent, body="A known fraudster, see the walrus file.", internal=True)
    assert staff_finds("walrus") == [ticket.pk]
    assert customer_finds(ann, "walrus") == []
    # Not even by combining a public word with a note's word.
    assert customer_finds(ann, "refund walrus") == []
    assert staff_finds("refund walrus") == [ticket.pk]


def test_a_customer_never_finds_another_customers_ticket(agent):
    ann, bob = make_contact("acme"), make_contact("globex")
    make_ticket(bob, "Secret", "The flamingo project budget.")
    mine = make_ticket(ann, "Mine", "My flamingo pictures.")
    assert customer_finds(ann, "flamingo") == [mine.pk]
    assert sorted(staff_finds("flamingo")) == sorted(Ticket.objects.values_list("pk", flat=True))


def test_an_accounts_tickets_are_found_by_its_other_contacts(agent):
    ann, carl = make_contact("acme"), make_contact("acme")
    ticket = make_ticket(ann, "DNS", "The pelican record is wrong.")
    assert customer_finds(carl, "pelican") == [ticket.pk]


def test_edits_deletes_and_subject_changes_follow(agent):
    ann = make_contact("acme")
    ticket = make_ticket(ann, "Help", "The otter is gone.")
    message = ticket.messages.get()
    message.body = "The beaver is gone."
    message.save()
    assert staff_finds("otter") == []
    assert staff_finds("beaver") == [ticket.pk]
    Message.objects.filter(pk=message.pk).update(is_internal=True)
    assert customer_finds(ann, "beaver") == []
    assert staff_finds("beaver") == [ticket.pk]
    Ticket.objects.filter(pk=ticket.pk).update(subject="Lynx sighting")
    assert staff_finds("lynx") == [ticket.pk]
    assert customer_finds(ann, "lynx") == [ticket.pk]
    assert staff_finds("help") == []
    Message.objects.filter(pk=message.pk).delete()
    assert staff_finds("beaver") == []
    Ticket.objects.filter(pk=ticket.pk).delete()
    assert staff_finds("lynx") == []


def test_merge_moves_the_index(agent):
    ann = make_contact("acme")
    source = make_ticket(ann, "First", "The heron nest.")
    target = make_ticket(ann, "Second", "Other words.")
    services.merge_tickets(source, target, actor=agent)
    assert staff_finds("heron") == [target.pk]
    assert "<mark>heron</mark>" in str(staff_page("heron")[0].search_snippet.html)
    assert staff_finds("heron", statuses=("new",)) == [target.pk]
    assert customer_finds(ann, "heron") == [target.pk]


def test_ranking_puts_the_better_match_first(agent):
    ann = make_contact("acme")
    weak = make_ticket(ann, "Question", "Some words, and the word kestrel once, among many other "
                                        "words that are about something else entirely.")
    strong = make_ticket(ann, "Kestrel", "Kestrel kestrel: the kestrel again.")
    middle = make_ticket(ann, "Question", "Kestrel and kestrel.")
    assert staff_finds("kestrel") == [strong.pk, middle.pk, weak.pk]
    assert customer_finds(ann, "kestrel") == [strong.pk, middle.pk, weak.pk]


def test_snippets_mark_the_match_and_escape_the_rest(agent):
    ann = make_contact("acme")
    ticket = make_ticket(ann, "Hostile", 'Look: <script>alert("x")</script> & the <b>osprey</b> flies.')
    [found] = customer_page(ann, "osprey")
    assert found.pk == ticket.pk
    html = str(found.search_snippet.html)
    assert "<mark>osprey</mark>" in html
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;b&gt;" in html
    assert html.count("<mark>") == html.count("</mark>") == 1


def test_snippet_of_a_note_is_shown_to_staff_marked_internal(agent):
    ann = make_contact("acme")
    ticket = make_ticket(ann, "Help", "Public words.")
    services.reply(ticket, author=agent, body="The puffin clause applies.", internal=True)
    [found] = staff_page("puffin")
    assert found.search_snippet.internal and "<mark>puffin</mark>" in str(found.search_snippet.html)
    assert customer_page(ann, "puffin") == []
    services.reply(ticket, author=ann, body="About the puffin: thanks.")
    [found] = customer_page(ann, "puffin")
    assert not found.search_snippet.internal and "thanks" in str(found.search_snippet.html)


def test_rebuild_indexes_rows_the_triggers_never_saw(agent):
    ann = make_contact("acme")
    ticket = make_ticket(ann, "Help", "The gannet is here.")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DELETE FROM search_document")
        else:
            cursor.execute("DELETE FROM search_ticket_text")
    assert staff_finds("gannet") == []
    rebuild_index()
    assert staff_finds("gannet") == [ticket.pk]
    services.reply(ticket, author=agent, body="And a cormorant.")
    assert staff_finds("gannet cormorant") == [ticket.pk]


def test_number_email_and_account_searches_still_work(agent):
    ann = make_contact("acme corp", email="ann@acme.example")
    bob = make_contact("globex", email="bob@globex.example")
    first = make_ticket(ann, "Invoice", "words")
    second = make_ticket(bob, "Mail", "ann@acme.example wrote to us")
    assert staff_finds(f"#{first.pk}") == [first.pk]
    assert staff_finds(str(second.pk)) == [second.pk]
    # The customer named comes first, then the text match.
    assert staff_finds("ann@acme.example") == [first.pk, second.pk]
    assert staff_finds("acme corp") == [first.pk]
    assert staff_finds("voic") == [first.pk]


def test_the_rebuild_command(agent):
    from django.core.management import call_command

    ann = make_contact("acme")
    ticket = make_ticket(ann, "Help", "The booby is here.")
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "search index rebuilt" in out.getvalue()
    assert staff_finds("booby") == [ticket.pk]


@pytest.mark.parametrize("text", ['foo" OR (bar* NEAR', "AND OR NOT", "^ * : { } ( )", '""', "-", "-walrus",
                                  "東%_\\", "a:b col:umn", "'; DROP TABLE helpdesk_ticket; --"])
def test_any_text_is_a_search_not_a_syntax_error(agent, text):
    ann = make_contact("acme")
    make_ticket(ann, "Help", "Plain words only.")
    assert staff_finds(text) == []
    assert customer_finds(ann, text) == []


def test_operators_typed_are_words(agent):
    ann = make_contact("acme")
    ticket = make_ticket(ann, "Help", "Press AND hold the NEAR button.")
    assert staff_finds("near") == [ticket.pk]
    assert staff_finds('"and hold"') == [ticket.pk]


@pytest.mark.django_db(transaction=True)
def test_the_migration_goes_back_and_forth_and_indexes_what_is_there():
    from django.core.management import call_command

    make_staff("agent", password=None)
    ann = make_contact("acme")
    ticket = make_ticket(ann, "Help", "The shoebill waits.")
    call_command("migrate", "search", "zero", verbosity=0)
    services.reply(ticket, author=ann, body="And the hoatzin.")
    call_command("migrate", "search", verbosity=0)
    assert staff_finds("shoebill hoatzin") == [ticket.pk]
