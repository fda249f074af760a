"""What every engine behind ``SearchBackend`` must do, run against each engine.

Written against the interface only (documents in, article ids out), so every
engine (``ARCHIVE_SEARCH_ENGINE``) is held to the same answers: the embedded one
always, OpenSearch (marker ``opensearch``) on the local cluster
(``make opensearch-up``; skipped without it, failing in CI).
"""

import datetime as dt

import pytest

from archive.search import locks
from archive.search.backend import SearchRequest, SearchUnavailable, get_backend
from archive.search.documents import UNDATED
from archive.search.facets import Filters
from archive.search.query import parse

pytestmark = pytest.mark.django_db
ENGINES = ["whoosh", pytest.param("opensearch", marks=pytest.mark.opensearch)]


@pytest.fixture(params=ENGINES)
def engine_name(request, settings):
    """The site on each engine in turn (OpenSearch under fresh index names)."""
    if request.param == "opensearch":
        from tests.search.backends.opensearch.support import opensearch_site

        with opensearch_site(settings):
            yield request.param
    else:
        yield request.param


def document(pk: int, title: str, body: str = "", **fields) -> dict:
    return {
        "id": pk,
        "title": title,
        "body": body,
        "source": fields.get("source", "xinhua"),
        "topics": fields.get("topics", []),
        "language": fields.get("language", "zh-Hans"),
        "year": fields.get("year", "2024"),
        "month": fields.get("month", "2024-05"),
        "pub": fields.get("pub", int(dt.datetime(2024, 5, pk, tzinfo=dt.UTC).timestamp())),
        "story": fields.get("story", pk),
    }


DOCUMENTS = [
    document(1, "包头稀土交易", "稀土价格上涨。", topics=["rare-earths"]),
    document(2, "臺灣稀土研究", "研究稀土永磁。", source="cna", language="zh-Hant", story=1),
    document(3, "Rare earth magnets", "Magnets need rare earths.", source="reuters", language="en"),
    document(4, "天气", "北京晴。", year=UNDATED, month=UNDATED, pub=0),
]


@pytest.fixture
def backend(engine_name):
    engine = get_backend()
    with locks.writer_lock():
        assert engine.rebuild(iter(DOCUMENTS), expected=len(DOCUMENTS)) == 4
    return engine


def ids(backend, q: str | None = None, *, sort: str = "relevance", **filters) -> list[int]:
    request = SearchRequest(
        query=parse(q) if q else None,
        filters=Filters(values={k: frozenset(v) for k, v in filters.items()}),
        sort=sort,
    )
    return backend.search(request).ids.tolist()


def test_a_rebuilt_index_holds_every_document(backend):
    assert backend.exists() and backend.is_current()
    assert backend.document_count() == 4
    assert backend.indexed_ids() == {1, 2, 3, 4}


def test_chinese_in_either_script_and_english_inflections_match(backend):
    assert sorted(ids(backend, "稀土")) == [1, 2]
    assert ids(backend, "台湾") == [2]
    assert ids(backend, "magnet") == [3]
    assert ids(backend, '"earth magnets"') == [3]
    assert ids(backend, "稀土 -永磁") == [1]


def test_filters_and_facet_counts_that_ignore_their_own_filter(backend):
    found = backend.search(
        SearchRequest(query=None, filters=Filters(values={"source": frozenset({"cna"})}))
    )
    assert found.ids.tolist() == [2]
    assert found.counts["source"] == {"xinhua": 2, "cna": 1, "reuters": 1}
    assert found.counts["language"] == {"zh-Hant": 1}
    assert found.counts["date"] == {"2024": 1}


def test_date_order_puts_undated_articles_last(backend):
    assert ids(backend, sort="newest") == [3, 2, 1, 4]
    assert ids(backend, sort="oldest") == [1, 2, 3, 4]
    undated = Filters(year=UNDATED)
    assert backend.search(SearchRequest(query=None, filters=undated)).ids.tolist() == [4]


def test_batches_update_and_delete_and_a_failed_batch_changes_nothing(backend):
    with locks.writer_lock(), backend.batch() as batch:
        batch.update(document(1, "包头钕铁硼", "钕铁硼磁体。"))
        batch.delete(4)
    assert ids(backend, "钕铁硼") == [1] and ids(backend, "天气") == []
    assert backend.indexed_ids() == {1, 2, 3}
    with pytest.raises(RuntimeError), locks.writer_lock(), backend.batch() as batch:
        batch.delete(2)
        raise RuntimeError("the indexer died mid-batch")
    assert backend.indexed_ids() == {1, 2, 3}


