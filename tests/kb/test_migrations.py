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


def _out_of_line_values() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltoastrelid::regclass::text FROM pg_class "
                       "WHERE relname = 'kb_article_document'")
        (toast_table,) = cursor.fetchone()
        cursor.execute(f"SELECT count(DISTINCT chunk_id) FROM {toast_table}")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_postgresql_keeps_an_articles_search_document_in_its_row(agent, kb_category):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("TOAST is PostgreSQL's")
    # 400 different words: a tsvector of several KiB, which PostgreSQL would move out of line.
    body = " ".join(f"word{number}x" for number in range(400))
    call_command("migrate", "kb", "0005", verbosity=0)
    make_article(agent, kb_category, "Long one", body)
    assert _out_of_line_values() == 1
    call_command("migrate", "kb", verbosity=0)
    assert _out_of_line_values() == 0
    make_article(agent, kb_category, "Another long one", body)
    assert _out_of_line_values() == 0
    hits = selectors.search(Reader(), selectors.text_query("word399x"))
    assert sorted(hit.article.title for hit in hits) == ["Another long one", "Long one"]
