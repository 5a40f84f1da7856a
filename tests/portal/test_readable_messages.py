"""Messages on the ticket pages: escaped and readable, image attachments as server-drawn thumbnails."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Attachment, Ticket
from tests.helpdesk.factories import make_contact, make_staff, make_ticket, upload
from tests.helpdesk.test_thumbnails import SECRET, jpeg_turned, png_bomb, png_with_metadata

pytestmark = pytest.mark.django_db

HOSTILE = ('<script>alert(1)</script> see http://x.example/"onmouseover="alert(1) and '
           "javascript:alert(2)\n```\n<img src=x onerror=alert(3)>\n```\n    indented <b>log</b>")


@pytest.fixture
def world():
    ann, eve = make_contact("acme"), make_contact("evil")
    staff = make_staff(password=None)
    ticket = make_ticket(ann, subject="Screenshots", body=HOSTILE, attachments=[
        upload("screen.jpg", jpeg_turned(), "image/jpeg"),
        # Content decides: an image under a text name is an image, a "png" of text is not.
        upload("diagram.txt", png_with_metadata(), "text/plain"),
        upload("fake.png", b"just words, not pixels", "image/png"),
        upload("bomb.png", png_bomb(), "image/png"),
    ])
    services.reply(ticket, author=staff, body="Note with http://internal.example/", internal=True,
                   attachments=[upload("internal.png", png_with_metadata(), "image/png")])
    return {"ann": ann, "eve": eve, "staff": staff, "ticket": ticket}


def _file(ticket: Ticket, name: str) -> Attachment:
    return Attachment.objects.get(message__ticket=ticket, original_name=name)


def _thumb(client, file: Attachment):
    return client.get(reverse("portal:thumbnail", args=[file.pk]))


def test_a_hostile_message_is_escaped_on_the_portal_and_the_desk(client, world):
    ticket = world["ticket"]
    for user, url in ((world["ann"].user, reverse("portal:ticket", args=[ticket.pk])),
                      (world["staff"], reverse("desk:ticket", args=[ticket.pk]))):
        client.force_login(user)
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(3)&gt;" in html
        assert '<a href="http://x.example/" rel="nofollow noopener">http://x.example/</a>' in html
        assert 'href="javascript' not in html
        assert '<pre class="message-code"><code>&lt;img' in html
        assert '<pre class="message-code"><code>    indented &lt;b&gt;log&lt;/b&gt;</code></pre>' in html


def test_staff_see_notes_rendered_the_same_way(client, world):
    client.force_login(world["staff"])
    html = client.get(reverse("desk:ticket", args=[world["ticket"].pk])).content.decode()
    assert '<a href="http://internal.example/" rel="nofollow noopener">' in html


def test_images_show_as_thumbnails_linking_to_the_download(client, world):
    ticket = world["ticket"]
    client.force_login(world["ann"].user)
    html = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    for name in ("screen.jpg", "diagram.txt"):
        file = _file(ticket, name)
        assert f'src="{reverse("portal:thumbnail", args=[file.pk])}"' in html
        assert f'href="{reverse("portal:attachment", args=[file.pk, name])}" download>' in html
    assert 'width="160" height="320"' in html  # the turned JPEG, upright
    for name in ("fake.png", "bomb.png"):
        file = _file(ticket, name)
        assert reverse("portal:thumbnail", args=[file.pk]) not in html
        # Refused: the download link stays.
        assert f'href="{reverse("portal:attachment", args=[file.pk, name])}" download>' in html
    assert "internal.png" not in html


def test_a_thumbnail_is_served_reencoded_and_private(client, world):
    client.force_login(world["ann"].user)
    for name, content_type in (("screen.jpg", "image/jpeg"), ("diagram.txt", "image/png")):
        response = _thumb(client, _file(world["ticket"], name))
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"].startswith("private")
        assert "Content-Disposition" not in response or "attachment" not in response["Content-Disposition"]
        body = b"".join(response.streaming_content)
        assert SECRET not in body
        with Image.open(io.BytesIO(body)) as image:
            assert max(image.size) <= 320


def test_refused_and_non_images_have_no_thumbnail(client, world):
    client.force_login(world["ann"].user)
    for name in ("fake.png", "bomb.png"):
        assert _thumb(client, _file(world["ticket"], name)).status_code == 404
        # The file itself still downloads.
        file = _file(world["ticket"], name)
        assert client.get(reverse("portal:attachment", args=[file.pk, name])).status_code == 200


def test_thumbnails_follow_the_download_rules(client, world):
    ticket = world["ticket"]
    image, note_image = _file(ticket, "screen.jpg"), _file(ticket, "internal.png")
    # Anyone not signed in: what the download answers, never the picture.
    download = client.get(reverse("portal:attachment", args=[image.pk, "screen.jpg"])).status_code
    assert download in (403, 404)
    assert _thumb(client, image).status_code == download
    # Another company's contact: 404, as for a ticket that does not exist.
    client.force_login(world["eve"].user)
    assert _thumb(client, image).status_code == 404
    assert client.get(reverse("portal:thumbnail", args=[999_999])).status_code == 404
    # The ticket's contact: not the staff's note.
    client.force_login(world["ann"].user)
    assert _thumb(client, note_image).status_code == 404
    # Staff: both.
    client.force_login(world["staff"])
    assert _thumb(client, image).status_code == 200
    assert _thumb(client, note_image).status_code == 200


def test_thumbnails_are_drawn_once(client, world):
    client.force_login(world["ann"].user)
    file = _file(world["ticket"], "screen.jpg")
    assert _thumb(client, file).status_code == 200
    cached = Path(settings.DATA_DIR) / "thumbnails" / (file.file.name + ".jpg")
    first = cached.stat().st_mtime_ns
    client.get(reverse("portal:ticket", args=[world["ticket"].pk]))
    assert _thumb(client, file).status_code == 200
    assert cached.stat().st_mtime_ns == first
    # A refusal is remembered too, so a broken file is not decoded on every page.
    bomb = _file(world["ticket"], "bomb.png")
    _thumb(client, bomb)
    assert (Path(settings.DATA_DIR) / "thumbnails" / (bomb.file.name + ".refused")).exists()


def test_an_attachment_missing_from_disk_has_no_thumbnail(client, world):
    file = _file(world["ticket"], "screen.jpg")
    Path(file.file.path).unlink()
    client.force_login(world["ann"].user)
    assert client.get(reverse("portal:ticket", args=[world["ticket"].pk])).status_code == 200
    assert _thumb(client, file).status_code == 404
