"""The same articles on both engines: the seeds plus a few thousand corpus articles,
indexed by the embedded engine and by the cluster, and fixed queries of every kind
answered with identical article sets, facet counts and timelines (ranking may differ).
"""

import dataclasses
import datetime as dt
import gzip
import itertools
import time
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import call_command

from archive.search import service
from archive.search.backends.opensearch.client import get_client
from archive.search.documents import UNDATED
from archive.search.indexer import rebuild
from archive.search.params import SearchParams
from tests.search.backends.opensearch.support import opensearch_site

CORPUS = settings.BASE_DIR.parent / "shared" / "corpus"
SAMPLE = {  # file -> (articles, take every n-th record), spread over their years
    "cctv_xinwenlianbo.jsonl.gz": (900, 20),
    "taiwan_mohw_press.jsonl.gz": (400, 1),
    "reuters21578.jsonl.gz": (900, 20),
    "guardian_cities.jsonl.gz": (600, 38),
}
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.opensearch,
    pytest.mark.corpus,
    pytest.mark.slow,
]

QUERIES = [
    # Simplified Chinese: words, compounds, names, a phrase, several words
    "经济", "发展", "习近平", "新能源汽车", "一带一路", "中国 经济", "\"国务院 总理\"",
    "长江 保护", "人民币", "科技创新",
    # Traditional script, found in either script
    "衛生福利部", "臺灣", "醫療", "健保署", "疫苗 接種", "台湾",
    # Single characters
    "港", "疫", "稅", "龍", "的",
    # English words, inflections, phrases
    "prices", "trading", "companies", "shares", "\"trade deficit\"", "\"oil prices\"",
    "bombs kill", "rare-earth", "u.s. dollar",
    # Exclusions
    "经济 -发展", "oil -crude", "疫苗 -流感", "-的",
    # OR
    "稀土 OR 永磁", "coffee OR cocoa", "台湾 OR 香港", "wheat OR corn OR soybeans",
    # title:, source:, lang:, date: fields
    "title:经济", "title:oil", "title:\"trade surplus\"", "经济 lang:zh-hans", "疫苗 -lang:en",
    "oil date:1987", "date:2022 发展", "title:疫情 date:2021",
    # Proximity in characters and in words
    "\"经济 发展\"~5", "\"稀土 产业\"~10", "oil NEAR/3 prices", "\"interest rates\"~2",
    # Prefixes
    "econom*", "shar*", "regul*",
    # Mixed scripts and languages
    "中国 china", "包头 稀土",
]  # fmt: skip


def _write_sample(path) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for name, (count, step) in SAMPLE.items():
            with gzip.open(CORPUS / name, "rt", encoding="utf-8") as handle:
                for line in itertools.islice(handle, 0, count * step, step):
                    out.write(line)


def _answers(cases, timings: list[float]) -> dict:
    answers = {}
    for label, params in cases:
        started = time.perf_counter()
        _generation, core = service.find(params)
        timings.append(time.perf_counter() - started)
        # A page one per story, as a reader sees it (the cluster groups the versions
        # itself and sends only the page), in an order both engines share: the page
        # of the first story with several matching versions.
        stories = dataclasses.replace(params, versions="stories", sort="newest", page_size=100)
        _generation, every = service.find(stories)
        several = [n for n, pk in enumerate(every.ids.tolist()) if pk in every.other_versions]
        page_number = several[0] // 100 + 1 if several else 1
        _generation, page = service.find_page(dataclasses.replace(stories, page=page_number))
        start = (page_number - 1) * 100 - page.start
        shown = page.ids[start : start + 100].tolist()
        others = {pk: page.other_versions[pk] for pk in shown if pk in page.other_versions}
        answers[label] = (
            sorted(core.ids.tolist()),
            {name: dict(counts) for name, counts in core.counts.items()},
            dict(core.months),
            (page.total, page.articles, page.stories, shown, others),
        )
    return answers


