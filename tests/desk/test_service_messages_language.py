"""The refusals of the services, in the reader's language: a German agent reads German next to the field
(knowledge base, service levels, canned replies, tickets), German presence labels and a German admin;
the command line, which shares some of those services, stays English whatever language its thread was
left in."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from extdesk.desk import services as desk_services
from extdesk.helpdesk import services as helpdesk_services
from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.helpdesk.models import StaffProfile, Status
from extdesk.kb.models import Category
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}


@pytest.fixture(autouse=True)
def _language_reset():
    """The locale middleware leaves the request's language active in the thread: later tests that call
    Python directly must not find it."""
    yield
    translation.deactivate()


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _flashes(client, response) -> list[str]:
    page = client.get(response["Location"], **GERMAN).content.decode()
    return [html.unescape(m) for m in re.findall(r'<li class="flash flash-\w+">(.*?)</li>', page)]


def test_a_knowledge_base_refusal_is_german(desk):
    category = Category.objects.create(name="Mail", slug="mail", position=1)
    response = desk.post(reverse("kb_desk:create"), {
        "title": "Suche", "slug": "search", "category": category.pk, "language": "de",
        "visibility": "public", "body": "Text."}, **GERMAN)
    assert response.status_code == 400
    assert ("„search“ ist die Adresse einer Seite der Wissensdatenbank: Wählen Sie einen anderen Slug."
            in _page(response))
    taken = desk.post(reverse("kb_desk:categories"), {"name": "mail", "slug": ""}, **GERMAN)
    assert "Es gibt bereits eine Kategorie namens „mail“." in _page(taken)


def test_a_service_level_refusal_is_german(client):
    client.force_login(make_staff("boss", email="boss@example.com", password=None, is_superuser=True))
    targets = {"urgent_first_response": "30m", "urgent_resolution": "2h", "high_first_response": "2h",
               "high_resolution": "1d", "normal_first_response": "4h", "normal_resolution": "2d",
               "low_first_response": "1d", "low_resolution": "5d"}
    zero = client.post(reverse("desk:sla_policies"), {**targets, "low_first_response": "0m"}, **GERMAN)
    assert zero.status_code == 400
    assert "Ein Ziel muss länger als null sein." in _page(zero)
    early = client.post(reverse("desk:sla_policies"), {**targets, "normal_resolution": "1h"}, **GERMAN)
    assert early.status_code == 400
    # Next to its field although the priority's label is German: the field is named by the member.
    assert ('id="id_normal_resolution_error"><li>Die Lösung von Tickets der Priorität „normal“ kann nicht '
            "vor ihrer ersten Antwort fällig sein (1h < 4h).</li>") in _page(early)
    hours = client.post(reverse("desk:sla_calendar"), {
        "time_zone": "Mars/Olympus", "working_days": ["0"], "opens_at": "09:00", "closes_at": "17:00"},
        **GERMAN)
    assert "„Mars/Olympus“ ist kein Zeitzonenname (wie Europe/Berlin)." in _page(hours)


def test_a_canned_reply_refusal_is_german(desk):
    response = desk.post(reverse("desk:canned_create"), {"title": "Neustart", "body": "{{ settings.DEBUG }}"},
                         **GERMAN)
    assert response.status_code == 400
    assert "Unbekannter Platzhalter: {{ settings.DEBUG }}. Die Platzhalter sind {{ " in _page(response)
    control = desk.post(reverse("desk:canned_create"), {"title": "Neu\x01start", "body": "Text"}, **GERMAN)
    assert "Der Name enthält Steuerzeichen." in _page(control)


def test_ticket_refusals_are_german(desk):
    ticket = make_ticket(make_contact("acme", email="ann@acme.example"), "Drucker")
    tag = desk.post(reverse("desk:tag_add", args=[ticket.pk]), {"tag": "a,b"}, **GERMAN)
    assert _flashes(desk, tag) == [
        "Ein Schlagwort darf kein Komma enthalten: Fügen Sie die Schlagwörter einzeln hinzu."]
    merge = desk.post(reverse("desk:merge", args=[ticket.pk]), {"into": ticket.pk}, **GERMAN)
    assert merge.status_code == 400
    assert "Ein Ticket kann nicht mit sich selbst zusammengeführt werden." in _page(merge)


def test_the_presence_labels_are_german(desk):
    ticket = make_ticket(make_contact("acme", email="ann@acme.example"), "Drucker")
    alice = make_staff("alice", email="alice@provider.example", password=None)
    StaffProfile.objects.create(user=alice, display_name="Alice Smith")
    alice_desk = Client()
    alice_desk.force_login(alice)
    alice_desk.get(reverse("desk:ticket", args=[ticket.pk]), **GERMAN)
    page = desk.get(reverse("desk:ticket", args=[ticket.pk]), **GERMAN).content.decode()
    assert '<span class="present present-viewing">Alice Smith sieht sich das Ticket an</span>' in page
    poll = reverse("desk:ticket_presence", args=[ticket.pk])
    alice_desk.post(poll, {"activity": "replying"}, **GERMAN)
    answer = desk.post(poll, {"activity": "viewing"}, **GERMAN).json()
    assert answer["others"] == [{"name": "Alice Smith", "activity": "replying",
                                 "text": "Alice Smith antwortet gerade"}]


def test_the_command_lines_refusals_stay_english_in_a_thread_left_in_german():
    translation.activate("de")
    with pytest.raises(InvalidInput) as refused:
        desk_services.create_staff_user("", "", display_name="x" * 101)
    assert refused.value.message_dict == {
        "username": ["Enter a user name."], "password": ["Enter a password."],
        "display_name": ["Keep the name to 100 characters (it has 101)."]}
    # The same check on the desk's profile page speaks the page's language.
    with pytest.raises(InvalidInput) as on_a_page:
        desk_services.clean_display_name("x" * 101)
    assert on_a_page.value.messages == ["Der Name darf höchstens 100 Zeichen lang sein (er hat 101)."]


def test_the_admins_header_and_action_message_are_german(client):
    boss = make_staff("boss", email="boss@example.com", password=None, is_superuser=True)
    ticket = make_ticket(make_contact("acme", email="ann@acme.example"), "Drucker")
    # Queued, not sent: the test's transaction never commits, so the outbox's sending never runs.
    helpdesk_services.update_properties(ticket, actor=boss, status=Status.RESOLVED)
    mail = OutgoingMail.objects.filter(sent_at__isnull=True).latest("pk")
    client.force_login(boss)
    listing = client.get("/admin/outbox/outgoingmail/", **GERMAN).content.decode()
    assert "Extdesk-Verwaltung" in listing and "Jetzt erneut versuchen" in listing
    answer = client.post("/admin/outbox/outgoingmail/",
                         {"action": "retry_now", "_selected_action": [mail.pk]}, follow=True, **GERMAN)
    assert re.search(r"Erneut versucht: gesendet \d, erneut zu versuchen \d, aufgegeben \d, von einem "
                     r"anderen Sender übernommen \d\.", html.unescape(answer.content.decode()))
