"""Summaries of a benchmark result: headline figures, ratios to peers, targets, tables."""

import json
from pathlib import Path

from archive.benchmark.queries import all_queries
from archive.benchmark.suggest import all_prefixes

FACETED = "faceted_highlighted/first"
HTTP_PHASES = (
    "faceted_search",
    "faceted_search_varied",
    "article_page_first_view",
    "article_page",
    "faceted_search_unsaturated",
    "faceted_search_while_editing",
)


def _get(data: dict | None, *keys, default=None):
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def _ratio(numerator, denominator) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)


def headline(entry: dict) -> dict:
    """The figures of one size that the tables show."""
    ours, peers = entry.get("ours", {}), entry.get("peers", {})
    by_class = _get(ours, "search", "latency", f"{FACETED} by class", default={}) or {}
    row = {
        "articles": _get(entry, "corpus", "articles"),
        "synthetic": _get(entry, "corpus", "synthetic"),
        "import_docs_s": _get(ours, "import", "docs_per_s"),
        "import_mb_s": _get(ours, "import", "mb_per_s"),
        "import_peak_mb": _get(ours, "import", "peak_rss_mb"),
        "index_docs_s": _get(ours, "index", "docs_per_s"),
        "index_mb_s": _get(ours, "index", "mb_per_s"),
        "index_peak_mb": _get(ours, "index", "peak_rss_mb"),
        "index_size_mb": _get(ours, "index", "index_mb"),
        "index_replicas_s": _get(ours, "index", "replicas_seconds"),
        "jvm_rss_mb": " / ".join(
            f"{mb:,.0f}" for mb in (_get(ours, "cluster_rss_mb", default={}) or {}).values()
        )
        or None,
        "import_plus_index_s": _get(ours, "import_plus_index_seconds"),
        "import_cpu_s": _get(ours, "import", "cpu_seconds"),
        "index_cpu_s": _get(ours, "index", "cpu_seconds"),
        "plain_p95_ms": _get(ours, "search", "latency", "plain/first", "p95_ms"),
        "faceted_p50_ms": _get(ours, "search", "latency", FACETED, "p50_ms"),
        "faceted_p95_ms": _get(ours, "search", "latency", FACETED, "p95_ms"),
        "faceted_p99_ms": _get(ours, "search", "latency", FACETED, "p99_ms"),
        "faceted_cached_p95_ms": _get(ours, "search", "latency", f"{FACETED} cached", "p95_ms"),
        "faceted_deep_p95_ms": _get(
            ours, "search", "latency", "faceted_highlighted/deep", "p95_ms"
        ),
        "worst_class_p95_ms": max((v["p95_ms"] for v in by_class.values()), default=None),
        "search_peak_mb": _get(ours, "search", "peak_rss_mb"),
        "suggest_p50_ms": _get(ours, "suggest", "latency", "cold", "p50_ms"),
        "suggest_p95_ms": _get(ours, "suggest", "latency", "cold", "p95_ms"),
        "suggest_build_s": _get(ours, "suggest", "tables_build_s"),
        "export_csv_s": _get(ours, "export", "queries", "年", "formats", "csv", "seconds"),
        "export_csv_rows": _get(ours, "export", "queries", "年", "formats", "csv", "lines"),
        "concordance_cold_s": _get(ours, "concordance", "queries", "经济", "cold_s"),
        "concordance_lines": _get(ours, "concordance", "queries", "经济", "lines"),
        "search_errors": _get(ours, "search", "error_count"),
        "http_search_rps": _get(ours, "http", "faceted_search", "requests_per_s"),
        "http_search_p95_ms": _get(ours, "http", "faceted_search", "p95_ms"),
        "http_varied_rps": _get(ours, "http", "faceted_search_varied", "requests_per_s"),
        "http_varied_p95_ms": _get(ours, "http", "faceted_search_varied", "p95_ms"),
        "http_unsaturated_rps": _get(ours, "http", "faceted_search_unsaturated", "requests_per_s"),
        "http_unsaturated_p50_ms": _get(ours, "http", "faceted_search_unsaturated", "p50_ms"),
        "http_unsaturated_p95_ms": _get(ours, "http", "faceted_search_unsaturated", "p95_ms"),
        "http_editing_rps": _get(ours, "http", "faceted_search_while_editing", "requests_per_s"),
        "http_editing_p50_ms": _get(ours, "http", "faceted_search_while_editing", "p50_ms"),
        "http_editing_p95_ms": _get(ours, "http", "faceted_search_while_editing", "p95_ms"),
        "http_article_rps": _get(ours, "http", "article_page", "requests_per_s"),
        "http_article_first_rps": _get(ours, "http", "article_page_first_view", "requests_per_s"),
        "http_errors": (
            sum(_get(ours, "http", phase, "errors") or 0 for phase in HTTP_PHASES)
            if _get(ours, "http", "faceted_search")
            else None
        ),
        "startup_first_search_s": _get(ours, "http", "startup", "seconds_to_first_search"),
        "gunicorn_peak_mb": _get(ours, "http", "gunicorn_peak_rss_mb"),
    }
    for peer in ("fts5", "tantivy"):
        row[f"{peer}_build_docs_s"] = _get(peers, peer, "build_docs_per_s")
        row[f"{peer}_faceted_p95_ms"] = _get(peers, peer, "latency", FACETED, "p95_ms")
        row[f"{peer}_plain_p95_ms"] = _get(peers, peer, "latency", "plain/first", "p95_ms")
        row[f"{peer}_index_mb"] = _get(peers, peer, "index_mb")
        # "ours is N times faster" (>1) or slower (<1) than the peer.
        row[f"vs_{peer}_faceted_p95"] = _ratio(row[f"{peer}_faceted_p95_ms"], row["faceted_p95_ms"])
        row[f"vs_{peer}_build"] = _ratio(row["index_docs_s"], row[f"{peer}_build_docs_s"])
    return row


