"""Suggestion latency: ``suggestions.suggest()`` in-process over a fixed list of prefixes.

Runs in a worker subprocess on the benchmark's index. The per-generation tables
are built once first (timed on its own: a worker's first keystroke after the
index changes pays it); then every prefix is timed cold, with the answer cache
emptied before each call, as a reader typing something new is.
"""

import time

from archive.benchmark.stats import summarize_ms

# What readers type on the way to the benchmark's queries (archive.benchmark.queries).
PREFIXES: dict[str, list[str]] = {
    "zh_hans": ["稀", "经", "发展", "习近", "新能源", "高质", "乡村", "人工", "一带", "生态"],
    "zh_hant": ["臺", "臺灣", "衛生", "經濟", "疫", "醫療"],
    "en": ["econ", "hous", "oil", "clim", "inter", "publ", "tra", "governm", "rat"],
    "pinyin": ["xit", "bao", "jingj", "fazh", "xij", "zhongg", "xinn", "neim"],
}
LIMIT = 8


def all_prefixes() -> list[tuple[str, str]]:
    """(class, prefix) pairs in a stable order."""
    return [(cls, prefix) for cls, prefixes in PREFIXES.items() for prefix in prefixes]


def measure_suggest(*, repeats: int) -> dict:
    """p50/p95/p99 over every prefix (cold), per class, and what each prefix got."""
    from archive.search import suggestions

    start = time.perf_counter()
    tables = suggestions.tables(wait=True)
    build_s = time.perf_counter() - start
    timings: list[float] = []
    by_class: dict[str, list[float]] = {}
    answers: dict[str, list[str]] = {}
    for _ in range(max(1, repeats)):
        for cls, prefix in all_prefixes():
            tables.clear_cache()
            start = time.perf_counter()
            found = suggestions.suggest(prefix, limit=LIMIT)
            elapsed = time.perf_counter() - start
            timings.append(elapsed)
            by_class.setdefault(cls, []).append(elapsed)
            answers[prefix] = [f"{item.kind}:{item.text}" for item in found]
    return {
        "prefixes": len(all_prefixes()),
        "limit": LIMIT,
        "tables_build_s": round(build_s, 3),
        "table_sizes": {
            "words": len(tables.words),
            "pinyin_readings": len(tables.pinyin),
            "titles": len(tables.titles.ids),
            "topics": len(tables.topics.items),
            "sources": len(tables.sources.items),
        },
        "latency": {
            "cold": summarize_ms(timings),
            "cold by class": {cls: summarize_ms(values) for cls, values in by_class.items()},
        },
        "empty": sorted(prefix for prefix, found in answers.items() if not found),
        "answers": answers,
    }
