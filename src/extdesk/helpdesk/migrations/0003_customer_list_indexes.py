"""The customer's ticket list: one index per branch of its union (account, own tickets).

Each is read backwards in list order (newest activity first) a page at a time,
and holds the status (and, for the contact's, the account) so that the list's
filter and its count are answered inside the index. They replace the
(contact, activity) and (account, activity) indexes, whose order lacked the id.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0001_initial"),
        ("helpdesk", "0002_queue_search_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="ticket", name="ticket_contact_activity"),
        migrations.RemoveIndex(model_name="ticket", name="ticket_account_activity"),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["contact", "last_activity_at", "id", "account", "status"],
                               name="ticket_contact_list"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["account", "last_activity_at", "id", "status"], name="ticket_account_list"),
        ),
    ]
