"""Link each contact without a user to the login user made for it, if one is left over.

The one-time login now finds a contact's user through ``Contact.user``
alone and no longer picks up a user by its ``contact-<platform id>`` name.
A customer's user that lost its link (its contact was deleted and pushed
again) would otherwise be replaced by a new one at the next login; this
links it back once. Only users the login could have made are linked: the
exact name, no staff or superuser rights, not the login of another
contact. A staff account that carries such a name is never linked.
"""

from django.conf import settings
from django.db import migrations

_PREFIX = "contact-"
_BATCH = 1000


def link(apps, schema_editor) -> None:
    Contact = apps.get_model("contacts", "Contact")
    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    User = apps.get_model(app_label, model_name)
    linked = Contact.objects.filter(user__isnull=False).values("user_id")
    candidates = (
        User.objects.filter(username__startswith=_PREFIX, is_staff=False, is_superuser=False)
        .exclude(pk__in=linked)
        .values_list("pk", "username")
    )
    by_platform_id: dict[int, int] = {}
    for pk, username in candidates.iterator():
        # Exactly what the login wrote, "contact-" and the id in decimal (SQLite's
        # LIKE above ignores case, so the prefix is compared again here).
        if not username.startswith(_PREFIX):
            continue
        digits = username[len(_PREFIX):]
        try:
            platform_id = int(digits)
        except ValueError:
            continue
        if str(platform_id) == digits:
            by_platform_id[platform_id] = pk
    ids = list(by_platform_id)
    for start in range(0, len(ids), _BATCH):
        batch = ids[start:start + _BATCH]
        for contact_pk, platform_id in Contact.objects.filter(
                platform_id__in=batch, user__isnull=True).values_list("pk", "platform_id"):
            Contact.objects.filter(pk=contact_pk).update(user_id=by_platform_id[platform_id])


class Migration(migrations.Migration):

    dependencies = [
        ("contacts", "0002_drop_redundant_membership_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(link, migrations.RunPython.noop)]
