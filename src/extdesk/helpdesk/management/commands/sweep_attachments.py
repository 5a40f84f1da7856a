from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from extdesk.helpdesk.services import sweep_orphans

# Younger files may belong to an upload whose transaction is still running.
MIN_AGE_MINUTES = 5


class Command(BaseCommand):
    help = ("Delete attachment files that no attachment names (left by a crash between writing the file "
            "and committing its row), once they are older than --older-than minutes.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=60, metavar="MINUTES",
                            help=f"only files older than this (default 60, at least {MIN_AGE_MINUTES})")
        parser.add_argument("--dry-run", action="store_true", help="list the files, delete nothing")

    def handle(self, *args, older_than: int, dry_run: bool, **options) -> None:
        if older_than < MIN_AGE_MINUTES:
            raise CommandError(f"--older-than {older_than}: must be at least {MIN_AGE_MINUTES} minutes "
                               "(younger files may belong to an upload still in progress)")
        orphans = sweep_orphans(timedelta(minutes=older_than), dry_run=dry_run)
        for name in orphans:
            self.stdout.write(name)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"{verb} {len(orphans)} orphaned attachment file(s)")
