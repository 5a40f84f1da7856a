"""The agent's profile: the display name customers see and the signature, and createstaff --name."""

from __future__ import annotations

import io
import re
import sys

import pytest
from django.urls import reverse

from extdesk.cli import main
from extdesk.desk.services import create_staff_user
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
