"""Canned replies: placeholders (missing data, hostile values), who manages which, inserting one."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from extdesk.desk import canned, placeholders
from extdesk.helpdesk.exceptions import InvalidInput, NotAllowed
from extdesk.helpdesk.models import CannedReply, Message, StaffProfile
from tests.helpdesk.factories import make_contact, make_staff, make_ticket, upload

pytestmark = pytest.mark.django_db

EVERY_PLACEHOLDER = " | ".join(f"{{{{ {name} }}}}" for name in placeholders.PLACEHOLDERS)


@pytest.fixture
def contact():
    return make_contact("acme", "Globex", email="ann@acme.example", first_name="Ann", last_name="Lovelace")


@pytest.fixture
def ticket(contact):
    return make_ticket(contact, "Mail is down", account=contact.accounts.get(name="acme"))


@pytest.fixture
def boss(db):
    return make_staff("boss", email="boss@example.com", first_name="Bea", last_name="Boss", is_superuser=True)


def _raw(owner, title: str, body: str) -> CannedReply:
    """A reply written straight to the table (as the admin or an old version might have): no checks."""
    now = timezone.now()
    return CannedReply.objects.create(title=title, body=body, owner=owner, created_at=now, updated_at=now)


def textarea(response) -> str:
    """The reply box's text, as a browser shows it."""
    found = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', response.content.decode(), re.S)
    assert found, "no reply box"
    # Django writes a newline after the opening tag, which browsers drop.
    return html.unescape(found.group(1)).removeprefix("\n")


# ---------------------------------------------------------------- placeholders


def test_every_placeholder_is_filled_from_the_ticket_the_contact_and_the_agent(agent, ticket):
    text = placeholders.fill(EVERY_PLACEHOLDER, placeholders.ticket_values(ticket, agent))
    assert text == (f"Ann | Lovelace | Ann Lovelace | ann@acme.example | {ticket.pk} | Mail is down | acme"
                    " | acme, Globex | Alex Agent")


def test_missing_data_leaves_a_placeholder_empty(agent):
    nameless = make_contact(email="someone@example.com", first_name="", last_name="")
    ticket = make_ticket(nameless, "No account")
    text = placeholders.fill(EVERY_PLACEHOLDER, placeholders.ticket_values(ticket, agent))
    # Not the address for the name: "Dear {{ contact.name }}" is better left empty.
    assert text == f" |  |  | someone@example.com | {ticket.pk} | No account |  |  | Alex Agent"
    assert placeholders.fill("Hi {{ contact.first_name }}!", {}) == "Hi !"


def test_the_agent_is_named_as_customers_know_them_never_by_login(ticket):
    nameless = make_staff("jdoe42", email="jdoe@example.com")
    assert placeholders.ticket_values(ticket, nameless)["agent.name"] == "Support team"
    StaffProfile.objects.create(user=nameless, display_name="Jo from Support")
    nameless.refresh_from_db()
    assert placeholders.ticket_values(ticket, nameless)["agent.name"] == "Jo from Support"


def test_hostile_values_are_inserted_as_plain_text_once(agent):
    hostile = make_contact("acme", email="eve@example.com", first_name="{{ ticket.subject }}",
                           last_name="<script>alert(1)</script>\r\nBcc: x@example.net")
    other = make_ticket(hostile, "Someone else's secret subject")
    ticket = make_ticket(hostile, "{{ agent.name }} {% debug %}")
    values = placeholders.ticket_values(ticket, agent)
    text = placeholders.fill("{{ contact.first_name }}/{{ contact.last_name }}/{{ ticket.subject }}", values)
    # One pass: a value that looks like a placeholder stays as it is; line breaks become spaces.
    assert text == ("{{ ticket.subject }}/<script>alert(1)</script> Bcc: x@example.net/"
                    "{{ agent.name }} {% debug %}")
    assert other.subject not in text


def test_unknown_names_are_left_as_typed_and_reach_nothing(agent, ticket):
    other = make_ticket(ticket.contact, "Other ticket's subject")
    body = ("{{ settings.SECRET_KEY }} {{ ticket.contact.user.password }} {{contact.first_name}}"
            " {{ contact.first_name|upper }} {{ Contact.First_Name }} {% load static %}"
            " {{ {{ ticket.number }} }} {{ ticket.__class__ }}")
    text = placeholders.fill(body, placeholders.ticket_values(ticket, agent))
    assert text == ("{{ settings.SECRET_KEY }} {{ ticket.contact.user.password }} Ann"
                    " {{ contact.first_name|upper }} {{ Contact.First_Name }} {% load static %}"
                    f" {{{{ {ticket.pk} }}}} {{{{ ticket.__class__ }}}}")
    assert settings.SECRET_KEY not in text and other.subject not in text


