"""The ticket page's tools: tags (and the queue's tag filter), merging into another ticket."""

from __future__ import annotations

import html
import re

import pytest

from extdesk.helpdesk import services
from extdesk.helpdesk.models import EventKind, Message, Status, Ticket
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_contact, make_ticket, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann():
    return make_contact("acme", email="ann@acme.example", first_name="Ann")


def flashes(client, response) -> list[str]:
    page = client.get(response["Location"]).content.decode()
    return [html.unescape(m) for m in re.findall(r'<li class="flash flash-\w+">(.*?)</li>', page)]


def test_tags_are_added_and_removed_on_the_ticket_page(desk, agent, ann):
    ticket = make_ticket(ann)
    url = f"/desk/tickets/{ticket.pk}/"
    response = desk.post(f"{url}tags/add/", {"tag": "  Refund   due "})
    assert response.status_code == 302 and response["Location"] == f"{url}#tags"
    assert flashes(desk, response) == ["Tagged “Refund due”."]
    assert flashes(desk, desk.post(f"{url}tags/add/", {"tag": "refund due"})) == [
        "The ticket already has the tag “refund due”."]
    assert flashes(desk, desk.post(f"{url}tags/add/", {"tag": "a,b"})) == [
        "A tag cannot contain a comma: add one tag at a time."]
    assert flashes(desk, desk.post(f"{url}tags/add/", {"tag": ""})) == ["Enter a tag."]
    page = desk.get(url).content.decode()
    assert '<a href="/desk/?status=all&amp;tag=Refund%20due">Refund due</a>' in page
    assert '<option value="Refund due">' in page  # suggested in the add field
    assert "Alex Agent: Tags changed" in page
    assert flashes(desk, desk.post(f"{url}tags/remove/", {"tag": "Refund due"})) == [
        "Removed the tag “Refund due”."]
    assert not Ticket.objects.get(pk=ticket.pk).tags.exists()
    assert desk.get(f"{url}tags/add/").status_code == 405


def test_the_queue_filters_by_tag(desk, agent, ann):
    tagged, other = make_ticket(ann, "Tagged one"), make_ticket(ann, "Plain one")
    services.add_tag(tagged, "dns", actor=agent)
    page = desk.get("/desk/", {"tag": "DNS"}).content.decode()
    assert "Tagged one" in page and "Plain one" not in page
    unknown = desk.get("/desk/", {"tag": "nothing-like-it"})
    assert unknown.status_code == 400
    text = unknown.content.decode()
    assert "No tag is named" in text and "Tagged one" not in text and "Plain one" not in text
    assert other.subject in desk.get("/desk/").content.decode()  # listed without the filter


def test_merging_is_confirmed_then_done(desk, agent, ann):
    old = make_ticket(ann, "Invoice wrong", attachments=[upload("invoice.pdf", b"%PDF")])
    new = make_ticket(ann, "Invoice again")
    page = desk.get(f"/desk/tickets/{old.pk}/").content.decode()
    assert f'action="/desk/tickets/{old.pk}/merge/"' in page
    confirm = desk.get(f"/desk/tickets/{old.pk}/merge/", {"into": f" #{new.pk}"})
    assert confirm.status_code == 200
    text = html.unescape(confirm.content.decode())
    assert "1 message (with 1 attachment) move to" in text
    assert f'<input type="hidden" name="into" value="{new.pk}">' in text
    assert Message.objects.filter(ticket=old).exists()  # nothing yet
    response = desk.post(f"/desk/tickets/{old.pk}/merge/", {"into": str(new.pk)})
    assert response.status_code == 302 and response["Location"] == f"/desk/tickets/{new.pk}/"
    assert flashes(desk, response) == [
        f"Ticket #{old.pk} merged into #{new.pk} (1 message moved); the customer was told by mail."]
    old.refresh_from_db()
    assert (old.merged_into_id, old.status) == (new.pk, Status.CLOSED)
    merged_page = desk.get(f"/desk/tickets/{old.pk}/").content.decode()
    assert f'merged into <a href="/desk/tickets/{new.pk}/">#{new.pk}</a>' in merged_page
    assert f'action="/desk/tickets/{old.pk}/merge/"' not in merged_page
    assert f"Alex Agent: Merged <span class=\"muted\">#{old.pk}</span> → #{new.pk}" in merged_page
    target_page = desk.get(f"/desk/tickets/{new.pk}/").content.decode()
    assert "invoice.pdf" in target_page and "Invoice wrong" in target_page


@pytest.mark.parametrize(("into", "problem"), [
    ("", "Enter the number of the ticket to merge into."),
    ("abc", "Enter a ticket number, such as 123 or #123."),
    ("999999", "There is no ticket #999999."),
])
def test_a_wrong_target_is_said_and_nothing_merges(desk, ann, into, problem):
    old = make_ticket(ann, "One")
    for method in ("get", "post"):
        response = getattr(desk, method)(f"/desk/tickets/{old.pk}/merge/", {"into": into})
        assert response.status_code == 400
        assert problem in html.unescape(response.content.decode())
    assert Ticket.objects.get(pk=old.pk).merged_into_id is None


def test_a_refused_merge_is_explained_before_and_refused_on_post(desk, ann):
    old = make_ticket(ann, "Ann's")
    bobs = make_ticket(make_contact("globex", email="bob@globex.example"), "Bob's")
    confirm = desk.get(f"/desk/tickets/{old.pk}/merge/", {"into": bobs.pk})
    assert confirm.status_code == 400
    assert "from different customers and accounts" in html.unescape(confirm.content.decode())
    assert "<button type=\"submit\">Merge" not in confirm.content.decode()
    assert desk.post(f"/desk/tickets/{old.pk}/merge/", {"into": bobs.pk}).status_code == 400
    assert not Ticket.objects.filter(merged_into__isnull=False).exists()
    assert not OutgoingMail.objects.filter(subject__contains="Merged").exists()
    assert not Ticket.objects.get(pk=bobs.pk).events.filter(kind=EventKind.MERGED).exists()


def test_the_tools_are_for_desk_users_only(client, ann):
    old, new = make_ticket(ann, "One"), make_ticket(ann, "Two")
    customer = ann.user
    customer.is_staff = True
    customer.save()
    for who in (None, customer):
        if who:
            client.force_login(who)
        for path, data in ((f"merge/?into={new.pk}", None), ("merge/", {"into": new.pk}),
                           ("tags/add/", {"tag": "x"}), ("assign-to-me/", {})):
            url = f"/desk/tickets/{old.pk}/{path}"
            response = client.get(url) if data is None else client.post(url, data)
            assert response.status_code == 302 and response["Location"].startswith("/desk/login/")
    old.refresh_from_db()
    assert (old.merged_into_id, old.assignee_id, old.tags.count()) == (None, None, 0)