def test_clear_leaves_an_empty_readable_index(backend):
    with locks.writer_lock():
        backend.clear()
    assert backend.exists() and backend.document_count() == 0
    assert ids(backend, "稀土") == []


def test_words_for_suggestions_and_related_articles(backend):
    assert backend.word_frequency("稀土") == 2
    assert backend.word_frequency("nowhere") == 0
    assert "magnet" in backend.similar_words("magnot", max_distance=1)
    assert backend.related(1, "稀土 稀土 价格 研究", limit=5) == [2]


def test_words_by_prefix_and_the_whole_vocabulary_with_article_counts(backend):
    best, total = backend.words_with_prefix("magnet", limit=5)
    assert best == [("magnet", 1)] and total == 1
    best, total = backend.words_with_prefix("稀", limit=5)
    assert best[0] == ("稀土", 2)
    assert backend.words_with_prefix("zzz", limit=5) == ([], 0)
    vocabulary = dict(backend.vocabulary())
    assert vocabulary["稀土"] == 2 and vocabulary["earth"] == 1
    assert "包头" in vocabulary


def test_no_index_is_unavailable_not_an_error(engine_name, settings, tmp_path):
    settings.ARCHIVE_INDEX_DIR = tmp_path / "none"
    settings.OPENSEARCH_INDEX_PREFIX = f"{settings.OPENSEARCH_INDEX_PREFIX}-none"
    engine = get_backend()
    assert not engine.exists()
    with pytest.raises(SearchUnavailable):
        engine.generation()
    with pytest.raises(SearchUnavailable):
        engine.search(SearchRequest(query=None, filters=Filters()))


def test_matches_by_month_and_language_for_the_timeline(backend):
    found = backend.search(SearchRequest(query=parse("稀土"), filters=Filters()))
    assert found.months == {("2024-05", "zh-Hans"): 1, ("2024-05", "zh-Hant"): 1}
    everything = backend.search(SearchRequest(query=None, filters=Filters()))
    assert sum(everything.months.values()) == 4
    assert everything.months[(UNDATED, "zh-Hans")] == 1


def test_each_match_names_its_story(backend):
    found = backend.search(SearchRequest(query=parse("稀土"), filters=Filters(), sort="oldest"))
    assert found.ids.tolist() == [1, 2] and found.stories.tolist() == [1, 1]


def _page(backend, q, *, start, size, grouped, **filters):
    request = SearchRequest(
        query=parse(q) if q else None,
        filters=Filters(values={k: frozenset(v) for k, v in filters.items()}),
        sort="oldest",
    )
    return backend.search_page(request, start=start, size=size, grouped=grouped)


def test_a_page_shows_each_story_once_and_counts_its_other_versions(backend):
    everything = _page(backend, None, start=0, size=10, grouped=True)
    # Articles 1 and 2 are versions of one story: it shows once, as its first version.
    assert everything.ids.tolist() == [1, 3, 4] and everything.other_versions == {1: 1}
    assert (everything.total, everything.articles, everything.stories) == (3, 4, 3)
    assert sum(everything.counts["source"].values()) == 4  # facets count every version
    second = _page(backend, None, start=1, size=1, grouped=True)
    assert second.ids.tolist() == [3] and second.start == 1 and second.total == 3
    every_version = _page(backend, None, start=1, size=2, grouped=False)
    assert every_version.ids.tolist() == [2, 3] and every_version.other_versions == {}
    assert (every_version.total, every_version.stories) == (4, 3)


def test_a_filtered_page_counts_only_the_versions_that_pass_the_filter(backend):
    # Article 2 (cna) is a version of article 1's story (xinhua): filtered to cna, it
    # stands for the story alone, with no other version counted.
    page = _page(backend, "稀土", start=0, size=10, grouped=True, source=["cna"])
    assert page.ids.tolist() == [2] and page.other_versions == {}
    assert (page.total, page.articles, page.stories) == (1, 1, 1)
    assert page.counts["source"] == {"xinhua": 1, "cna": 1}  # ignores its own filter
