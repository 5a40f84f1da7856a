"""The index migration goes back and forth, indexing the articles already there."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from extdesk.kb import selectors
from extdesk.kb.selectors import Reader

from .factories import make_article


@pytest.mark.django_db(transaction=True)
def test_the_index_migration_unapplies_and_reindexes(agent, kb_category):
    make_article(agent, kb_category, "Nameservers", "Point them at ns1.example.net.")
    call_command("migrate", "kb", "0001", verbosity=0)
    call_command("migrate", "kb", verbosity=0)
    hits = selectors.search(Reader(), selectors.text_query("nameservers"))
    assert [hit.article.title for hit in hits] == ["Nameservers"]
