"""The rating on the customer's ticket page, and on the desk's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from extdesk.helpdesk import services as helpdesk_services
from extdesk.ratings import services
from extdesk.ratings.models import Rating
from tests.helpdesk.factories import make_contact, make_ticket

pytestmark = pytest.mark.django_db


def _page(client, ticket):
    return client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()


def test_the_ticket_page_offers_the_rating_while_resolved(client, contact, resolved):
    client.force_login(contact.user)
    assert "Were you helped?" in _page(client, resolved)
    response = client.post(reverse("ratings:portal", args=[resolved.pk]),
                           {"choice": "bad", "comment": "Took long."})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:ticket", args=[resolved.pk]) + "#rating"
    rating = Rating.objects.get()
    assert (rating.choice, rating.comment, rating.contact) == ("bad", "Took long.", contact)
    page = _page(client, resolved)
    assert "You answered <strong>Bad</strong>" in page and "Took long." in page


def test_an_open_ticket_offers_no_rating(client, contact):
    client.force_login(contact.user)
    ticket = make_ticket(contact)
    assert "Were you helped?" not in _page(client, ticket)
    client.post(reverse("ratings:portal", args=[ticket.pk]), {"choice": "good"})
    assert not Rating.objects.exists()


def test_account_members_may_rate_and_strangers_or_visitors_may_not(client, resolved):
    for visitor, status in ((make_contact("elsewhere"), 404), (None, 403)):
        client.logout()
        if visitor is not None:
            client.force_login(visitor.user)
        response = client.post(reverse("ratings:portal", args=[resolved.pk]), {"choice": "good"})
        assert response.status_code == status
    assert not Rating.objects.exists()
    member = make_contact("acme")
    client.force_login(member.user)
    assert client.post(reverse("ratings:portal", args=[resolved.pk]), {"choice": "good"}).status_code == 302
    assert Rating.objects.get().contact == member


def test_a_wrong_form_is_shown_again_with_its_error_and_comment(client, contact, resolved):
    client.force_login(contact.user)
    response = client.post(reverse("ratings:portal", args=[resolved.pk]),
                           {"choice": "meh", "comment": "kept"})
    assert response.status_code == 400
    assert b"Choose Good or Bad." in response.content and b"kept" in response.content
    assert not Rating.objects.exists()


def test_a_get_on_the_portal_form_changes_nothing(client, contact, resolved):
    client.force_login(contact.user)
    assert client.get(reverse("ratings:portal", args=[resolved.pk]), {"choice": "good"}).status_code == 405
    assert not Rating.objects.exists()


def test_the_desk_shows_each_resolution_rating_with_its_comment(client, contact, agent, resolved):
    first = services.rate_in_portal(resolved, contact=contact, choice="bad", comment="Still <slow>")
    helpdesk_services.reply(resolved, author=contact, body="Again.")
    helpdesk_services.update_properties(resolved, actor=agent, status="resolved")
    services.rate_in_portal(resolved, contact=contact, choice="good", comment="Now fine")
    client.force_login(agent)
    page = client.get(reverse("desk:ticket", args=[resolved.pk])).content.decode()
    assert "Satisfaction" in page
    assert page.index("Now fine") < page.index("Still &lt;slow&gt;")
    assert "(reopened since)" in page and "credited to Alex Agent" in page
    assert first.pk in Rating.objects.values_list("pk", flat=True)


def test_the_admin_lists_ratings_to_read_only(client, contact, resolved):
    from tests.helpdesk.factories import make_staff
    services.rate_in_portal(resolved, contact=contact, choice="good", comment="Thanks")
    client.force_login(make_staff("boss", "boss@example.com", password=None, is_superuser=True))
    page = client.get("/admin/ratings/rating/")
    assert page.status_code == 200 and "Thanks" in page.content.decode()
    rating = Rating.objects.get()
    assert client.post(f"/admin/ratings/rating/{rating.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Rating.objects.filter(pk=rating.pk).exists()