def _cases(sources: list[str], topics: list[str], year: int) -> list[tuple[str, SearchParams]]:
    cases = [(q, SearchParams(q=q, versions="all")) for q in QUERIES]
    filtered = [
        ("source", SearchParams(q="", sources=sources[:1], versions="all")),
        ("two sources", SearchParams(q="经济", sources=sources[:2], versions="all")),
        ("topic", SearchParams(q="", topics=topics[:1], versions="all")),
        ("language", SearchParams(q="trade", languages=["en"], versions="all")),
        ("year", SearchParams(q="oil", year=1987, versions="all")),
        ("month", SearchParams(q="", year=2022, month=9, versions="all")),
        ("undated", SearchParams(q="", year=0, versions="all")),
        ("all, newest", SearchParams(q="", sort="newest", versions="all")),
        ("source and language", SearchParams(q="", sources=sources[:1], languages=["zh-Hans"], versions="all")),
        ("date range", SearchParams(q="oil", date_from=dt.date(1987, 3, 1), date_to=dt.date(1987, 3, 31), versions="all")),
        ("range and source", SearchParams(q="", sources=sources[:2], date_from=dt.date(1987, 3, 1), date_to=dt.date(2023, 6, 30), versions="all")),
        ("year and topic", SearchParams(q="", topics=topics[:1], year=year, versions="all")),
    ]  # fmt: skip
    return cases + filtered


def test_both_engines_find_the_same_articles_with_the_same_counts(tmp_path, settings):
    if not (CORPUS / "reuters21578.jsonl.gz").exists():
        pytest.skip("../shared/corpus is absent")
    sample = tmp_path / "sample.jsonl.gz"
    _write_sample(sample)
    call_command("load_seeds", "--no-index", verbosity=0)
    call_command("import_articles", str(sample), "--no-index", verbosity=0)
    started = time.monotonic()
    total = rebuild()
    embedded_build = time.monotonic() - started
    _generation, everything = service.find(SearchParams(versions="all"))
    sources = [s for s, _n in everything.counts["source"].most_common(3) if s]
    topics = [t for t, _n in everything.counts["topic"].most_common(3)]
    dated = Counter(everything.counts["date"])
    dated.pop(UNDATED, None)
    cases = _cases(sources, topics, int(dated.most_common(1)[0][0]))
    embedded_times, cluster_times = [], []
    embedded = _answers(cases, embedded_times)
    with opensearch_site(settings) as prefix:
        started = time.monotonic()
        assert rebuild() == total
        cluster_build = time.monotonic() - started
        cluster = _answers(cases, cluster_times)
        size = get_client().indices.stats(index=f"{prefix}-articles")["_all"]["primaries"]
    print(
        f"builds of {total} articles: whoosh {embedded_build:.1f}s, opensearch {cluster_build:.1f}s "
        f"(primaries {size['store']['size_in_bytes'] / 2**20:.1f} MiB)"
    )
    differing = [label for label in embedded if embedded[label] != cluster[label]]
    for label in differing:
        (a_ids, a_counts, a_months, a_page) = embedded[label]
        (b_ids, b_counts, b_months, b_page) = cluster[label]
        print(
            f"{label!r}: whoosh {len(a_ids)} opensearch {len(b_ids)}; "
            f"only whoosh {sorted(set(a_ids) - set(b_ids))[:10]}, "
            f"only opensearch {sorted(set(b_ids) - set(a_ids))[:10]}; "
            f"counts equal {a_counts == b_counts}, months equal {a_months == b_months}; "
            f"stories (total, articles, stories) {a_page[:3]} vs {b_page[:3]}, "
            f"same page {a_page[3] == b_page[3]}, other versions {a_page[4]} vs {b_page[4]}"
        )
    for engine, times in (("whoosh", embedded_times), ("opensearch", cluster_times)):
        times.sort()
        print(
            f"{engine}: search with facets and timeline, p50 {times[len(times) // 2] * 1000:.0f} ms, "
            f"p95 {times[int(len(times) * 0.95)] * 1000:.0f} ms"
        )
    matched = sum(len(embedded[label][0]) for label in embedded)
    print(
        f"parity: {len(cases)} queries on {total} articles, {matched} matches, {len(differing)} differ"
    )
    assert len(cases) >= 40
    assert not differing
    assert all(embedded[q][0] for q in ("经济", "臺灣", "港", "prices", "oil NEAR/3 prices"))
    # Filters that every count keeps (the date range) and filters some leave out.
    assert all(embedded[c][0] for c in ("date range", "range and source", "year and topic"))
    # Some queries match several versions of a story, so grouping is tested.
    assert any(other for _i, _c, _m, (_t, _a, _s, _p, other) in embedded.values())
