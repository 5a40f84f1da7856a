"""Drop the membership table's index on contact_id alone.

The unique (contact_id, account_id) index starts with contact_id and serves
every lookup by contact (and the cascade from Contact) just as well; the
second index only cost each membership row of a push one more B-tree
insert. The table is Django's automatic many-to-many table, whose index
names carry a hash, so the index is found by its columns.
"""

from django.db import migrations

_TABLE = "contacts_contact_accounts"


def _contact_only_indexes(schema_editor) -> list[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, _TABLE)
    return [name for name, about in constraints.items()
            if about["index"] and not about["unique"] and not about["primary_key"]
            and about["columns"] == ["contact_id"]]


def drop(apps, schema_editor) -> None:
    for name in _contact_only_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def restore(apps, schema_editor) -> None:
    if not _contact_only_indexes(schema_editor):
        schema_editor.execute(
            f"CREATE INDEX {schema_editor.quote_name(_TABLE + '_contact_id_only')} "
            f"ON {schema_editor.quote_name(_TABLE)} (contact_id)")


class Migration(migrations.Migration):

    dependencies = [("contacts", "0001_initial")]

    operations = [migrations.RunPython(drop, restore)]
