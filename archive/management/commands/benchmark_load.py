"""``manage.py benchmark_load``: the site under wrk, alone and during an index update."""

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from archive.benchmark.load import PHASES, LoadConfig, LoadError, markdown, run_load, write


class Command(BaseCommand):
    help = (
        "Serve a scratch installation (seeds + the whole corpus, under var/bench/load/) with "
        "gunicorn as `make run` does, and load it with wrk on loopback: article pages, uncached "
        "searches, then both during a bulk re-tag and update_index. Reports requests/s, "
        "p50/p95/p99, non-2xx, worker timeouts, and each worker's RSS and fds before and after. "
        "Needs wrk (apt-get install wrk)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--corpus",
            default=str(settings.BASE_DIR.parent / "shared" / "corpus"),
            help="Folder of *.jsonl.gz article files imported beside the seeds "
            "(default ../shared/corpus).",
        )
        parser.add_argument(
            "--seeds-only", action="store_true", help="Only the seeds (a tiny installation)."
        )
        parser.add_argument(
            "--scratch",
            default=str(settings.BASE_DIR / "var" / "bench" / "load"),
            help="Scratch folder of the installation (default var/bench/load).",
        )
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="Reuse the installation an earlier run prepared there (same content), "
            "instead of importing and indexing again.",
        )
        parser.add_argument("--seconds", type=float, default=60.0, help="Seconds per phase.")
        parser.add_argument(
            "--connections", type=int, default=16, help="wrk connections per phase."
        )
        parser.add_argument("--threads", type=int, default=2, help="wrk threads per phase.")
        parser.add_argument(
            "--workers", type=int, default=2, help="WEB_CONCURRENCY (gunicorn workers)."
        )
        parser.add_argument(
            "--retag",
            type=int,
            default=5000,
            help="Articles given the benchmark topic during the update phase.",
        )
        parser.add_argument(
            "--phases",
            default=",".join(PHASES),
            help=f"Comma-separated, in order, from {', '.join(PHASES)}.",
        )
        parser.add_argument(
            "--drain-timeout",
            type=float,
            default=900.0,
            help="Longest wait for the update and the index queue after a phase.",
        )
        parser.add_argument(
            "--warmup",
            type=float,
            default=5.0,
            help="Seconds of unmeasured load before the first phase (0: none).",
        )
        parser.add_argument("--wrk", help="Path to wrk (default: found on PATH).")
        parser.add_argument(
            "--out",
            help="JSON output (a .md beside it); default "
            "archive/benchmark/baselines/<today>-load.json",
        )

    def handle(self, *args, **options):
        phases = tuple(p.strip() for p in options["phases"].split(",") if p.strip())
        cfg = LoadConfig(
            base_dir=Path(settings.BASE_DIR),
            corpus_dir=Path(options["corpus"]),
            scratch=Path(options["scratch"]),
            reuse=options["reuse"],
            seeds_only=options["seeds_only"],
            seconds=max(1.0, options["seconds"]),
            connections=max(1, options["connections"]),
            threads=max(1, options["threads"]),
            workers=max(1, options["workers"]),
            retag=max(0, options["retag"]),
            phases=phases,
            drain_timeout=options["drain_timeout"],
            warmup=max(0.0, options["warmup"]),
            wrk=options["wrk"],
            log=lambda msg: self.stdout.write(msg),
        )
        out = Path(
            options["out"]
            or settings.BASE_DIR
            / "archive"
            / "benchmark"
            / "baselines"
            / f"{datetime.now(UTC):%Y-%m-%d}-load.json"
        )
        try:
            report = run_load(cfg)
        except LoadError as exc:
            raise CommandError(str(exc)) from exc
        write(report, out=out)
        self.stdout.write(markdown(report))
        self.stdout.write(self.style.SUCCESS(f"Wrote {out} and {out.with_suffix('.md')}"))
