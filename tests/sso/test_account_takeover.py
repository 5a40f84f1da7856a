"""A customer's one-time login never reaches anybody else's account (issue 10, item 3).

A staff account named like a contact's login (``contact-<platform id>``),
made before such names were reserved, must stay its owner's: the contact's
login gets a user of its own, the staff account keeps its e-mail, its desk
and its mail, and the customer gets neither the admin nor staff mail.
Real requests through Django's test client on the real database.
"""

from __future__ import annotations

import ipaddress

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from extdesk.contacts.models import Contact
from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.staff import desk_users, is_desk_user
from extdesk.sso import services as sso
from tests.helpdesk.factories import STAFF_PASSWORD, make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db

LOOPBACK = ipaddress.ip_address("127.0.0.1")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The staff account signs in with a password; the real hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _login_link(contact: Contact, act: str = "list") -> str:
    return reverse("sso:landing", args=[sso.issue_token(contact, LOOPBACK, act)])


def _squatting_superuser(contact: Contact):
    """A superuser that happens to carry the contact's login name, as older versions allowed."""
    return make_staff(f"contact-{contact.platform_id}", email="root@example.com",
                      is_superuser=True)


def test_login_does_not_adopt_a_staff_account_with_the_contacts_name(client):
    contact = make_contact("acme", email="customer@example.com", with_user=False)
    root = _squatting_superuser(contact)

    response = client.get(_login_link(contact), REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.user_id is not None and contact.user_id != root.pk
    assert client.session["_auth_user_id"] == str(contact.user_id)
    customer = contact.user
    assert (customer.is_staff, customer.is_superuser, customer.has_usable_password()) == (False, False, False)
    assert customer.email == "customer@example.com"
    assert customer.get_username().startswith(f"contact-{contact.platform_id}-")
    root.refresh_from_db()
    assert root.email == "root@example.com"
    assert is_desk_user(root) and not is_desk_user(customer)
    # The customer's session opens neither the admin nor the desk.
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/helpdesk/category/").status_code == 302
    assert client.get(reverse("desk:queue")).status_code == 302
    assert client.get(reverse("portal:tickets")).status_code == 200


def test_the_staff_account_keeps_its_desk_admin_and_mail(client, django_capture_on_commit_callbacks):
    contact = make_contact("acme", email="customer@example.com", with_user=False)
    root = _squatting_superuser(contact)
    client.get(_login_link(contact), REMOTE_ADDR="127.0.0.1")
    client.logout()

    # Another customer's new ticket and reply go to staff, never to this contact.
    other = make_contact("other", email="other@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(other, subject="Private matter", body="Our secret text")
        services.reply(ticket, author=other, body="More secret text")
    assert [sorted(message.to) for message in mail.outbox] == [["root@example.com"]] * 2

    # A second login of the contact lands on its own user again and changes nothing of root's.
    client.get(_login_link(contact), REMOTE_ADDR="127.0.0.1")
    contact.refresh_from_db()
    assert client.session["_auth_user_id"] == str(contact.user_id) != str(root.pk)
    root.refresh_from_db()
    assert root.email == "root@example.com"
    client.logout()

    signed_in = client.post(reverse("desk:login"), {"username": root.get_username(),
                                                    "password": STAFF_PASSWORD})
    assert signed_in.status_code == 302
    assert client.get(reverse("desk:queue")).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_customer_user_given_staff_rights_by_mistake_gets_no_admin_and_no_staff_mail(
        client, django_capture_on_commit_callbacks):
    agent = make_staff("agent", email="agent@example.com")
    contact = make_contact("acme", email="customer@example.com")
    get_user_model().objects.filter(pk=contact.user_id).update(is_staff=True, is_superuser=True)
    contact.user.refresh_from_db()

    client.force_login(contact.user)
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/auth/user/").status_code == 302
    assert client.get(reverse("desk:queue")).status_code == 302

    assert list(desk_users()) == [agent]
    assert selectors.staff_members() == [agent]
    other = make_contact("other", email="other@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(other, subject="Private matter")
    assert [message.to for message in mail.outbox] == [["agent@example.com"]]
    with pytest.raises(ValidationError):
        services.update_properties(ticket, actor=agent, assignee=contact.user)


def test_an_assignee_who_is_a_customer_login_gets_no_staff_mail(django_capture_on_commit_callbacks):
    make_staff("agent", email="agent@example.com")
    contact = make_contact("acme", email="customer@example.com")
    other = make_contact("other", email="other@example.com")
    ticket = make_ticket(other)
    # Assigned while it was a plain staff account; linked to a contact since.
    get_user_model().objects.filter(pk=contact.user_id).update(is_staff=True)
    type(ticket).objects.filter(pk=ticket.pk).update(assignee=contact.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(ticket, author=other, body="Secret reply")
    assert [message.to for message in mail.outbox] == [["agent@example.com"]]


def test_the_login_refuses_a_contact_linked_to_a_staff_account(client):
    """An install taken over before the fix: the contact's link points at a staff account."""
    contact = make_contact("acme", with_user=False)
    root = _squatting_superuser(contact)
    Contact.objects.filter(pk=contact.pk).update(user=root)

    response = client.get(_login_link(contact), REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    root.refresh_from_db()
    assert root.email == "root@example.com"


def test_first_logins_of_two_contacts_never_share_a_user(client):
    first = make_contact("acme", with_user=False)
    second = make_contact("acme", with_user=False)
    for contact in (first, second, first):
        assert client.get(_login_link(contact), REMOTE_ADDR="127.0.0.1").status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.user_id != second.user_id
    assert first.user.get_username() == f"contact-{first.platform_id}"
    assert get_user_model().objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_migration_links_only_users_the_login_made():
    """Existing installs: unlinked login users are linked back; staff accounts never."""
    User = get_user_model()
    call_command("migrate", "contacts", "0002", verbosity=0)
    # Contacts as that schema had them: today's model names columns added since.
    old_state = MigrationExecutor(connection).loader.project_state(
        ("contacts", "0002_drop_redundant_membership_index"))
    old_contact = old_state.apps.get_model("contacts", "Contact")
    now = timezone.now()
    try:
        plain, squatted, admin_only, taken, linked, other_case, elsewhere = (
            old_contact.objects.create(platform_id=900 + number, email=f"person{number}@example.com",
                                       created_at=now, updated_at=now)
            for number in range(7))
        plain_user = User.objects.create_user(f"contact-{plain.platform_id}")
        staff_user = User.objects.create_user(f"contact-{squatted.platform_id}", is_staff=True)
        super_user = User.objects.create_user(f"contact-{admin_only.platform_id}", is_superuser=True)
        # Named after ``taken`` but already the login of another contact.
        taken_user = User.objects.create_user(f"contact-{taken.platform_id}")
        Contact.objects.filter(pk=elsewhere.pk).update(user=taken_user)
        own_user = User.objects.create_user("someone-else")
        Contact.objects.filter(pk=linked.pk).update(user=own_user)
        User.objects.create_user(f"CONTACT-{other_case.platform_id}")
        User.objects.create_user(f"contact-{linked.platform_id}")
    finally:
        # Every app: going back to contacts 0002 also unapplied what depends on it since
        # (sso, mail), and the tests after this one need the whole schema.
        call_command("migrate", verbosity=0)

    links = dict(Contact.objects.values_list("pk", "user_id"))
    assert links[plain.pk] == plain_user.pk
    assert links[squatted.pk] is None and links[admin_only.pk] is None
    assert links[taken.pk] is None and links[elsewhere.pk] == taken_user.pk
    assert links[linked.pk] == own_user.pk
    assert links[other_case.pk] is None
    assert not Contact.objects.filter(user__in=[staff_user, super_user]).exists()
