"""Bulk import of JSON Lines article records (plain or .gz), e.g. ../shared/corpus/."""

from pathlib import Path

from django.core.management.base import CommandError
from tqdm import tqdm

from archive.ingest.jsonl import ImportReport, import_jsonl
from archive.ingest.store import FAILED, STATUSES, ensure_topics
from archive.management.base import IngestCommand


class Command(IngestCommand):
    help = (
        "Import JSON Lines files (plain or gzip): id, title, body, date, source, lang, url, tags."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="+", type=Path, help="JSON Lines files (.jsonl or .jsonl.gz)."
        )
        super().add_arguments(parser)
        parser.add_argument("--batch-size", type=int, default=500, help="Records per transaction.")

    def handle(self, *args, files, dry_run, no_index, batch_size, **options):
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}")
        if not dry_run:
            ensure_topics()
        report = ImportReport()
        quiet = options["verbosity"] < 1
        with tqdm(unit=" rec", unit_scale=True, disable=quiet, mininterval=1.0) as progress:
            for path in files:
                progress.set_description(path.name)
                import_jsonl(
                    path=path,
                    dry_run=dry_run,
                    report=report,
                    batch_size=max(1, batch_size),
                    on_failure=self.say,
                    on_progress=progress.update,
                )
        prefix = "Dry run, would be: " if dry_run else ""
        summary = ", ".join(f"{status} {report.counts[status]}" for status in STATUSES)
        self.stdout.write(f"{prefix}{summary} ({len(files)} files)")
        self.finish_index(no_index=no_index, dry_run=dry_run, verbosity=options["verbosity"])
        if report.counts[FAILED]:
            raise CommandError(f"{report.counts[FAILED]} record(s) failed", returncode=2)
