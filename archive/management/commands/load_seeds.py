"""Load article files (HTML with front matter, plain text …) into the archive.

An article's key is its path inside the folder loaded (`file:<path>`). Symbolic links
inside a folder are not followed. A reload never deletes an article whose file is gone;
it lists them.
"""

from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from tqdm import tqdm

from archive.ingest.files import articles_with_missing_files, iter_files, load_file
from archive.ingest.store import FAILED, STATUSES, StoreResult, ensure_topics
from archive.management.base import IngestCommand


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
            ensure_topics()
        files = list(iter_files(paths))
        counts: Counter[str] = Counter()
        progress = tqdm(files, unit="file", disable=len(files) <= 5 or options["verbosity"] < 1)
        for found in progress:
            path = found.path
            if found.problem:
                result = StoreResult(FAILED, None, found.problem)
            else:
                result = load_file(
                    path=path, key=found.key, in_folder=found.in_folder, dry_run=dry_run
                )
            counts[result.status] += 1
            if result.status == FAILED:
                self.say(f"FAILED {path}: {result.detail}")
            elif options["verbosity"] >= 2 or result.status == "duplicate" or dry_run:
                detail = f" ({result.detail})" if result.detail else ""
                self.say(f"{result.status} {path}{detail}")
        prefix = "Dry run, would be: " if dry_run else ""
        summary = ", ".join(f"{status} {counts[status]}" for status in STATUSES)
        self.stdout.write(f"{prefix}{summary} ({len(files)} files)")
        self._report_missing([p for p in paths if p.is_dir()])
        self.finish_index(no_index=no_index, dry_run=dry_run, verbosity=options["verbosity"])
        if counts[FAILED]:
            raise CommandError(f"{counts[FAILED]} file(s) failed", returncode=2)

    def _report_missing(self, folders: list[Path]) -> None:
        gone = articles_with_missing_files(folders)
        if not gone:
            return
        self.stdout.write(
            f"Kept {len(gone)} article(s) whose file is no longer in the folder "
            "(a reload never deletes; delete them in the admin if they should go):"
        )
        for pk, name in gone[:20]:
            self.stdout.write(f"  missing file {name} (article {pk})")
        if len(gone) > 20:
            self.stdout.write(f"  … and {len(gone) - 20} more")
