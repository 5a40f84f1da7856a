"""Tags on tickets: names as stored, one tag whatever the case, the history, the queue filter."""

from __future__ import annotations

import pytest

from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.exceptions import InvalidInput, NotAllowed
from extdesk.helpdesk.models import EventKind, Tag, Ticket
from extdesk.sso.services import user_for_contact
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return make_staff("agent", first_name="Alex", last_name="Agent")


@pytest.fixture
def ticket():
    return make_ticket(make_contact("acme"))


def _tag_events(ticket: Ticket) -> list[tuple[str, str]]:
    events = ticket.events.filter(kind=EventKind.TAGS).order_by("pk")
    return list(events.values_list("old_value", "new_value"))


def test_a_tag_is_trimmed_single_spaced_and_one_whatever_its_case(agent, ticket):
    other = make_ticket(make_contact("globex"))
    assert services.add_tag(ticket, "  Refund   due ", actor=agent) is True
    assert services.add_tag(other, "refund DUE", actor=agent) is True
    assert list(Tag.objects.values_list("name", flat=True)) == ["Refund due"]  # as first typed
    assert services.add_tag(ticket, "REFUND due", actor=agent) is False
    assert [t.name for t in selectors.ticket_tags(ticket)] == ["Refund due"]
    assert _tag_events(ticket) == [("", "Refund due")]


def test_adding_and_removing_record_the_list_before_and_after_and_count_one_version_each(agent, ticket):
    start = Ticket.objects.get(pk=ticket.pk).version
    services.add_tag(ticket, "dns", actor=agent)
    services.add_tag(ticket, "Billing", actor=agent)
    assert ticket.version == start + 2
    assert services.remove_tag(ticket, "DNS", actor=agent) is True
    assert services.remove_tag(ticket, "dns", actor=agent) is False  # gone already: nothing written
    assert services.remove_tag(ticket, "never-made", actor=agent) is False
    assert ticket.version == start + 3 == Ticket.objects.get(pk=ticket.pk).version
    assert _tag_events(ticket) == [("", "dns"), ("dns", "Billing, dns"), ("Billing, dns", "Billing")]
    event = ticket.events.filter(kind=EventKind.TAGS).latest("pk")
    assert event.actor_user == agent
    # A tag taken off its last ticket stays, for the suggestions.
    assert set(Tag.objects.values_list("name", flat=True)) == {"dns", "Billing"}


@pytest.mark.parametrize(("name", "problem"), [
    ("", "Enter a tag."),
    ("   ", "Enter a tag."),
    ("x" * 51, "Keep a tag to 50 characters"),
    ("dns, mail", "cannot contain a comma"),
    ("bell\x07", "control characters"),
])
def test_bad_names_are_refused_and_nothing_is_written(agent, ticket, name, problem):
    with pytest.raises(InvalidInput) as refused:
        services.add_tag(ticket, name, actor=agent)
    assert problem in refused.value.message_dict["tag"][0]
    assert not Tag.objects.exists() and not _tag_events(ticket)


def test_only_desk_users_tag(ticket):
    contact = ticket.contact
    customer_login = user_for_contact(contact)
    customer_login.is_staff = True  # given staff rights by mistake: still not a desk user
    customer_login.save()
    for actor in (contact, customer_login, make_staff("gone", email="gone@example.com", is_active=False)):
        with pytest.raises(NotAllowed):
            services.add_tag(ticket, "vip", actor=actor)
        with pytest.raises(NotAllowed):
            services.remove_tag(ticket, "vip", actor=actor)
    assert not Tag.objects.exists()


def test_the_queue_filters_by_tag(agent, ticket):
    other = make_ticket(ticket.contact, "Other")
    untagged = make_ticket(ticket.contact, "Untagged")
    services.add_tag(ticket, "dns", actor=agent)
    services.add_tag(other, "DNS", actor=agent)
    services.add_tag(untagged, "billing", actor=agent)
    tag_id = selectors.tag_id_by_name("  Dns ")
    filters = selectors.QueueFilters(tag_id=tag_id)
    assert {t.pk for t in selectors.staff_queue(filters).object_list} == {ticket.pk, other.pk}
    assert selectors.queue_status_counts(filters)["new"] == 2
    assert selectors.tag_id_by_name("nope") is None
