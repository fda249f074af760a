"""Worker subprocess: ``python -m archive.benchmark.worker TASK --out FILE [...]``.

Started by the runner with ``ARCHIVE_VAR_DIR`` pointing at a scratch area, so
Django here reads and writes only the benchmark's own database and index.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from archive.benchmark.stats import tree_peak_rss_mb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="archive.benchmark.worker")
    parser.add_argument(
        "task",
        choices=["search", "suggest", "export", "concordance", "stock", "urls", "segment", "edit"],
    )
    parser.add_argument("--out", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--records", nargs="*", default=[], help="JSON Lines files (stock, segment)"
    )
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between edits (edit)")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    import django

    django.setup()
    result: dict
    if args.task == "search":
        from archive.benchmark.ours import measure_search

        result = measure_search(repeats=args.repeats)
    elif args.task == "suggest":
        from archive.benchmark.suggest import measure_suggest

        result = measure_suggest(repeats=args.repeats)
    elif args.task == "export":
        from archive.benchmark.export import measure_export

        result = measure_export(repeats=args.repeats)
    elif args.task == "concordance":
        from archive.benchmark.concordance import measure_concordance

        result = measure_concordance(repeats=args.repeats)
    elif args.task == "stock":
        from django.conf import settings

        from archive.benchmark.corpus import read_records
        from archive.benchmark.stock import run_stock

        records = []
        for record in read_records([Path(p) for p in args.records]):
            if args.limit and len(records) >= args.limit:
                break
            records.append(record)
        result = run_stock(
            records=records, index_dir=str(settings.ARCHIVE_INDEX_DIR), repeats=args.repeats
        )
    elif args.task == "segment":
        from archive.benchmark.corpus import is_chinese, read_records
        from archive.benchmark.segment import throughput

        texts = [
            f"{r.get('title') or ''}\n{r.get('body') or ''}"
            for r in read_records([Path(p) for p in args.records])
            if is_chinese(r)
        ]
        result = throughput(texts=texts, max_seconds=args.seconds)
    elif args.task == "edit":
        from archive.benchmark.editing import edit_titles

        result = edit_titles(seconds=args.seconds, every=args.every)
    else:
        from archive.benchmark.web import resolve_urls

        result = resolve_urls(limit=args.limit or 200)
    result["worker_peak_rss_mb"] = round(tree_peak_rss_mb(os.getpid()), 1)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
