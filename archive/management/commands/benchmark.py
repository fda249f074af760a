"""``manage.py benchmark``: ingest, index and search figures for our stack and its peers."""

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from archive.benchmark.corpus import CORPUS_SIZE
from archive.benchmark.report import text_table, write
from archive.benchmark.runner import BenchConfig, run_benchmark


def _databases(values: list[str]) -> dict[int, Path]:
    databases = {}
    for value in values:
        size, sep, path = value.partition("=")
        if not sep or not size.isdigit() or not Path(path).is_file():
            raise CommandError(f"--reuse-database {value!r}: expected SIZE=PATH of a database")
        databases[int(size)] = Path(path)
    return databases


def _sizes(value: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(f"--sizes takes numbers separated by commas, not {value!r}") from exc
    if not sizes or min(sizes) < 1:
        raise CommandError("--sizes needs at least one positive number")
    return sizes


class Command(BaseCommand):
    help = (
        "Measure import, index build, search (in-process and over HTTP with gunicorn) and the "
        "peers (stock haystack+Whoosh+jieba, SQLite FTS5, Tantivy) on the corpus, in a scratch "
        "area that never touches the live database or index. Prints a table and writes JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--corpus",
            default=str(settings.BASE_DIR.parent / "shared" / "corpus"),
            help="Folder of *.jsonl.gz article files (default ../shared/corpus); "
            "synthetic articles are generated when it is missing.",
        )
        parser.add_argument(
            "--sizes",
            default=f"10000,{CORPUS_SIZE}",
            help="Article counts to measure, comma-separated (a size above the corpus "
            "repeats it under new ids; e.g. 10000,61301,250000).",
        )
        parser.add_argument(
            "--out",
            help="JSON output path (a .md table is written beside it); default "
            "archive/benchmark/baselines/<today>.json",
        )
        parser.add_argument(
            "--scratch",
            default=str(settings.BASE_DIR / "var" / "bench"),
            help="Scratch folder for the benchmark's own databases and indexes.",
        )
        parser.add_argument(
            "--repeats", type=int, default=3, help="Timed runs per query, mode and page."
        )
        parser.add_argument(
            "--stock-docs", type=int, default=2000, help="Articles for the slow stock stack."
        )
        parser.add_argument(
            "--http-seconds", type=float, default=20.0, help="Seconds per HTTP load phase."
        )
        parser.add_argument("--concurrency", type=int, default=8, help="Concurrent HTTP clients.")
        parser.add_argument("--no-peers", action="store_true", help="Skip FTS5 and Tantivy.")
        parser.add_argument(
            "--no-stock", action="store_true", help="Skip the stock haystack stack."
        )
        parser.add_argument("--no-http", action="store_true", help="Skip the gunicorn load test.")
        parser.add_argument(
            "--engine",
            choices=["whoosh", "opensearch"],
            default="whoosh",
            help="The search engine of our pipeline; opensearch uses the local cluster "
            "(make opensearch-up) and skips the peers and the stock stack.",
        )
        parser.add_argument(
            "--reuse-database",
            action="append",
            default=[],
            metavar="SIZE=PATH",
            help="Copy the SQLite database an earlier run imported for SIZE articles instead "
            "of importing (for another engine on the same articles); repeatable.",
        )
        parser.add_argument(
            "--quick",
            action="store_true",
            help="A small run: 1,000 articles, 1 repeat, 300 stock articles, 3 s HTTP phases.",
        )

    def handle(self, *args, **options):
        quick = options["quick"]
        corpus_dir = Path(options["corpus"]) if options["corpus"] else None
        cfg = BenchConfig(
            base_dir=Path(settings.BASE_DIR),
            corpus_dir=corpus_dir,
            scratch=Path(options["scratch"]),
            sizes=[1000]
            if quick and options["sizes"] == f"10000,{CORPUS_SIZE}"
            else _sizes(options["sizes"]),
            repeats=1 if quick else max(1, options["repeats"]),
            stock_docs=min(options["stock_docs"], 300) if quick else options["stock_docs"],
            http_seconds=3.0 if quick else options["http_seconds"],
            http_concurrency=max(1, options["concurrency"]),
            segment_seconds=3.0 if quick else 20.0,
            peers=not options["no_peers"] and options["engine"] == "whoosh",
            stock=not options["no_stock"] and options["engine"] == "whoosh",
            http=not options["no_http"],
            engine=options["engine"],
            databases=_databases(options["reuse_database"]),
            log=lambda msg: self.stdout.write(msg),
        )
        if corpus_dir is None or not corpus_dir.is_dir():
            self.stdout.write(
                self.style.WARNING(f"No corpus at {corpus_dir}: using synthetic articles.")
            )
        out = Path(
            options["out"]
            or settings.BASE_DIR
            / "archive"
            / "benchmark"
            / "baselines"
            / f"{datetime.now(UTC):%Y-%m-%d}.json"
        )
        cfg.checkpoint = lambda partial: write(partial, out=out)
        report = run_benchmark(cfg)
        write(report, out=out)
        self.stdout.write(text_table(report))
        self.stdout.write(self.style.SUCCESS(f"Wrote {out} and {out.with_suffix('.md')}"))
