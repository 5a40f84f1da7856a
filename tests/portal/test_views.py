"""The customer portal's pages, through Django's test client on the real database."""

from __future__ import annotations

import pytest
from django.urls import reverse

from extdesk.contacts.models import Account
from extdesk.helpdesk import services
from extdesk.helpdesk.models import Attachment, EventKind, Message, Status, Ticket
from tests.helpdesk.factories import make_category, make_contact, make_staff, make_ticket, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return make_contact("acme")


@pytest.fixture
def customer(client, contact):
    client.force_login(contact.user)
    return client


def test_pages_refuse_anonymous_visitors(client, contact):
    ticket = make_ticket(contact)
    for url in (reverse("portal:tickets"), reverse("portal:new_ticket"),
                reverse("portal:ticket", args=[ticket.pk])):
        response = client.get(url)
        assert response.status_code == 403
        assert b"control panel" in response.content


def test_staff_user_without_contact_is_not_a_customer(client):
    client.force_login(make_staff())
    assert client.get(reverse("portal:tickets")).status_code == 403


def test_home_redirects_to_the_list(customer):
    response = customer.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:tickets")


def test_new_ticket_page_renders_the_form(customer):
    make_category("Billing")
    response = customer.get(reverse("portal:new_ticket"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("subject", "body", "priority", "category", "attachments"):
        assert f'name="{name}"' in html
    # One account: nothing to choose.
    assert 'name="account"' not in html
    assert 'for="id_subject"' in html
    assert "/static/extdesk/app.css" in html


def test_filing_a_ticket_with_an_attachment(customer, contact):
    category = make_category("Billing")
    response = customer.post(reverse("portal:new_ticket"), {
        "subject": "Invoice is wrong", "body": "Line 3 is twice.", "priority": "3",
        "category": str(category.pk),
        "attachments": [upload("invoice.pdf", b"%PDF-1.4 x", "application/pdf")],
    })
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:ticket", args=[ticket.pk])
    assert (ticket.subject, ticket.priority, ticket.category, ticket.contact) == (
        "Invoice is wrong", 3, category, contact)
    assert ticket.account.name == "acme"
    assert ticket.status == Status.NEW
    attachment = Attachment.objects.get()
    assert attachment.original_name == "invoice.pdf"
    assert attachment.size == 10
    assert attachment.file.read() == b"%PDF-1.4 x"
    page = customer.get(response["Location"])
    assert b"Line 3 is twice." in page.content
    assert b"invoice.pdf" in page.content


def test_validation_errors_keep_what_was_typed(customer):
    response = customer.post(reverse("portal:new_ticket"), {
        "subject": "", "body": "Everything I typed so far", "priority": "9",
    })
    assert response.status_code == 400
    assert Ticket.objects.count() == 0
    html = response.content.decode()
    assert "Everything I typed so far" in html
    form = response.context["form"]
    assert "subject" in form.errors
    assert "priority" in form.errors
    assert 'id="id_subject_error"' in html


def test_attachment_limits_are_enforced(customer, settings):
    settings.EXTDESK_ATTACHMENT_MAX_BYTES = 20
    settings.EXTDESK_ATTACHMENT_MAX_COUNT = 2
    too_big = customer.post(reverse("portal:new_ticket"), {
        "subject": "s", "body": "b", "priority": "2", "attachments": [upload("big.bin", b"x" * 21)],
    })
    assert too_big.status_code == 400
    assert "big.bin" in str(too_big.context["form"].errors["attachments"])
    too_many = customer.post(reverse("portal:new_ticket"), {
        "subject": "s", "body": "b", "priority": "2",
        "attachments": [upload("a.txt"), upload("b.txt"), upload("c.txt")],
    })
    assert too_many.status_code == 400
    assert "at most 2" in str(too_many.context["form"].errors["attachments"])
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_several_accounts_means_choosing_one_of_them(client):
    contact = make_contact("alpha", "beta")
    make_contact("gamma")
    client.force_login(contact.user)
    page = client.get(reverse("portal:new_ticket"))
    html = page.content.decode()
    assert 'name="account"' in html and "alpha" in html and "beta" in html and "gamma" not in html
    missing = client.post(reverse("portal:new_ticket"), {"subject": "s", "body": "b", "priority": "2"})
    assert missing.status_code == 400 and "account" in missing.context["form"].errors
    foreign = Account.objects.get(name="gamma")
    refused = client.post(reverse("portal:new_ticket"),
                          {"subject": "s", "body": "b", "priority": "2", "account": str(foreign.pk)})
    assert refused.status_code == 400 and "account" in refused.context["form"].errors
    beta = Account.objects.get(name="beta")
    ok = client.post(reverse("portal:new_ticket"),
                     {"subject": "s", "body": "b", "priority": "2", "account": str(beta.pk)})
    assert ok.status_code == 302
    assert Ticket.objects.get().account == beta


def test_list_shows_own_and_account_tickets_only(customer, contact):
    colleague = make_contact("acme")
    stranger = make_contact("other")
    mine = make_ticket(contact, subject="Mine")
    theirs = make_ticket(colleague, subject="Colleague's")
    hidden = make_ticket(stranger, subject="Stranger's")
    response = customer.get(reverse("portal:tickets"))
    shown = [t.pk for t in response.context["page"].object_list]
    assert set(shown) == {mine.pk, theirs.pk}
    assert hidden.subject.encode() not in response.content


def test_list_filters_and_searches(customer, contact):
    first = make_ticket(contact, subject="Website slow")
    second = make_ticket(contact, subject="DNS question")
    services.update_properties(second, actor=make_staff(), status=Status.RESOLVED)
    open_page = customer.get(reverse("portal:tickets"))
    assert [t.pk for t in open_page.context["page"].object_list] == [first.pk]
    closed = customer.get(reverse("portal:tickets"), {"state": "closed"})
    assert [t.pk for t in closed.context["page"].object_list] == [second.pk]
    everything = customer.get(reverse("portal:tickets"), {"state": "all"})
    assert [t.pk for t in everything.context["page"].object_list] == [second.pk, first.pk]
    by_subject = customer.get(reverse("portal:tickets"), {"state": "all", "q": "dns"})
    assert [t.pk for t in by_subject.context["page"].object_list] == [second.pk]
    by_number = customer.get(reverse("portal:tickets"), {"state": "all", "q": f"#{first.pk}"})
    assert [t.pk for t in by_number.context["page"].object_list] == [first.pk]
    nonsense = customer.get(reverse("portal:tickets"), {"state": "bogus", "page": "-4"})
    assert nonsense.status_code == 200


def test_list_paginates_newest_activity_first(customer, contact):
    tickets = [make_ticket(contact, subject=f"T{i}") for i in range(30)]
    services.reply(tickets[0], author=contact, body="bump")
    page1 = customer.get(reverse("portal:tickets"))
    rows = list(page1.context["page"].object_list)
    assert len(rows) == 25 and rows[0].pk == tickets[0].pk and rows[1].pk == tickets[-1].pk
    page2 = customer.get(reverse("portal:tickets"), {"page": "2"})
    assert len(page2.context["page"].object_list) == 5
    assert b'rel="prev"' in page2.content


def test_ticket_view_hides_internal_notes(customer, contact):
    ticket = make_ticket(contact)
    staff = make_staff()
    services.reply(ticket, author=staff, body="SECRET NOTE about this customer",
                   attachments=[upload("internal.txt")], internal=True)
    services.reply(ticket, author=staff, body="We are on it.")
    response = customer.get(reverse("portal:ticket", args=[ticket.pk]))
    assert response.status_code == 200
    assert b"We are on it." in response.content
    assert b"SECRET NOTE" not in response.content
    assert b"internal.txt" not in response.content


def test_reply_with_attachment(customer, contact):
    ticket = make_ticket(contact)
    services.update_properties(ticket, actor=make_staff(), status=Status.WAITING)
    response = customer.post(reverse("portal:ticket", args=[ticket.pk]),
                             {"body": "Here are the logs", "attachments": [upload("log.txt", b"line")]})
    assert response.status_code == 302
    message = Message.objects.filter(ticket=ticket).order_by("-id").first()
    assert message.body == "Here are the logs" and message.author_contact == contact
    assert message.attachments.get().original_name == "log.txt"
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_empty_reply_is_refused_next_to_the_field(customer, contact):
    ticket = make_ticket(contact)
    response = customer.post(reverse("portal:ticket", args=[ticket.pk]), {"body": "   "})
    assert response.status_code == 400
    assert "body" in response.context["form"].errors
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_close_and_reopen(customer, contact):
    ticket = make_ticket(contact)
    response = customer.post(reverse("portal:close", args=[ticket.pk]))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    page = customer.get(reverse("portal:ticket", args=[ticket.pk]))
    assert b"Reopen ticket" in page.content and b'name="body"' not in page.content
    refused = customer.post(reverse("portal:ticket", args=[ticket.pk]), {"body": "late"})
    assert refused.status_code == 400
    customer.post(reverse("portal:reopen", args=[ticket.pk]))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    kinds = list(ticket.events.values_list("kind", "new_value"))
    assert (EventKind.STATUS, "Closed") in kinds and (EventKind.STATUS, "Open") in kinds
    assert customer.get(reverse("portal:close", args=[ticket.pk])).status_code == 405


def test_sign_out(customer):
    response = customer.post(reverse("portal:sign_out"))
    assert response.status_code == 200
    assert customer.get(reverse("portal:tickets")).status_code == 403


def test_oversized_upload_is_refused_before_reading(customer, contact, settings):
    settings.EXTDESK_ATTACHMENT_MAX_BYTES = 1000
    settings.EXTDESK_ATTACHMENT_MAX_COUNT = 1
    big = upload("huge.bin", b"x" * (1024 * 1024 + 2000))
    response = customer.post(reverse("portal:new_ticket"),
                             {"subject": "s", "body": "b", "priority": "2", "attachments": [big]})
    assert response.status_code == 413
    assert b"at most 1000 bytes each" in response.content
    ticket = make_ticket(contact)
    big.seek(0)
    reply = customer.post(reverse("portal:ticket", args=[ticket.pk]), {"body": "b", "attachments": [big]})
    assert reply.status_code == 413
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1


def _described_by_targets(html: str) -> dict[str, list[str]]:
    """Per element with aria-describedby: the ids it names that the page does not hold."""
    from lxml import html as lxml_html

    tree = lxml_html.fromstring(html)
    ids = set(tree.xpath("//@id"))
    return {element.get("name") or element.get("id"): [ref for ref in element.get("aria-describedby").split()
                                                       if ref not in ids]
            for element in tree.xpath("//*[@aria-describedby]")}


def test_field_errors_are_what_aria_describedby_points_to(customer, contact):
    response = customer.post(reverse("portal:new_ticket"), {"subject": "", "body": "", "priority": "9"})
    assert response.status_code == 400
    html = response.content.decode()
    missing = _described_by_targets(html)
    assert {"subject", "body", "priority"} <= missing.keys()
    assert all(refs == [] for refs in missing.values()), missing
    # The input names its own error list, which holds the message.
    assert 'aria-describedby="id_subject_error"' in html
    assert '<ul class="field-errors" id="id_subject_error">' in html

    ticket = make_ticket(contact)
    reply = customer.post(reverse("portal:ticket", args=[ticket.pk]), {"body": "   "}).content.decode()
    assert _described_by_targets(reply).get("body") == []
    assert '<ul class="field-errors" id="id_body_error">' in reply


# The paperclip the staff desk shows beside attachments: one icon throughout the UI, drawn
# inline (no emoji, which Debian's chromium without an emoji font shows as an empty box).
PAPERCLIP = ('<svg class="icon" aria-hidden="true" viewBox="0 0 24 24" width="14" height="14">'
             '<path d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l9.2-9.2a3.7 3.7 0 0 1 5.2 5.2l-9.2 9.2a1.8 '
             '1.8 0 0 1-2.6-2.6l8.5-8.5" fill="none" stroke="currentColor" stroke-width="2" '
             'stroke-linecap="round" stroke-linejoin="round"/></svg>')


def test_attachments_show_the_desks_svg_paperclip_and_no_emoji(customer, contact):
    ticket = make_ticket(contact)
    services.reply(ticket, author=make_staff(), body="See the file.", attachments=[upload("fix.txt")])
    pages = [reverse("portal:ticket", args=[ticket.pk]), reverse("portal:tickets"),
             reverse("portal:new_ticket")]
    for url in pages:
        html = customer.get(url).content.decode()
        assert not [c for c in html if ord(c) > 0xFFFF], url  # emoji live beyond the BMP
    detail = customer.get(pages[0]).content.decode()
    assert f'{PAPERCLIP} <span class="attachment-name">fix.txt' in detail
    assert detail.count("<svg") == 1


def test_list_rows_show_each_ticket_as_the_template_tags_would(customer, contact):
    """The rows are built in Python (portal_ui.ticket_rows): same links, badges, escaping and dates."""
    from django.template import engines

    billing = make_category("Billing & <Co>")
    ticket = make_ticket(contact, subject="<b>Mail</b> & more", category=billing, priority=4)
    plain = make_ticket(contact, subject="No category")
    html = customer.get(reverse("portal:tickets")).content.decode()
    expected = engines["django"].from_string(
        "{% load extdesk_ui portal_ui %}"
        '<a href="{% url "portal:ticket" t.pk %}">{{ t.subject }}</a>'
        '|<div class="muted small">{{ t.category }}</div>'
        "|<td>{% customer_status_badge t.status %}</td>|<td>{% priority_badge t.priority %}</td>"
        '|<td>{{ t.account|default:"—" }}</td>'
        '|<time datetime="{{ t.last_activity_at|date:"c" }}">'
        '{{ t.last_activity_at|date:"M j, Y H:i" }}</time>'
    ).render({"t": ticket})
    for fragment in expected.split("|"):
        assert fragment in html
    assert "&lt;b&gt;Mail&lt;/b&gt; &amp; more" in html and "<b>Mail" not in html
    row = html[html.index(f"#{plain.pk}<"):].split("</tr>")[0]
    assert 'class="muted small"' not in row  # no category line
