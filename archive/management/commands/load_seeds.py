"""Load article files (HTML with front matter, plain text …) into the archive."""

from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from archive.ingest.files import iter_files, load_file
from archive.ingest.store import FAILED, STATUSES
from archive.topics import ensure_taxonomy


def finish_index(command: BaseCommand, *, no_index: bool, dry_run: bool) -> None:
    """Leave the search index matching the database, unless told to leave it to the indexer."""
    if no_index or dry_run:
        command.stdout.write("Index: left to the running indexer (--no-index).")
        return
    try:
        from archive.search.indexer import drain_queue
    except ImportError:
        command.stdout.write("Index: no indexer module available; queued changes stay queued.")
        return
    try:
        drain_queue(stdout=command.stdout)
    except Exception as error:  # noqa: BLE001 - the articles are stored; the queue keeps the work
        command.stderr.write(
            f"Index not updated ({type(error).__name__}: {error}); "
            "the changes stay queued for the indexer (manage.py run_indexer / ensure_index)."
        )


class Command(BaseCommand):
    help = "Load article files or folders (default: seeds/). Shape and encoding are detected from content."

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", type=Path, help="Files or folders (default: seeds/)."
        )
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

    def handle(self, *args, paths, dry_run, no_index, **options):
        paths = paths or [settings.BASE_DIR / "seeds"]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"No such file or folder: {', '.join(missing)}")
        if not dry_run:
            ensure_taxonomy()
        files = list(iter_files(paths))
        counts: Counter[str] = Counter()
        progress = tqdm(files, unit="file", disable=len(files) <= 5 or options["verbosity"] < 1)
        for path in progress:
            result = load_file(path=path, dry_run=dry_run)
            counts[result.status] += 1
            if result.status == FAILED:
                self.say(f"FAILED {path}: {result.detail}")
            elif options["verbosity"] >= 2 or result.status == "duplicate" or dry_run:
                detail = f" ({result.detail})" if result.detail else ""
                self.say(f"{result.status} {path}{detail}")
        prefix = "Dry run, would be: " if dry_run else ""
        summary = ", ".join(f"{status} {counts[status]}" for status in STATUSES)
        self.stdout.write(f"{prefix}{summary} ({len(files)} files)")
        finish_index(self, no_index=no_index, dry_run=dry_run)
        if counts[FAILED]:
            raise CommandError(f"{counts[FAILED]} file(s) failed", returncode=2)
