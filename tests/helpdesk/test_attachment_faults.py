"""A failed upload leaves no row and no file: failures after the files were written, and the sweep."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Attachment, Category, Message, Ticket
from extdesk.helpdesk.services import sweep_orphans
from tests.helpdesk.factories import make_category, make_contact, make_ticket, upload

MIB = 1024 * 1024


def stored_files() -> set[str]:
    root = Path(settings.DATA_DIR) / "attachments"
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def three_files() -> list:
    # The last is big enough to be written in several chunks.
    return [upload("a.txt", b"a" * 1000), upload("b.txt", b"b" * 1000), upload("c.bin", b"c" * (3 * MIB))]


@pytest.mark.django_db(transaction=True)
def test_a_database_error_at_commit_after_the_files_were_written_removes_them():
    contact = make_contact("acme")
    before = stored_files()
    # An admin deletes the category while the customer's form is open: the foreign key is
    # checked when the transaction commits, after all three files were written.
    category = make_category("Billing")
    Category.objects.filter(pk=category.pk).delete()
    with pytest.raises(IntegrityError):
        make_ticket(contact, category=category, attachments=three_files())
    assert Ticket.objects.count() == Message.objects.count() == Attachment.objects.count() == 0
    assert stored_files() == before


@pytest.mark.django_db(transaction=True)
def test_a_failure_on_the_third_of_three_files_removes_the_first_two_and_the_partial_third():
    contact = make_contact("acme")
    ticket = make_ticket(contact, attachments=[upload("kept.txt")])
    before = stored_files()
    assert Attachment.objects.get().file.name in before
    files = three_files()
    # The third upload cannot be read any more (its temporary file went away, as when the
    # client's upload was cut): the storage has already created the file when reading fails.
    files[2].file.close()
    with pytest.raises(ValueError, match="closed file"):
        services.reply(ticket, author=contact, body="three files", attachments=files)
    assert stored_files() == before
    assert not Message.objects.filter(body="three files").exists()
    assert Attachment.objects.count() == 1


@pytest.mark.django_db
def test_a_content_type_too_long_for_its_column_is_stored_as_octet_stream():
    contact = make_contact("acme")
    kind = "application/" + "x" * 100
    ticket = make_ticket(contact, attachments=[upload("long.bin", b"data", kind)])
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert attachment.content_type == "application/octet-stream"
    assert attachment.file.name in stored_files()


def _age(name: str, seconds: float) -> None:
    path = Path(settings.DATA_DIR) / "attachments" / name
    past = time.time() - seconds
    os.utime(path, (past, past))


def _orphan(name: str, seconds_old: float) -> str:
    path = Path(settings.DATA_DIR) / "attachments" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"left by a crash")
    _age(name, seconds_old)
    return name


@pytest.mark.django_db
def test_sweep_deletes_old_files_without_a_row_and_nothing_else():
    contact = make_contact("acme")
    ticket = make_ticket(contact, attachments=[upload("kept.txt")])
    kept = Attachment.objects.get(message__ticket=ticket).file.name
    _age(kept, 7200)
    old = _orphan("2020/01/" + "0" * 32, 7200)
    young = _orphan("2020/01/" + "1" * 32, 60)

    assert sweep_orphans(timedelta(hours=1), dry_run=True) == [old]
    assert {kept, old, young} <= stored_files()
    call_command("sweep_attachments")
    remaining = stored_files()
    assert old not in remaining and {kept, young} <= remaining
    assert sweep_orphans(timedelta(hours=1)) == []
    assert Attachment.objects.get(message__ticket=ticket).file.read() == b"hello file"


def test_sweep_refuses_an_age_that_could_catch_uploads_in_progress():
    with pytest.raises(CommandError, match="--older-than 1: must be at least 5 minutes"):
        call_command("sweep_attachments", "--older-than", "1")