def _target_size(sizes: dict, wanted: int) -> str | None:
    keys = [k for k in sizes if sizes[k].get("ours")]
    return min(keys, key=lambda k: abs(int(k) - wanted)) if keys else None


def targets(report: dict) -> list[dict]:
    """Each target of issue 7 with the measured figure and whether it is met."""
    rows: list[dict] = []
    heads = report.get("headline", {})
    main = _target_size(report.get("sizes", {}), 61_301)
    large = max((k for k in heads if int(k) >= 200_000), key=int, default=None)
    h = heads.get(main, {}) if main else {}
    stock_build = _get(report, "stock", "build_docs_per_s")
    stock_p95 = _get(report, "stock", "latency", FACETED, "p95_ms")

    def add(name: str, value, limit: str, ok: bool | None) -> None:
        rows.append({"target": name, "measured": value, "limit": limit, "met": ok})

    def cmp(value, fn) -> bool | None:
        return None if value is None else bool(fn(value))

    add(
        f"faceted+highlighted p95, worst query class @{main}",
        h.get("worst_class_p95_ms"),
        "<= 100 ms",
        cmp(h.get("worst_class_p95_ms"), lambda v: v <= 100),
    )
    add(
        f"faceted p95 vs SQLite FTS5 @{main}",
        h.get("vs_fts5_faceted_p95"),
        ">= 1.0x (not slower)",
        cmp(h.get("vs_fts5_faceted_p95"), lambda v: v >= 1),
    )
    if large:
        hl = heads[large]
        add(
            f"faceted p95, worst class @{large}",
            hl.get("worst_class_p95_ms"),
            "<= 300 ms",
            cmp(hl.get("worst_class_p95_ms"), lambda v: v <= 300),
        )
    add(
        f"HTTP faceted searches/s @{main}",
        h.get("http_search_rps"),
        ">= 50/s",
        cmp(h.get("http_search_rps"), lambda v: v >= 50),
    )
    add(
        f"HTTP faceted searches/s, varied (cache misses) @{main}",
        h.get("http_varied_rps"),
        ">= 50/s",
        cmp(h.get("http_varied_rps"), lambda v: v >= 50),
    )
    add(
        f"HTTP article pages/s, viewed before @{main}",
        h.get("http_article_rps"),
        ">= 500/s",
        cmp(h.get("http_article_rps"), lambda v: v >= 500),
    )
    add(
        f"suggestions p95 @{main}",
        h.get("suggest_p95_ms"),
        "<= 20 ms",
        cmp(h.get("suggest_p95_ms"), lambda v: v <= 20),
    )
    add("HTTP errors", h.get("http_errors"), "0", cmp(h.get("http_errors"), lambda v: v == 0))
    ratio = _ratio(h.get("index_docs_s"), stock_build)
    add("index build vs stock haystack+Whoosh+jieba", ratio, ">= 3x", cmp(ratio, lambda v: v >= 3))
    add(
        f"import + index @{main}",
        h.get("import_plus_index_s"),
        "< 600 s",
        cmp(h.get("import_plus_index_s"), lambda v: v < 600),
    )
    peak = max(
        (
            v
            for v in (
                h.get("import_peak_mb"),
                h.get("index_peak_mb"),
                h.get("search_peak_mb"),
                h.get("gunicorn_peak_mb"),
            )
            if v
        ),
        default=None,
    )
    add("peak memory (largest process)", peak, "< 2048 MB", cmp(peak, lambda v: v < 2048))
    add(
        "start-up to first search",
        h.get("startup_first_search_s"),
        "< 2 s",
        cmp(h.get("startup_first_search_s"), lambda v: v < 2),
    )
    add(
        "faceted p95 vs stock (stock on a capped subset)",
        _ratio(stock_p95, h.get("faceted_p95_ms")),
        "(context)",
        None,
    )
    return rows


