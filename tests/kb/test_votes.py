"""Was this helpful?: one vote per visitor per article, changeable, throttled per address."""

from __future__ import annotations

import pytest
from django.urls import reverse

from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.kb import selectors, services
from extdesk.kb.models import ArticleVote
from extdesk.kb.views import VISITOR_COOKIE

from .factories import make_article

pytestmark = pytest.mark.django_db

VISITOR = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def article(agent, kb_category):
    return make_article(agent, kb_category, "Mail settings", slug="mail-settings")


def _counts(article):
    found = selectors.desk_articles().get(pk=article.pk)
    return found.helpful_yes, found.helpful_no


def test_a_contact_has_one_vote_per_article_and_changing_it_replaces_it(article, contact):
    services.vote(article, helpful=True, address="192.0.2.1", contact=contact)
    services.vote(article, helpful=False, address="192.0.2.1", contact=contact)
    assert _counts(article) == (0, 1)
    assert ArticleVote.objects.count() == 1


def test_anonymous_visitors_are_told_apart_by_their_id(article):
    services.vote(article, helpful=True, address="192.0.2.1", visitor=VISITOR)
    services.vote(article, helpful=True, address="192.0.2.1", visitor="f" * 32)
    services.vote(article, helpful=False, address="192.0.2.1", visitor=VISITOR)
    assert _counts(article) == (1, 1)


@pytest.mark.parametrize("visitor", ["", "short", "X" * 32, "g" * 32])
def test_a_vote_needs_a_voter(article, visitor):
    with pytest.raises(InvalidInput):
        services.vote(article, helpful=True, address="192.0.2.1", visitor=visitor)
    assert not ArticleVote.objects.exists()


def test_one_address_casts_at_most_the_limit_of_new_votes_an_hour(article, agent, kb_category):
    others = [make_article(agent, kb_category) for _ in range(3)]
    for n in range(services.VOTE_LIMIT):
        services.vote(article, helpful=True, address="192.0.2.7", visitor=f"{n:032x}")
    with pytest.raises(services.VoteThrottled):
        services.vote(others[0], helpful=True, address="192.0.2.7", visitor="e" * 32)
    # Changing an existing vote stuffs nothing: still allowed.
    services.vote(article, helpful=False, address="192.0.2.7", visitor=f"{0:032x}")
    # Another address is not held back.
    services.vote(others[1], helpful=True, address="192.0.2.8", visitor="e" * 32)
    assert ArticleVote.objects.filter(address="192.0.2.7").count() == services.VOTE_LIMIT


def test_the_form_works_without_javascript_and_remembers_the_visitor(client, article):
    url = reverse("kb:vote", args=[article.slug])
    response = client.post(url, {"helpful": "yes"})
    assert response.status_code == 302
    assert response["Location"] == reverse("kb:article", args=[article.slug]) + "#helpful"
    visitor = response.cookies[VISITOR_COOKIE].value
    assert response.cookies[VISITOR_COOKIE]["httponly"]
    client.post(url, {"helpful": "no"})
    assert _counts(article) == (0, 1)
    assert ArticleVote.objects.get().visitor == visitor
    page = client.get(reverse("kb:article", args=[article.slug])).content.decode()
    assert "you answered No" in page


def test_a_forged_visitor_cookie_gets_a_fresh_id(client, article):
    client.cookies[VISITOR_COOKIE] = "'; DROP TABLE--"
    response = client.post(reverse("kb:vote", args=[article.slug]), {"helpful": "yes"})
    assert response.status_code == 302
    assert len(ArticleVote.objects.get().visitor) == 32


def test_a_signed_in_customer_votes_as_themself(client, contact, article):
    client.force_login(contact.user)
    client.post(reverse("kb:vote", args=[article.slug]), {"helpful": "yes"})
    assert ArticleVote.objects.get().contact == contact


def test_a_bad_answer_or_an_unreadable_article_records_nothing(client, agent, kb_category, article):
    assert client.post(reverse("kb:vote", args=[article.slug]), {"helpful": "maybe"}).status_code == 400
    draft = make_article(agent, kb_category, published=False)
    assert client.post(reverse("kb:vote", args=[draft.slug]), {"helpful": "yes"}).status_code == 404
    assert client.get(reverse("kb:vote", args=[article.slug])).status_code == 405
    assert not ArticleVote.objects.exists()


def test_the_throttle_answers_429(client, article, monkeypatch):
    monkeypatch.setattr(services, "VOTE_LIMIT", 0)
    response = client.post(reverse("kb:vote", args=[article.slug]), {"helpful": "yes"})
    assert response.status_code == 429
    assert not ArticleVote.objects.exists()


def test_staff_see_the_answers_and_cannot_vote(client, agent, article):
    services.vote(article, helpful=True, address="192.0.2.1", visitor=VISITOR)
    client.force_login(agent)
    page = client.get(reverse("kb:article", args=[article.slug])).content.decode()
    assert "Readers found this helpful: 1 yes, 0 no" in page
    assert "Was this helpful?" not in page
    client.post(reverse("kb:vote", args=[article.slug]), {"helpful": "no"})
    assert _counts(article) == (1, 0)
