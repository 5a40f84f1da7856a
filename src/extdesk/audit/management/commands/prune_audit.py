from django.core.management.base import BaseCommand

from extdesk.audit.services import prune


class Command(BaseCommand):
    help = ("Delete audit entries older than EXTDESK_AUDIT_RETENTION_DAYS, then the oldest "
            "beyond EXTDESK_AUDIT_MAX_ROWS.")

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"deleted {prune()} audit entries")