def test_saving_refuses_unknown_placeholders_naming_them(agent):
    with pytest.raises(InvalidInput) as refused:
        canned.create_canned_reply(actor=agent, title="Leaky", body="Key: {{ settings.SECRET_KEY }}, "
                                   "{{ contact.first_name|upper }} and {{ settings.SECRET_KEY }}")
    problem = refused.value.message_dict["body"][0]
    assert problem.startswith(
        "Unknown placeholders: {{ settings.SECRET_KEY }}, {{ contact.first_name|upper }}.")
    assert "{{ contact.first_name }}" in problem  # the known ones are listed
    assert not CannedReply.objects.exists()


# ---------------------------------------------------------------- who manages which


def test_personal_replies_are_their_owners_and_shared_ones_the_superusers(agent, boss):
    colleague = make_staff("blake", email="blake@example.com")
    mine = canned.create_canned_reply(actor=agent, title="  My   greeting ", body="Hello!\r\n")
    assert (mine.title, mine.body, mine.owner) == ("My greeting", "Hello!", agent)
    shared = canned.create_canned_reply(actor=boss, title="Team greeting", body="Hi all", shared=True)
    assert shared.is_shared
    with pytest.raises(NotAllowed):
        canned.create_canned_reply(actor=agent, title="Sneaky", body="x", shared=True)
    for actor, reply in ((colleague, mine), (agent, shared), (boss, mine)):
        with pytest.raises(NotAllowed):
            canned.update_canned_reply(reply, actor=actor, title="Changed", body="Changed")
        with pytest.raises(NotAllowed):
            canned.delete_canned_reply(reply, actor=actor)
    assert [r.title for r in canned.canned_replies_for(colleague)] == ["Team greeting"]
    assert [r.title for r in canned.canned_replies_for(agent)] == ["My greeting", "Team greeting"]
    assert canned.canned_reply_for(colleague, mine.pk) is None
    canned.update_canned_reply(shared, actor=boss, title="Team greeting", body="Hello, all")
    assert CannedReply.objects.get(pk=shared.pk).body == "Hello, all"
    canned.delete_canned_reply(mine, actor=agent)
    assert not CannedReply.objects.filter(pk=mine.pk).exists()


def test_the_list_shows_mine_and_shared_and_finds_by_name(desk, agent, boss):
    colleague = make_staff("blake", email="blake@example.com")
    canned.create_canned_reply(actor=agent, title="Refund granted", body="Done.")
    canned.create_canned_reply(actor=boss, title="Refund policy", body="Policy.", shared=True)
    canned.create_canned_reply(actor=colleague, title="Refund (Blake's)", body="Mine.")
    page = desk.get(reverse("desk:canned_list")).content.decode()
    assert "Refund granted" in page and "Refund policy" in page and "Blake" not in page
    found = desk.get(reverse("desk:canned_list"), {"q": "GRANTED"}).content.decode()
    assert "Refund granted" in found and "Refund policy" not in found
    # A shared reply offers no edit link to someone who may not change it.
    policy = CannedReply.objects.get(title="Refund policy")
    assert reverse("desk:canned_edit", args=[policy.pk]) not in page


def test_agents_create_edit_and_delete_their_own_in_the_desk(desk, agent):
    response = desk.post(reverse("desk:canned_create"),
                         {"title": "Restart", "body": "Hello {{ contact.first_name }},\n\nplease restart.",
                          "shared": "on"})
    assert response.status_code == 302
    reply = CannedReply.objects.get()
    assert reply.owner == agent  # an agent's post saying "shared" is not read
    assert desk.get(reverse("desk:canned_edit", args=[reply.pk])).status_code == 200
    refused = desk.post(reverse("desk:canned_edit", args=[reply.pk]),
                        {"title": "Restart", "body": "{{ settings.DEBUG }}"})
    assert refused.status_code == 400
    assert "Unknown placeholder: {{ settings.DEBUG }}" in html.unescape(refused.content.decode())
    assert desk.post(reverse("desk:canned_edit", args=[reply.pk]),
                     {"title": "Restart now", "body": "Restart."}).status_code == 302
    assert CannedReply.objects.get().title == "Restart now"
    assert desk.post(reverse("desk:canned_create"), {"title": "", "body": ""}).status_code == 400
    assert desk.get(reverse("desk:canned_delete", args=[reply.pk])).status_code == 200
    assert desk.post(reverse("desk:canned_delete", args=[reply.pk])).status_code == 302
    assert not CannedReply.objects.exists()


