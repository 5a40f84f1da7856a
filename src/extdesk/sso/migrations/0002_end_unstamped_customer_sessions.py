"""End the customer sessions opened before customer sessions had limits.

Customer sessions now carry the stamps of extdesk.sso.sessions (idle
timeout, absolute cap); one opened before would still last Django's two
weeks. Such a session is deleted once here: the customer signs in again
from the platform's control panel. Staff sessions are kept. Only the
database-backed session engines are searched (the default one included).
"""

from importlib import import_module

from django.conf import settings
from django.db import migrations

_SINCE = "extdesk_customer_since"  # extdesk.sso.sessions.SINCE at the time of writing
_DATABASE_ENGINES = ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")


def end_sessions(apps, schema_editor) -> None:
    if settings.SESSION_ENGINE not in _DATABASE_ENGINES:
        return
    Session = apps.get_model("sessions", "Session")
    Contact = apps.get_model("contacts", "Contact")
    customers = {str(pk) for pk in Contact.objects.filter(user__isnull=False).values_list("user_id", flat=True)}
    if not customers:
        return
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key, data in Session.objects.values_list("session_key", "session_data").iterator():
        # decode() answers {} for data it cannot read (e.g. another SECRET_KEY): kept.
        content = store().decode(data)
        if content.get("_auth_user_id") in customers and _SINCE not in content:
            # Through the engine, so that cached_db drops its cached copy too.
            store(session_key=key).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("sso", "0001_initial"),
        ("sessions", "0001_initial"),
        ("contacts", "0003_link_customer_users"),
    ]

    operations = [migrations.RunPython(end_sessions, migrations.RunPython.noop)]
