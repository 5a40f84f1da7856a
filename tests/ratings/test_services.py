"""Resolutions and ratings through the services: one rating per resolution, its window, the throttle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from extdesk.helpdesk import services as helpdesk_services
from extdesk.helpdesk.exceptions import InvalidInput, NotAllowed
from extdesk.helpdesk.models import Status
from extdesk.ratings import selectors, services
from extdesk.ratings.exceptions import RatingRefused, Throttled
from extdesk.ratings.links import RATING_WINDOW
from extdesk.ratings.models import Rating, Resolution
from tests.helpdesk.factories import make_category, make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


def _current(ticket) -> Resolution:
    resolution = selectors.current_resolution(ticket.pk)
    assert resolution is not None
    return resolution


def test_resolving_records_a_resolution_crediting_the_assignee_and_category(contact, agent):
    other = make_staff("other", "other@example.com", password=None)
    billing = make_category("Billing")
    ticket = make_ticket(contact, category=billing)
    helpdesk_services.reply(ticket, author=other, body="Looking.")
    helpdesk_services.update_properties(ticket, actor=other, assignee=agent, status=Status.RESOLVED)
    resolution = _current(ticket)
    assert (resolution.agent, resolution.category, resolution.reopened_at) == (agent, billing, None)
    # Changed after the resolution: the resolution keeps what held at its time.
    helpdesk_services.update_properties(ticket, actor=other, assignee=other, category=None)
    assert (_current(ticket).agent, _current(ticket).category) == (agent, billing)


def test_without_an_assignee_the_last_staff_author_is_credited(contact, agent):
    other = make_staff("other", "other@example.com", password=None)
    ticket = make_ticket(contact)
    helpdesk_services.reply(ticket, author=other, body="First.")
    helpdesk_services.reply(ticket, author=agent, body="Second.")
    helpdesk_services.reply(ticket, author=other, body="internal", internal=True)
    helpdesk_services.update_properties(ticket, actor=other, status=Status.RESOLVED)
    assert _current(ticket).agent == agent


def test_reopening_ends_the_resolution_and_a_new_one_gets_its_own_rating(resolved, contact, agent):
    first = _current(resolved)
    services.rate(first.pk, contact=contact, choice="bad", comment="Still slow")
    helpdesk_services.reply(resolved, author=contact, body="It is slow again.")
    first.refresh_from_db()
    assert first.reopened_at is not None
    assert selectors.current_resolution(resolved.pk) is None
    with pytest.raises(RatingRefused, match="reopened"):
        services.rate(first.pk, contact=contact, choice="good")
    helpdesk_services.update_properties(resolved, actor=agent, status=Status.RESOLVED)
    second = _current(resolved)
    assert second.pk != first.pk
    services.rate(second.pk, contact=contact, choice="good")
    assert sorted(Rating.objects.values_list("resolution_id", "choice")) == [(first.pk, "bad"),
                                                                           (second.pk, "good")]


def test_closing_a_resolved_ticket_keeps_its_resolution_and_a_merge_records_none(resolved, contact, agent):
    first = _current(resolved)
    helpdesk_services.close_by_customer(resolved, contact=contact)
    assert _current(resolved) == first
    source, target = make_ticket(contact, "Source"), make_ticket(contact, "Target")
    helpdesk_services.merge_tickets(source, target, actor=agent)
    assert not Resolution.objects.filter(ticket=source).exists()


def test_a_second_answer_replaces_the_first(resolved, contact):
    resolution = _current(resolved)
    services.rate(resolution.pk, contact=contact, choice="bad", comment="Slow")
    services.rate(resolution.pk, contact=contact, choice="good", comment="")
    assert list(Rating.objects.values_list("choice", "comment")) == [("good", "")]


def test_one_rating_per_resolution_is_a_database_constraint(resolved, contact):
    rating = services.rate(_current(resolved).pk, contact=contact, choice="good")
    now = timezone.now()
    with pytest.raises(IntegrityError):
        Rating.objects.create(resolution_id=rating.resolution_id, ticket=resolved, choice="bad",
                              created_at=now, updated_at=now)


def test_the_rating_can_be_changed_for_seven_days_then_not(resolved, contact):
    resolution = _current(resolved)
    services.rate(resolution.pk, contact=contact, choice="good",
                  now=resolution.resolved_at + RATING_WINDOW - timedelta(seconds=1))
    with pytest.raises(RatingRefused, match="7 days"):
        services.rate(resolution.pk, contact=contact, choice="bad",
                      now=resolution.resolved_at + RATING_WINDOW)
    assert Rating.objects.get().choice == "good"


@pytest.mark.parametrize(("choice", "comment", "field"), [
    ("meh", "", "choice"), ("good", "x" * 1001, "comment"), ("bad", "a\x00b", "comment")])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(resolved, contact, choice, comment, field):
    with pytest.raises(InvalidInput) as refused:
        services.rate(_current(resolved).pk, contact=contact, choice=choice, comment=comment)
    assert field in refused.value.message_dict
    assert not Rating.objects.exists()


def test_the_comment_is_trimmed_and_may_fill_the_limit(resolved, contact):
    rating = services.rate(_current(resolved).pk, contact=contact, choice="good",
                           comment="  " + "y" * services.MAX_COMMENT_LENGTH + "\r\n")
    assert rating.comment == "y" * services.MAX_COMMENT_LENGTH


def test_the_portal_rates_for_the_ticket_customer_and_account_members_only(resolved, contact):
    colleague = make_contact("acme")
    stranger = make_contact("elsewhere")
    services.rate_in_portal(resolved, contact=colleague, choice="good")
    assert Rating.objects.get().contact == colleague
    with pytest.raises(NotAllowed):
        services.rate_in_portal(resolved, contact=stranger, choice="bad")
    assert Rating.objects.get().choice == "good"


def test_the_portal_refuses_a_ticket_that_is_not_resolved(contact):
    ticket = make_ticket(contact)
    with pytest.raises(RatingRefused, match="not resolved"):
        services.rate_in_portal(ticket, contact=contact, choice="good")


def test_the_throttle_takes_the_limit_per_address_then_refuses_until_the_window_passes(db):
    start = 1_000_000
    for _ in range(services.THROTTLE_LIMIT):
        services.throttle("198.51.100.7", now=start)
    with pytest.raises(Throttled) as refused:
        services.throttle("198.51.100.7", now=start + 10)
    assert refused.value.retry_after == services.THROTTLE_WINDOW - 10
    services.throttle("198.51.100.8", now=start + 10)
    services.throttle("198.51.100.7", now=start + services.THROTTLE_WINDOW)