def test_others_replies_are_not_found_and_shared_ones_refused(desk, boss):
    colleague = make_staff("blake", email="blake@example.com")
    theirs = canned.create_canned_reply(actor=colleague, title="Blake's", body="Private.")
    shared = canned.create_canned_reply(actor=boss, title="Team", body="Shared.", shared=True)
    for name in ("desk:canned_edit", "desk:canned_delete"):
        assert desk.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert desk.post(reverse(name, args=[theirs.pk]), {"title": "x", "body": "x"}).status_code == 404
        assert desk.post(reverse(name, args=[shared.pk]), {"title": "x", "body": "x"}).status_code == 403
    assert CannedReply.objects.get(pk=shared.pk).body == "Shared."
    assert CannedReply.objects.filter(pk=theirs.pk).exists()


def test_superusers_share_in_the_desk(client, boss):
    client.force_login(boss)
    client.post(reverse("desk:canned_create"), {"title": "Team", "body": "Hi", "shared": "on"})
    assert CannedReply.objects.get().is_shared


def test_the_pages_are_for_desk_users_only(client, contact):
    reply = _raw(None, "Team", "Shared.")
    customer = contact.user
    customer.is_staff = True  # a customer's login given staff rights by mistake
    customer.save()
    for who in (None, customer):
        if who:
            client.force_login(who)
        for url in (reverse("desk:canned_list"), reverse("desk:canned_create"),
                    reverse("desk:canned_edit", args=[reply.pk])):
            assert client.get(url)["Location"].startswith("/desk/login/")
            assert client.post(url, {"title": "x", "body": "x"})["Location"].startswith("/desk/login/")
    assert CannedReply.objects.get().title == "Team"


# ---------------------------------------------------------------- inserting


def test_the_picker_offers_mine_and_the_shared_ones(desk, agent, ticket):
    colleague = make_staff("blake", email="blake@example.com")
    mine = canned.create_canned_reply(actor=agent, title="Mine", body="x")
    shared = _raw(None, "Shared one", "y")
    theirs = canned.create_canned_reply(actor=colleague, title="Theirs", body="z")
    page = desk.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    picker = page[page.index('class="canned-picker"'):page.index('name="body"')]
    assert f'<option value="{mine.pk}"' in picker and f'<option value="{shared.pk}"' in picker
    assert f'value="{theirs.pk}"' not in picker


def test_insert_without_javascript_keeps_the_draft_and_escapes_values(desk, agent):
    hostile = make_contact(email="eve@example.com", first_name="</textarea><script>x()</script>")
    ticket = make_ticket(hostile, "Printer")
    reply = canned.create_canned_reply(actor=agent, title="Greeting",
                                       body="Hello {{ contact.first_name }}, about #{{ ticket.number }}:")
    response = desk.post(reverse("desk:canned_insert", args=[ticket.pk]),
                         {"body": "My own draft.\n", "then_status": "waiting", "canned": reply.pk,
                          "canned_action": "insert", "attachments": [upload()]})
    assert response.status_code == 200
    assert textarea(response) == (f"My own draft.\n\nHello </textarea><script>x()</script>, "
                                  f"about #{ticket.pk}:")
    page = response.content.decode()
    assert "<script>x()" not in page and "&lt;script&gt;x()" in page
    assert re.search(r'<option value="waiting" selected>', page)  # the rest of the form as it was
    assert "choose your attachments again" in page
    assert not Message.objects.filter(ticket=ticket, author_user=agent).exists()  # nothing sent


def test_find_narrows_the_picker_and_keeps_the_draft(desk, agent, ticket):
    canned.create_canned_reply(actor=agent, title="Refund granted", body="x")
    canned.create_canned_reply(actor=agent, title="Password reset", body="y")
    response = desk.post(reverse("desk:canned_insert", args=[ticket.pk]),
                         {"body": "Draft", "canned_q": "refund", "canned_action": "find"})
    assert textarea(response) == "Draft"
    picker = response.content.decode().split('class="canned-picker"')[1].split("</select>")[0]
    assert "Refund granted" in picker and "Password reset" not in picker


def test_someone_elses_reply_cannot_be_inserted(desk, ticket):
    theirs = canned.create_canned_reply(actor=make_staff("blake", email="blake@example.com"),
                                        title="Blake's", body="Private text")
    response = desk.post(reverse("desk:canned_insert", args=[ticket.pk]),
                         {"body": "", "canned": theirs.pk, "canned_action": "insert"})
    assert "Private text" not in textarea(response)
    assert "Choose one of the canned replies" in response.content.decode()
    assert desk.get(reverse("desk:canned_text", args=[ticket.pk, theirs.pk])).status_code == 404


def test_the_script_gets_the_filled_text_as_json(desk, agent, ticket):
    reply = canned.create_canned_reply(actor=agent, title="Greeting", body="Dear {{ contact.name }}")
    response = desk.get(reverse("desk:canned_text", args=[ticket.pk, reply.pk]))
    assert response.status_code == 200
    assert response.json() == {"title": "Greeting", "text": "Dear Ann Lovelace"}
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
