"""What the two loading commands share: options, output beside tqdm, the final index sync."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from archive.search.indexer import drain_or_leave_queued


class IngestCommand(BaseCommand):
    """Base of ``load_seeds`` and ``import_articles``."""

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )
        parser.add_argument(
            "--no-index",
            action="store_true",
            help="Do not update the search index at the end; the running indexer drains the queue.",
        )

    def say(self, message: str) -> None:
        """One line of output that does not break the progress bar."""
        with tqdm.external_write_mode():
            self.stdout.write(message)

    def finish_index(self, *, no_index: bool, dry_run: bool) -> None:
        """Leave the search index matching the database, unless told to leave it to the indexer."""
        if no_index or dry_run:
            self.stdout.write("Index: left to the running indexer (--no-index).")
            return
        drain_or_leave_queued(stdout=self.stdout, stderr=self.stderr)
