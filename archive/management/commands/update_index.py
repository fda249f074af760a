"""Rewrite every article's document in the live index (replaces haystack's)."""

from django.core.management.base import BaseCommand

from archive.search.indexer import drain_or_leave_queued, update_all


class Command(BaseCommand):
    help = "Re-index every article in place and remove documents of deleted articles."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="Articles per commit.")
        parser.add_argument(
            "--remove",
            action="store_true",
            help="Accepted for compatibility; stale documents are always removed.",
        )

    def handle(self, *args, **options):
        written, removed = update_all(stdout=self.stdout, batch=options["batch_size"])
        drain_or_leave_queued(stdout=self.stdout, stderr=self.stderr)
        self.stdout.write(
            self.style.SUCCESS(f"search index updated: {written} written, {removed} removed")
        )
