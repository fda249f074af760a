"""What the two loading commands share: options, output beside tqdm, the final index sync."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from archive.ingest.stories import update_stories
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

    def finish_index(self, *, no_index: bool, dry_run: bool, verbosity: int = 1) -> None:
        """File new articles under their stories, then leave the search index matching the
        database, unless told to leave it to the indexer."""
        if not dry_run:
            self.find_stories(quiet=verbosity < 1)
        if no_index or dry_run:
            self.stdout.write("Index: left to the running indexer (--no-index).")
            return
        drain_or_leave_queued(stdout=self.stdout, stderr=self.stderr)

    def find_stories(self, *, quiet: bool) -> None:
        """Story versions among the articles just loaded (``archive.ingest.stories``)."""
        bars: dict[str, tqdm] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in bars:
                bars[step] = tqdm(total=total, desc=f"stories: {step}", disable=quiet)
            bars[step].n = done
            bars[step].refresh()

        signed, versions = update_stories(progress)
        for bar in bars.values():
            bar.close()
        if signed:
            self.stdout.write(f"Stories: {signed} articles compared, {versions} versions found.")
