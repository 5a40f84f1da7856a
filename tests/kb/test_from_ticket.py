"""From a ticket to an article: a public staff reply prefills the KB editor; desk users only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from extdesk.helpdesk import services as helpdesk_services
from extdesk.kb.models import Article
from tests.helpdesk.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(contact):
    return make_ticket(contact, subject="Mail <b>settings</b> for Outlook", body="My phone is 555-0100.")


@pytest.fixture
def staff_reply(ticket, agent):
    return helpdesk_services.reply(ticket, author=agent, body="Use IMAP on port 993 & <script>x</script>.")


def _editor(client, message_id):
    return client.get(reverse("kb_desk:create"), {"from_message": message_id})


def test_a_public_staff_reply_prefills_the_editor_escaped(client, agent, kb_category, staff_reply):
    client.force_login(agent)
    response = _editor(client, staff_reply.pk)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Mail &lt;b&gt;settings&lt;/b&gt; for Outlook"' in html
    assert "Use IMAP on port 993 &amp; &lt;script&gt;x&lt;/script&gt;." in html
    assert "<script>x</script>" not in html
    assert "555-0100" not in html  # the customer's own message is not carried over
    assert not Article.objects.exists()  # nothing saved, let alone published


@pytest.mark.parametrize("which", ["customer", "internal", "unknown", "junk"])
def test_other_messages_are_refused_and_the_editor_starts_empty(client, agent, kb_category, ticket, which):
    client.force_login(agent)
    message_id = {
        "customer": lambda: ticket.messages.get().pk,
        "internal": lambda: helpdesk_services.reply(ticket, author=agent, body="Secret note",
                                                    internal=True).pk,
        "unknown": lambda: 999999,
        "junk": lambda: "1 or 1=1",
    }[which]()
    html = _editor(client, message_id).content.decode()
    assert "is not a public staff reply" in html
    assert "555-0100" not in html and "Secret note" not in html and "Mail &lt;b&gt;" not in html


def test_customers_and_strangers_are_sent_to_the_desks_sign_in(client, contact, kb_category, staff_reply):
    for signed_in in (None, contact.user):
        if signed_in:
            client.force_login(signed_in)
        response = _editor(client, staff_reply.pk)
        assert response.status_code == 302 and "/desk/login/" in response["Location"]


def test_the_ticket_page_links_public_staff_replies_only(client, agent, ticket, staff_reply):
    helpdesk_services.reply(ticket, author=agent, body="Secret note", internal=True)
    client.force_login(agent)
    html = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    link = f'{reverse("kb_desk:create")}?from_message='
    assert html.count("Start an article from this reply") == 1
    assert f"{link}{staff_reply.pk}" in html
