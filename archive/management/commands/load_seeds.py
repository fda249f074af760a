"""Load article files (HTML with front matter, plain text …) into the archive."""

from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from tqdm import tqdm

from archive.ingest.files import iter_files, load_file
from archive.ingest.store import FAILED, STATUSES
from archive.management.base import IngestCommand
from archive.topics import ensure_taxonomy


class Command(IngestCommand):
    help = "Load article files or folders (default: seeds/). Shape and encoding are detected from content."

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", type=Path, help="Files or folders (default: seeds/)."
        )
        super().add_arguments(parser)

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
        self.finish_index(no_index=no_index, dry_run=dry_run)
        if counts[FAILED]:
            raise CommandError(f"{counts[FAILED]} file(s) failed", returncode=2)
