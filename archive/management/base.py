"""What the two loading commands share: options, output beside tqdm, the final index sync."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from archive.search.indexer import drain_queue


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
        try:
            drain_queue(stdout=self.stdout)
        except Exception as error:  # noqa: BLE001 - the articles are stored; the queue keeps the work
            self.stderr.write(
                f"Index not updated ({type(error).__name__}: {error}); "
                "the changes stay queued for the indexer (manage.py run_indexer / ensure_index)."
            )
