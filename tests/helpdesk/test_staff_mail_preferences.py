"""Who gets staff mail about new tickets and customer replies: each agent's "Mail me about" choices."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from extdesk.desk.services import create_staff_user
from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.models import MAIL_PREFERENCES, StaffMail, StaffProfile
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


def recipients(about: str) -> list[list[str]]:
    """The recipients of each staff mail queued so far whose ``about`` starts so, oldest first."""
    return [m.recipients for m in OutgoingMail.objects.filter(about__startswith=about).order_by("id")]


def new_ticket_mail() -> list[list[str]]:
    return recipients("new ticket ")


def reply_mail() -> list[list[str]]:
    return recipients("the customer reply on ")


def prefer(user, **choices: bool) -> None:
    """The agent's profile with these choices, the others as they are (every mail on, by default)."""
    StaffProfile.objects.update_or_create(user=user, defaults=choices)


@pytest.fixture
def team():
    """Three agents: ann and bob with a profile of defaults (createstaff's), cy without any (the admin's)."""
    ann = create_staff_user("ann", "plum-Violet-41-harbour", email="ann@example.com")
    bob = create_staff_user("bob", "plum-Violet-41-harbour", email="bob@example.com")
    cy = make_staff("cy", "cy@example.com", password=None)
    return ann, bob, cy


EVERYONE = ["ann@example.com", "bob@example.com", "cy@example.com"]


def test_a_new_staff_member_wants_every_mail_as_before_there_was_a_choice(team):
    ann, _bob, cy = team
    assert all(getattr(ann.staff_profile, name) is True for name in MAIL_PREFERENCES)
    assert not StaffProfile.objects.filter(user=cy).exists()
    for kind in StaffMail:
        assert selectors.staff_mail_recipients(kind, None) == EVERYONE
        assert selectors.staff_mail_recipients(kind, ann.pk) == ["ann@example.com"]
        assert selectors.staff_mail_recipients(kind, cy.pk) == ["cy@example.com"]


def test_defaults_mail_everyone_while_unassigned_and_the_assignee_alone_after(team):
    ann, _bob, _cy = team
    contact = make_contact("acme")
    ticket = make_ticket(contact)
    services.reply(ticket, author=contact, body="Still down.")
    services.update_properties(ticket, actor=ann, assignee=ann)
    services.reply(ticket, author=contact, body="And now?")
    assert new_ticket_mail() == [EVERYONE]
    assert reply_mail() == [EVERYONE, ["ann@example.com"]]


def test_new_unassigned_tickets_go_to_those_who_want_them_only(team):
    ann, bob, _cy = team
    prefer(bob, mail_new_unassigned=False)
    contact = make_contact("acme")
    ticket = make_ticket(contact)
    services.reply(ticket, author=contact, body="Still down.")
    assert new_ticket_mail() == [["ann@example.com", "cy@example.com"]]
    # Replies are a choice of their own: bob still gets them.
    assert reply_mail() == [EVERYONE]
    prefer(ann, mail_new_unassigned=False)
    prefer(_cy, mail_new_unassigned=False)
    make_ticket(contact, subject="Second")
    # Nobody wants them: nothing is queued at all.
    assert len(new_ticket_mail()) == 1


def test_replies_on_unassigned_tickets_go_to_those_who_want_them_only(team):
    ann, bob, cy = team
    prefer(ann, mail_replies_unassigned=False)
    prefer(cy, mail_replies_unassigned=False)
    contact = make_contact("acme")
    ticket = make_ticket(contact)
    services.reply(ticket, author=contact, body="Still down.")
    assert new_ticket_mail() == [EVERYONE]
    assert reply_mail() == [["bob@example.com"]]
    # Assigned, the "unassigned" choices no longer count: ann gets her own ticket's replies.
    services.update_properties(ticket, actor=bob, assignee=ann)
    services.reply(ticket, author=contact, body="Hello?")
    assert reply_mail()[-1] == ["ann@example.com"]


def test_an_assignee_who_opted_out_of_their_tickets_gets_nothing_and_nobody_else_does(team):
    ann, bob, _cy = team
    prefer(ann, mail_mine=False)
    contact = make_contact("acme")
    ticket = make_ticket(contact)
    services.update_properties(ticket, actor=bob, assignee=ann)
    services.reply(ticket, author=contact, body="Still down.")
    assert reply_mail() == []
    # Their escalations are a choice apart.
    assert selectors.staff_mail_recipients(StaffMail.ESCALATION, ann.pk) == ["ann@example.com"]
    # Another agent's ticket is not theirs: bob keeps getting his.
    services.update_properties(ticket, actor=bob, assignee=bob)
    services.reply(ticket, author=contact, body="Hello?")
    assert reply_mail() == [["bob@example.com"]]


def test_an_assignee_without_an_address_or_desk_rights_is_as_nobody_assigned(team):
    ann, bob, cy = team
    prefer(bob, mail_replies_unassigned=False)
    ann.email = ""
    ann.save(update_fields=["email"])
    assert selectors.staff_mail_recipients(StaffMail.CUSTOMER_REPLY, ann.pk) == ["cy@example.com"]
    cy.is_active = False
    cy.save(update_fields=["is_active"])
    assert selectors.staff_mail_recipients(StaffMail.CUSTOMER_REPLY, cy.pk) == []
    assert selectors.staff_mail_recipients(StaffMail.NEW_TICKET, cy.pk) == ["bob@example.com"]


def test_an_address_two_agents_share_is_mailed_once(team):
    _ann, bob, cy = team
    for user in (bob, cy):
        user.email = "desk@example.com"
        user.save(update_fields=["email"])
    found = selectors.staff_mail_recipients(StaffMail.NEW_TICKET, None)
    assert found == ["ann@example.com", "desk@example.com"]


@pytest.mark.parametrize("assigned", [False, True])
def test_the_recipients_lookup_is_one_query_whatever_the_number_of_staff(assigned):
    counts = []
    for size in (2, 20):
        staff = [make_staff(f"agent{size}-{n}", f"agent{size}-{n}@example.com", password=None)
                 for n in range(size)]
        # Half of them with a profile, some opted out: the profile is read in the same query.
        for user in staff[::2]:
            prefer(user, mail_new_unassigned=False)
        with CaptureQueriesContext(connection) as queries:
            found = selectors.staff_mail_recipients(StaffMail.NEW_TICKET, staff[1].pk if assigned else None)
        counts.append(len(queries))
        assert found
    assert counts == [1, 1]


def test_a_staff_member_added_in_the_admin_gets_every_mail(admin_client):
    response = admin_client.post("/admin/desk/staffmember/add/", {
        "username": "newbie", "password1": "plum-Violet-41-harbour", "password2": "plum-Violet-41-harbour",
        "usable_password": "true",
    })
    assert response.status_code == 302
    newbie = get_user_model().objects.get(username="newbie")
    newbie.email = "newbie@example.com"
    newbie.save(update_fields=["email"])
    for kind in StaffMail:
        assert "newbie@example.com" in selectors.staff_mail_recipients(kind, None)
        assert selectors.staff_mail_recipients(kind, newbie.pk) == ["newbie@example.com"]
