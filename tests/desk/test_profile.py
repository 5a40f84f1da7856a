"""The agent's profile: the display name customers see, the signature, the staff mail they want, and
createstaff --name."""

from __future__ import annotations

import io
import re
import sys

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from extdesk.cli import main
from extdesk.desk.services import create_staff_user, update_staff_profile
from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.helpdesk.models import StaffProfile
from extdesk.helpdesk.staff import public_name

PROFILE = "/desk/profile/"
GOOD = "plum-Violet-41-harbour"


@pytest.mark.django_db
def test_the_profile_page_saves_name_and_signature(desk, agent):
    html = desk.get(PROFILE).content.decode()
    assert 'href="/desk/profile/"' in html and "You sign in as <strong>agent</strong>" in html
    response = desk.post(PROFILE, {"display_name": "  Alex   Agent-Smith ",
                                   "signature": "Alex\r\nSupport team   \r\n\r\n"})
    assert response.status_code == 302 and response["Location"] == reverse("desk:profile")
    profile = StaffProfile.objects.get(user=agent)
    assert (profile.display_name, profile.signature) == ("Alex Agent-Smith", "Alex\nSupport team")
    html = desk.get(PROFILE).content.decode()
    assert 'value="Alex Agent-Smith"' in html and "Your profile is saved." in html
    # The header names the agent by the new name.
    assert re.search(r'class="profile-link"[^>]*>Alex Agent-Smith</a>', desk.get("/desk/").content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("field, value, message", [
    ("display_name", "Alex\tAgent", "control characters"),
    ("display_name", "A" * 101, "Ensure this value has at most 100 characters"),
    ("signature", "Alex\x07", "control characters"),
    ("signature", "x" * 2001, "Ensure this value has at most 2000 characters"),
    ("signature", "\n".join(["line"] * 13), "12 lines"),
])
def test_bad_profiles_are_refused_next_to_the_field(desk, agent, field, value, message):
    data = {"display_name": "Alex", "signature": "", field: value}
    response = desk.post(PROFILE, data)
    assert response.status_code == 400
    html = response.content.decode()
    errors = re.search(rf'id="id_{field}_error">(.*?)</ul>', html, re.S).group(1)
    assert message in errors
    assert re.search(rf'name="{field}"[^>]*autofocus', html)
    assert not StaffProfile.objects.filter(user=agent).exists()


@pytest.mark.django_db
def test_create_staff_user_takes_a_display_name():
    user = create_staff_user("asmith", GOOD, display_name=" Alice  Smith ")
    assert user.staff_profile.display_name == "Alice Smith"
    assert public_name(user) == "Alice Smith"
    with pytest.raises(InvalidInput) as caught:
        create_staff_user("bsmith", GOOD, display_name="Bob\nSmith")
    assert "display_name" in caught.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_createstaff_name_sets_what_customers_see(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{GOOD}\n"))
    code = main(["createstaff", "asmith", "--name", "Alice Smith", "--password-stdin"])
    out, _err = capsys.readouterr()
    assert code == 0
    assert "created staff user 'asmith' (customers see 'Alice Smith')" in out
    assert StaffProfile.objects.get(user__username="asmith").display_name == "Alice Smith"


# ---------------------------------------------------------------- "Mail me about"

MAIL = ["mail_new_unassigned", "mail_replies_unassigned", "mail_mine", "mail_escalations_mine",
        "mail_escalations_unassigned"]


def _ticked(html: str) -> dict[str, bool]:
    """Each mail checkbox of the page, and whether it is ticked."""
    boxes = dict(re.findall(r'<input type="checkbox" name="(mail_\w+)"([^>]*)>', html))
    return {name: "checked" in attributes for name, attributes in boxes.items()}


@pytest.mark.django_db
def test_the_profile_page_offers_every_mail_ticked_by_default(desk, agent):
    html = desk.get(PROFILE).content.decode()
    assert "<legend>Mail me about</legend>" in html
    assert list(_ticked(html)) == MAIL and all(_ticked(html).values())
    assert "New tickets nobody is assigned to" in html and "Escalations of unassigned tickets" in html
    assert "if they do not want that mail, nobody gets it" in html


@pytest.mark.django_db
def test_the_mail_choices_are_saved_and_shown_as_saved(desk, agent):
    response = desk.post(PROFILE, {"display_name": "Alex", "signature": "",
                                   "mail_mine": "on", "mail_escalations_mine": "on"})
    assert response.status_code == 302
    profile = StaffProfile.objects.get(user=agent)
    assert {name: getattr(profile, name) for name in MAIL} == {
        "mail_new_unassigned": False, "mail_replies_unassigned": False, "mail_mine": True,
        "mail_escalations_mine": True, "mail_escalations_unassigned": False}
    html = desk.get(PROFILE).content.decode()
    assert "Your profile is saved." in html
    assert _ticked(html) == {name: getattr(profile, name) for name in MAIL}
    # Ticking them all again turns them all back on.
    desk.post(PROFILE, {"display_name": "Alex", "signature": "", **dict.fromkeys(MAIL, "on")})
    profile.refresh_from_db()
    assert all(getattr(profile, name) for name in MAIL)


@pytest.mark.django_db
def test_a_refused_profile_saves_no_mail_choice_and_shows_them_as_posted(desk, agent):
    StaffProfile.objects.create(user=agent, display_name="Alex")
    response = desk.post(PROFILE, {"display_name": "Alex\tAgent", "signature": "", "mail_mine": "on"})
    assert response.status_code == 400
    assert _ticked(response.content.decode()) == {name: name == "mail_mine" for name in MAIL}
    profile = StaffProfile.objects.get(user=agent)
    assert all(getattr(profile, name) for name in MAIL) and profile.display_name == "Alex"


@pytest.mark.django_db
def test_a_profile_post_without_the_csrf_token_is_refused(agent):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    assert browser.post(PROFILE, {"display_name": "Alex", "signature": ""}).status_code == 403
    assert not StaffProfile.objects.filter(user=agent).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("mail", [{"mail_mine": False}, {**dict.fromkeys(MAIL, True), "mail_mine": "yes"},
                                  {**dict.fromkeys(MAIL, True), "mail_everything": True}])
def test_the_service_refuses_an_incomplete_or_odd_set_of_mail_choices(agent, mail):
    with pytest.raises(InvalidInput) as caught:
        update_staff_profile(agent, display_name="Alex", signature="", mail=mail)
    assert "Choose, for each kind of mail, whether you want it." in str(caught.value.message_dict)
    assert not StaffProfile.objects.filter(user=agent).exists()


@pytest.mark.django_db
def test_saving_without_mail_choices_keeps_them(agent):
    StaffProfile.objects.create(user=agent, mail_mine=False)
    update_staff_profile(agent, display_name="Alex", signature="")
    assert StaffProfile.objects.get(user=agent).mail_mine is False


@pytest.mark.django_db
def test_a_german_agent_reads_the_mail_choices_in_german(desk, agent):
    try:
        html = desk.get(PROFILE, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    finally:
        translation.deactivate()
    assert "<legend>Mich per E-Mail benachrichtigen über</legend>" in html
    for label in ("Neue Tickets, denen niemand zugewiesen ist",
                  "Kundenantworten auf nicht zugewiesene Tickets",
                  "Neue Tickets und Antworten zu Tickets, die mir zugewiesen sind",
                  "Eskalationen (SLA-Warnungen und -Verletzungen) meiner Tickets",
                  "Eskalationen nicht zugewiesener Tickets"):
        assert label in html
    assert "Mail me about" not in html