def add_summary(report: dict) -> None:
    """Add ``headline`` per size and ``targets`` to a result in place."""
    report["headline"] = {size: headline(entry) for size, entry in report.get("sizes", {}).items()}
    jieba_mb_s = _get(report, "segmentation", "jieba_mb_s")
    for row in report["headline"].values():
        # Our whole build (all languages) against raw jieba on Chinese text, one core.
        row["index_vs_raw_jieba"] = _ratio(row.get("index_mb_s"), jieba_mb_s)
    report["targets"] = targets(report)


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


HEADLINE_ROWS = [
    ("articles", "articles"),
    ("import articles/s", "import_docs_s"),
    ("import MB/s", "import_mb_s"),
    ("index build articles/s", "index_docs_s"),
    ("index build MB/s", "index_mb_s"),
    ("index build MB/s ÷ raw jieba MB/s (one core)", "index_vs_raw_jieba"),
    ("import + index, s", "import_plus_index_s"),
    (
        "  CPU seconds import / index (less sensitive to machine load)",
        ("import_cpu_s", "index_cpu_s"),
    ),
    ("peak RSS import / index, MB", ("import_peak_mb", "index_peak_mb")),
    ("index size, MB", "index_size_mb"),
    ("  replicas copied after the build, s (cluster)", "index_replicas_s"),
    ("search plain p95, ms", "plain_p95_ms"),
    (
        "search faceted+highlighted p50 / p95 / p99, ms",
        ("faceted_p50_ms", "faceted_p95_ms", "faceted_p99_ms"),
    ),
    ("  same, deep page p95, ms", "faceted_deep_p95_ms"),
    ("  same, repeated (result cache) p95, ms", "faceted_cached_p95_ms"),
    ("  worst query class p95, ms", "worst_class_p95_ms"),
    (
        f"search() calls that raised (of {len(all_queries())} queries x 4 modes x 2 pages)",
        "search_errors",
    ),
    (
        f"suggestions as one types p50 / p95, ms (cold, {len(all_prefixes())} prefixes)",
        ("suggest_p50_ms", "suggest_p95_ms"),
    ),
    ("  their tables, built once per index generation, s", "suggest_build_s"),
    ("export of 年 as CSV, s (lines)", ("export_csv_s", "export_csv_rows")),
    ("concordance of 经济, cold, s (lines)", ("concordance_cold_s", "concordance_lines")),
    ("HTTP faceted searches/s (p95 ms)", ("http_search_rps", "http_search_p95_ms")),
    ("HTTP searches/s, query x year x sort (p95 ms)", ("http_varied_rps", "http_varied_p95_ms")),
    (
        "  same (years as date ranges), one client per worker: /s, p50 / p95 ms",
        ("http_unsaturated_rps", "http_unsaturated_p50_ms", "http_unsaturated_p95_ms"),
    ),
    (
        "  same, an article edited every 2 s meanwhile: /s, p50 / p95 ms",
        ("http_editing_rps", "http_editing_p50_ms", "http_editing_p95_ms"),
    ),
    ("HTTP article pages/s, viewed before (cached)", "http_article_rps"),
    ("HTTP article pages/s, first views", "http_article_first_rps"),
    ("HTTP errors", "http_errors"),
    ("start-up to first search, s", "startup_first_search_s"),
    ("JVM RSS per node, MB (cluster)", "jvm_rss_mb"),
    ("FTS5 build docs/s", "fts5_build_docs_s"),
    ("FTS5 faceted+highlighted p95, ms", "fts5_faceted_p95_ms"),
    ("Tantivy build docs/s", "tantivy_build_docs_s"),
    ("Tantivy faceted+highlighted p95, ms", "tantivy_faceted_p95_ms"),
    ("ours vs FTS5: p95 / build (x, >1 = ours faster)", ("vs_fts5_faceted_p95", "vs_fts5_build")),
    ("ours vs Tantivy: p95 / build", ("vs_tantivy_faceted_p95", "vs_tantivy_build")),
]


