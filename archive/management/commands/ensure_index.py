"""Build the search index if it is missing, else bring it up to date."""

from django.core.management.base import BaseCommand

from archive.search.indexer import ensure_index


class Command(BaseCommand):
    help = "Build the search index if missing or unreadable; otherwise apply queued changes (rebuild on drift)."

    def handle(self, *args, **options):
        outcome = ensure_index(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"search index: {outcome}"))
