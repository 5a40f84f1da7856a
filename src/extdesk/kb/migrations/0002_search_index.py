"""The articles' full-text index: its tables and triggers (extdesk.kb.index_schema), the articles
already there indexed."""

from django.db import migrations

from extdesk.kb import index_schema


def _run(statements_by_vendor):
    def run(apps, schema_editor) -> None:
        with schema_editor.connection.cursor() as cursor:
            for statement in statements_by_vendor.get(schema_editor.connection.vendor, ()):
                cursor.execute(statement)

    return run


CREATE = {"sqlite": index_schema.SQLITE_CREATE, "postgresql": index_schema.PG_CREATE}
DROP = {"sqlite": index_schema.SQLITE_DROP, "postgresql": index_schema.PG_DROP}


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0001_initial"),
        # extdesk_search_vector() and the extdesk_search configuration.
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]
