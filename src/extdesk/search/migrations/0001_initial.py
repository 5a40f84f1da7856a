"""The search index: its tables, functions and triggers (extdesk.search.schema), and the
tickets already there indexed in bulk."""

from django.db import migrations

from extdesk.search import schema


def _run(statements_by_vendor):
    def run(apps, schema_editor) -> None:
        statements = statements_by_vendor.get(schema_editor.connection.vendor, ())
        with schema_editor.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    return run


CREATE = {
    "sqlite": [*schema.SQLITE_REBUILD, *schema.SQLITE_TRIGGERS],
    "postgresql": [*schema.PG_SETUP, *schema.PG_FUNCTIONS, *schema.PG_TRIGGERS, *schema.PG_REBUILD],
}
DROP = {"sqlite": schema.SQLITE_DROP, "postgresql": schema.PG_DROP}


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0007_sla_clocks"),
    ]

    operations = [
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]
