import time

from django.core.management.base import BaseCommand

from extdesk.search.services import rebuild_index


class Command(BaseCommand):
    help = ("Index every ticket's subject and messages anew for full-text search (after a bulk load "
            "that went around the database's triggers). Searches and writes wait until it is done.")

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        rebuild_index()
        self.stdout.write(f"search index rebuilt in {time.monotonic() - started:.1f} s")
