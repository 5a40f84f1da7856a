"""Indexes for the staff queue: its sorts, and (PostgreSQL) subject search.

Django's ``icontains`` is ``UPPER(subject) LIKE UPPER('%text%')`` on
PostgreSQL: a pg_trgm GIN index on that expression answers it without reading
every ticket. SQLite has no such index; there the migration adds only the
sort indexes.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

SUBJECT_TRIGRAMS = "ticket_subject_trgm"


def _on_postgresql(sql: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["priority", "last_activity_at", "id"], name="ticket_priority_activity"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["created_at", "id"], name="ticket_created"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["updated_at", "id"], name="ticket_updated"),
        ),
        TrigramExtension(),
        migrations.RunPython(
            _on_postgresql(f"CREATE INDEX IF NOT EXISTS {SUBJECT_TRIGRAMS} ON helpdesk_ticket "
                           "USING gin (UPPER(subject) gin_trgm_ops)"),
            _on_postgresql(f"DROP INDEX IF EXISTS {SUBJECT_TRIGRAMS}"),
        ),
    ]
