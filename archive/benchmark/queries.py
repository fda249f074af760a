"""The fixed query set: every class a reader types, in both scripts and English."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from archive.benchmark.stats import summarize_ms

QUERY_SET: dict[str, list[str]] = {
    "zh_common": ["经济", "发展", "习近平"],
    # Rare: 9-17 articles of the 61k corpus (the earlier 稀土/包头/钕铁硼 found none there).
    "zh_rare": ["沙尘暴", "青藏铁路", "碳纤维"],
    "zh_single_char": ["港", "疫", "稀"],
    "zh_compound": ["新能源汽车", "高质量发展", "乡村振兴"],
    "zh_phrase": ['"人工智能"', '"一带一路"', '"生态环境"'],
    "zh_traditional": ["臺灣", "衛生福利部", "經濟"],
    "en_word": ["economy", "housing", "oil"],
    "en_phrase": ['"climate change"', '"interest rates"', '"public transport"'],
}
# The query language's operators (only the archive reads them; peers skip this set).
OPERATOR_SET: dict[str, list[str]] = {
    "op_fields": ["title:经济", "housing source:the-guardian", "oil lang:en date:1987"],
    "op_proximity": ['"经济 发展"~5', '"interest rates"~3', "oil NEAR/5 prices"],
    "op_prefix": ["econom*", "hous*", "transport*"],
    "op_pinyin": ["jingji", "xi jin ping", "Xianggang"],
}

# Modes measured for every query: plain results, all four facets, highlighted
# snippets, and the reader's default page (facets + highlighting).
MODES = ("plain", "facets", "highlight", "faceted_highlighted")
DEEP_PAGE = 10  # "a deep page": results 181-200 at 20 per page
PAGE_SIZE = 20


def all_queries(*, operators: bool = True) -> list[tuple[str, str]]:
    """(class, query) pairs in a stable order; ``operators`` adds ``OPERATOR_SET``."""
    sets = {**QUERY_SET, **(OPERATOR_SET if operators else {})}
    return [(cls, q) for cls, queries in sets.items() for q in queries]


def query_terms(query: str) -> tuple[list[str], bool]:
    """A query without quotes, and whether it was a quoted phrase."""
    phrase = query.startswith('"') and query.endswith('"')
    return query.strip('"').split(), phrase


@dataclass
class QueryTimings:
    """Seconds per ``mode/page`` and per query class, hit counts, and recorded failures."""

    timings: dict[str, list[float]] = field(default_factory=dict)
    by_class: dict[str, list[float]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def latency(self) -> dict:
        """Percentile summaries, plus the reader's default page per query class."""
        summary = {key: summarize_ms(values) for key, values in self.timings.items()}
        summary["faceted_highlighted/first by class"] = {
            cls: summarize_ms(values) for cls, values in self.by_class.items()
        }
        return summary


def measure_queries(
    run_one: Callable[[str, str, int], int],
    *,
    repeats: int,
    warm_up: bool = True,
    before_each: Callable[[], None] | None = None,
    record_errors: bool = False,
    operators: bool = True,
) -> QueryTimings:
    """Time ``run_one(query, mode, page)`` over every query, mode and page.

    ``warm_up`` runs each combination once untimed; ``before_each`` runs before
    every timed call (e.g. to empty a result cache). With ``record_errors`` a
    failing combination is recorded and the run goes on; otherwise it raises.
    ``operators=False`` leaves out the operator classes (for engines that lack them).
    """
    out = QueryTimings()
    for cls, query in all_queries(operators=operators):
        for mode in MODES:
            for page_name, page in (("first", 1), ("deep", DEEP_PAGE)):
                try:
                    if warm_up:
                        run_one(query, mode, page)
                    for _ in range(repeats):
                        if before_each is not None:
                            before_each()
                        start = time.perf_counter()
                        total = run_one(query, mode, page)
                        elapsed = time.perf_counter() - start
                        out.timings.setdefault(f"{mode}/{page_name}", []).append(elapsed)
                        if mode == "faceted_highlighted" and page_name == "first":
                            out.by_class.setdefault(cls, []).append(elapsed)
                        if page == 1:
                            out.hits[query] = total
                except Exception as exc:
                    if not record_errors:
                        raise
                    message = f"{query} {mode} p{page}: {exc.__class__.__name__}: {exc}"
                    out.errors.append(message[:200])
    return out