def _cell(row: dict, key) -> str:
    if isinstance(key, tuple):
        return " / ".join(_fmt(row.get(k)) for k in key)
    return _fmt(row.get(key))


def markdown(report: dict) -> str:
    """The dated baseline table (README and baselines/*.md)."""
    heads = report.get("headline", {})
    sizes = list(heads)
    lines = [f"# Benchmark baseline {report['meta']['date']}", ""]
    m = report["meta"]
    lines.append(
        f"Machine: {m['machine']['cpus']} CPUs, {m['machine']['platform']}, Python "
        f"{m['machine']['python']}; repeats per query/mode/page: {m['repeats']}; "
        f"total run {m.get('total_seconds', 0):,.0f} s; load average at start "
        f"{m.get('load_average_start')}, at end {m.get('load_average_end')}."
    )
    lines += ["", "| figure | " + " | ".join(f"{int(s):,}" for s in sizes) + " |"]
    lines.append("|---|" + "---|" * len(sizes))
    for label, key in HEADLINE_ROWS:
        lines.append(f"| {label} | " + " | ".join(_cell(heads[s], key) for s in sizes) + " |")
    seg = report.get("segmentation", {})
    if seg and "jieba_mb_s" in seg:
        lines += [
            "",
            f"Raw segmentation on {seg.get('mb')} MB of the same Chinese text, one core: jieba "
            f"{seg.get('jieba_mb_s')} MB/s, rjieba {seg.get('rjieba_mb_s')} MB/s "
            f"({seg.get('rjieba_speedup')}x).",
        ]
    stock = report.get("stock") or {}
    if stock.get("build_docs_per_s"):
        lines += [
            "",
            f"Stock haystack + Whoosh + jieba ChineseAnalyzer on {stock.get('docs')} articles: "
            f"rebuild_index {stock.get('build_docs_per_s')} articles/s; faceted+highlighted p95 "
            f"{_get(stock, 'latency', FACETED, 'p95_ms')} ms, plain p95 "
            f"{_get(stock, 'latency', 'plain/first', 'p95_ms')} ms. {stock.get('note', '')}",
        ]
    elif stock:
        lines += ["", f"Stock stack: {stock.get('error', 'not measured')}"]
    lines += [
        "",
        "## Targets (issue 7)",
        "",
        "| target | measured | limit | met |",
        "|---|---|---|---|",
    ]
    for t in report.get("targets", []):
        lines.append(f"| {t['target']} | {_fmt(t['measured'])} | {t['limit']} | {_fmt(t['met'])} |")
    errors = [
        f"- {size}: {entry['ours']['error']}"
        for size, entry in report.get("sizes", {}).items()
        if entry.get("ours", {}).get("error")
    ]
    if errors:
        lines += ["", "## Steps that did not run", "", *errors]
    notes = report.get("notes") or []
    if notes:
        lines += ["", "## Notes", "", *[f"- {note}" for note in notes]]
    return "\n".join(lines) + "\n"


def text_table(report: dict) -> str:
    """The printed table: the markdown table is readable as plain text."""
    return markdown(report)


def write(report: dict, *, out: Path) -> Path:
    """Write the JSON (and the .md table beside it); returns the JSON path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    return out
