"""Build a complete new index beside the live one and swap it in (replaces haystack's)."""

from django.core.management.base import BaseCommand

from archive.search.indexer import drain_or_leave_queued, rebuild


class Command(BaseCommand):
    help = "Rebuild the search index into a new directory and swap it in when complete."

    def add_arguments(self, parser):
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_true",
            help="Accepted for compatibility; never asks.",
        )
        parser.add_argument(
            "--procs",
            type=int,
            default=None,
            help="Writer processes (default: 2 for large archives).",
        )
        parser.add_argument(
            "--limitmb", type=int, default=256, help="Memory per writer process, in MB."
        )

    def handle(self, *args, **options):
        count = rebuild(stdout=self.stdout, procs=options["procs"], limitmb=options["limitmb"])
        drain_or_leave_queued(stdout=self.stdout, stderr=self.stderr)
        self.stdout.write(self.style.SUCCESS(f"search index rebuilt: {count} articles"))
