"""PostgreSQL's article index, second version: documents in their rows, beside who may read them
(extdesk.kb.index_schema)."""

from django.db import migrations

from extdesk.kb import index_schema


def _run(statements):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0005_article_search_filter_index"),
    ]

    operations = [
        migrations.RunPython(_run(index_schema.PG_READY_FOR_COMMON_WORDS),
                             _run(index_schema.PG_BACK_TO_THE_FIRST_INDEX)),
    ]
