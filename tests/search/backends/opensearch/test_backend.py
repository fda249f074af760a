"""The OpenSearch backend's own edges: what the parity test's corpus may not reach.

Tricky matches are checked against the embedded engine on the same documents, so
"the same answer" includes its exact character and word distances.
"""

import pytest
from opensearchpy.exceptions import TransportError

from archive.search import locks
from archive.search.backend import SearchRequest, SearchUnavailable, get_backend
from archive.search.backends.opensearch import backend as os_backend
from archive.search.backends.opensearch import writing
from archive.search.backends.opensearch.client import get_client
from archive.search.backends.whoosh.backend import WhooshBackend
from archive.search.facets import Filters
from archive.search.query import parse
from tests.factories import make_archive
from tests.processes import wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.opensearch]


def document(pk: int, title: str, body: str = "", **fields) -> dict:
    return {
        "id": pk,
        "title": title,
        "body": body,
        "source": fields.get("source", "xinhua"),
        "topics": fields.get("topics", []),
        "language": fields.get("language", "zh-Hans"),
        "year": "2024",
        "month": "2024-05",
        "pub": 1715000000 + pk,
        "story": pk,
    }


DOCUMENTS = [
    document(1, "稀土产业", "包头稀土产业园。"),
    document(2, "稀土A产业", "稀土 产业"),  # one character between, in title and body
    document(3, "稀土的新产业", "稀土市场的新兴产业链"),
    document(4, "土稀", "产业稀土"),  # the other order
    document(5, "𠵱字", "罕见字𠵱在这里，𠀋也是。"),  # characters beyond the BMP
    document(6, "Rare earth magnets", "The magnets of rare earth elements are used widely."),
    document(7, "Magnets", "Earth is not rare; magnetic fields and rare magnets."),
    document(8, "标题稀土", "\n产业在正文开头"),  # across the title and the body
    # "s" stems to an empty word, which still takes a position: four words between price and oil.
    document(9, "Exports", "The average price of Mexico's crude oil exports."),
]
QUERIES = [
    "稀土", "土产", "稀", "𠵱", "𠵱字", "𠀋", "稀土产业", "\"稀土 产业\"",
    "\"稀土 产业\"~0", "\"稀土 产业\"~1", "\"稀土 产业\"~2", "\"稀土 产业\"~4", "稀土 NEAR/3 产业",
    "\"产业 稀土\"~0", "title:\"稀土 产业\"~1", "\"rare magnets\"~0", "\"rare magnets\"~1",
    "\"rare magnets\"~3", "rare NEAR/2 earth", "\"earth rare\"~0", "title:magnets", "magnet*",
    "稀土 -产业", "-稀土", "稀土 OR magnets", "\"rare earth\"", "\"标题稀土 产业\"~1",
    "price NEAR/3 oil", "price NEAR/4 oil", "\"mexico's crude\"", "\"mexico crude\"~1",
]  # fmt: skip


def _ids(backend, q: str) -> list[int]:
    found = backend.search(SearchRequest(query=parse(q), filters=Filters()))
    return sorted(found.ids.tolist())


@pytest.fixture
def built(opensearch):
    backend = get_backend()
    with locks.writer_lock():
        backend.rebuild(iter(DOCUMENTS), expected=len(DOCUMENTS))
    return backend


def test_substrings_and_distances_match_the_embedded_engine(built):
    embedded = WhooshBackend()
    with locks.writer_lock():
        embedded.rebuild(iter(DOCUMENTS), expected=len(DOCUMENTS))
    from archive.search.expansion import expand

    differing = {}
    for q in QUERIES:
        answers = []
        for backend in (embedded, built):
            parsed = parse(q)
            expand(parsed, backend, q)  # prefixes from each engine's own words
            found = backend.search(SearchRequest(query=parsed, filters=Filters()))
            answers.append(sorted(found.ids.tolist()))
        if answers[0] != answers[1]:
            differing[q] = answers
    assert not differing
    assert _ids(built, "price NEAR/4 oil") == [9] and _ids(built, "price NEAR/3 oil") == []
    assert _ids(built, "𠵱") == [5] and _ids(built, '"稀土 产业"~1') == [
        1,
        2,
        3,
        4,
    ]  # 3: title, newline, body


def test_every_match_is_returned_past_one_page(built, monkeypatch):
    monkeypatch.setattr(os_backend, "PAGE", 3)  # a point in time read three at a time
    found = built.search(SearchRequest(query=None, filters=Filters(), sort="oldest"))
    assert found.ids.tolist() == [d["id"] for d in DOCUMENTS]
    assert sum(found.counts["source"].values()) == len(DOCUMENTS)
    # Counts alone (the suggestion tables' topics and sources): one request, no hits.
    counts = built.search(SearchRequest(query=None, filters=Filters(), counts_only=True))
    assert counts.counts == found.counts and counts.months == found.months
    assert counts.total == 0
    ranked = built.search(SearchRequest(query=parse("稀土"), filters=Filters()))
    assert sorted(ranked.ids.tolist()) == [1, 2, 3, 4, 8] and len(ranked.scores) == 5
    assert sorted(built.indexed_ids()) == [d["id"] for d in DOCUMENTS]


def test_a_page_past_one_request_s_reach_is_cut_from_every_match(built, monkeypatch):
    request = SearchRequest(query=None, filters=Filters(), sort="oldest")
    near = built.search_page(request, start=2, size=3, grouped=True)
    assert near.ids.tolist() == [3, 4, 5] and near.total == len(DOCUMENTS)
    # Past what one request may reach (``MAX_RESULT_WINDOW``): every match is read, from
    # a point in time three at a time, and the page cut from them.
    monkeypatch.setattr(os_backend, "MAX_RESULT_WINDOW", 4)
    monkeypatch.setattr(os_backend, "PAGE", 3)
    deep = built.search_page(request, start=6, size=3, grouped=True)
    assert deep.ids.tolist() == [7, 8, 9] and deep.start == 6 and deep.total == len(DOCUMENTS)
    assert deep.counts == near.counts and deep.stories == near.stories == len(DOCUMENTS)


def test_exports_read_only_as_many_results_as_they_hold(built):
    from archive.search import service

    params = service.SearchParams(q="稀土", sort="oldest")
    _generation, first_two = service.find(params, limit=2)
    _generation, every = service.find(params)
    # 稀土 also finds "rare earth" (the glossary): 6 of the 9 documents.
    assert first_two.ids.tolist() == [1, 2] and every.ids.tolist() == [1, 2, 3, 4, 6, 8]
    assert first_two.total == every.total == 6 and first_two.counts == every.counts


def test_each_applied_batch_is_a_new_generation(built):
    first = built.generation()
    with locks.writer_lock(), built.batch() as batch:
        batch.update(document(100, "新文章"))
    second = built.generation()
    assert second != first and second[1] == first[1]  # the same index, one change later
    with locks.writer_lock():
        built.rebuild(iter(DOCUMENTS), expected=len(DOCUMENTS))
    assert built.generation()[1] != first[1]
    assert len(writing.own_indexes()) == 1  # the old index is gone


def test_a_failed_rebuild_leaves_the_live_index(built):
    def documents():
        yield from DOCUMENTS[:3]
        raise RuntimeError("the database went away")

    before = built.generation()
    with pytest.raises(RuntimeError), locks.writer_lock():
        built.rebuild(documents(), expected=len(DOCUMENTS))
    assert built.generation() == before and built.document_count() == len(DOCUMENTS)
    assert writing.own_indexes() == writing.live_indexes()


def test_a_busy_cluster_is_retried_and_a_refusal_keeps_the_batch(built, monkeypatch):
    client = writing.get_client()
    real_bulk = client.bulk
    calls = []

    def busy_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise TransportError(429, "es_rejected_execution_exception", {})
        return real_bulk(**kwargs)

    monkeypatch.setattr(client, "bulk", busy_once)
    with locks.writer_lock(), built.batch() as batch:
        batch.update(document(9, "钕铁硼"))
    assert len(calls) == 2 and _ids(built, "钕铁硼") == [9]

    def refused(**kwargs):
        raise TransportError(400, "mapper_parsing_exception", {})

    monkeypatch.setattr(client, "bulk", refused)
    with pytest.raises(TransportError), locks.writer_lock(), built.batch() as batch:
        batch.delete(9)
    monkeypatch.setattr(client, "bulk", real_bulk)
    assert _ids(built, "钕铁硼") == [9]


def test_words_prefixes_and_spelling(built, monkeypatch):
    assert built.words_with_prefix("magnet", limit=5) == ([("magnet", 2)], 1)
    assert built.word_frequency("稀土") == 4  # in 4 titles and in 4 bodies (the larger)
    assert built.similar_words("magnot", max_distance=1) == ["magnet"]
    assert built.similar_words("稀土", max_distance=1) == ["稀土"]
    vocabulary = dict(built.vocabulary())
    assert vocabulary["magnet"] == 2 and vocabulary["稀土"] == 4

    # Once read, prefixes and word counts come from the same generation's vocabulary,
    # without a request to the cluster.
    def no_request(*args, **kwargs):
        raise AssertionError("asked the cluster")

    monkeypatch.setattr(built, "_search", no_request)
    assert built.words_with_prefix("稀", limit=1) == ([("稀土", 4)], 1)
    assert built.word_frequency("稀土") == 4 and built.word_frequency("nowhere") == 0


def test_workers_load_the_vocabulary_the_writer_kept(built, monkeypatch):
    from archive.search.backends.opensearch import vocabularies

    client = get_client()
    _engine, index, changes = built.generation()
    kept = vocabularies.load(client, store=writing.state_index())
    assert kept is not None and (kept.index, kept.changes) == (index, changes)
    mapping = next(iter(client.indices.get_mapping(index=writing.state_index()).values()))
    assert not mapping["mappings"].get("properties")  # kept, never indexed as text
    # A worker's first read is that one document, not a pass over the index.
    read_from_index = vocabularies.read_from_index
    passes = []
    monkeypatch.setattr(
        vocabularies,
        "read_from_index",
        lambda *a, **k: passes.append(a) or read_from_index(*a, **k),
    )
    fresh = os_backend.PerGeneration(reuse=os_backend._vocabulary_still_serves)
    monkeypatch.setattr(os_backend, "_vocabularies", fresh)  # as in a new worker
    assert dict(built.vocabulary()) == dict(read_from_index(client, index).items())
    assert not passes
    # An edit's new word: the copy, read moments ago, still serves the next batches ...
    with locks.writer_lock(), built.batch() as batch:
        batch.update(document(10, "Lanthanum", "Lanthanum is a rare earth."))
    assert "lanthanum" not in dict(
        vocabularies.load(client, store=writing.state_index()).vocabulary.items()
    )
    # ... until it is older than VOCABULARY_SECONDS: the next batch keeps it again.
    monkeypatch.setattr(vocabularies, "VOCABULARY_SECONDS", 0)
    with locks.writer_lock(), built.batch() as batch:
        batch.update(document(11, "Cerium", "Cerium too."))
    vocabularies.wait_for_reread()  # a thread of the writer's: the next batches go on
    again = vocabularies.load(client, store=writing.state_index())
    assert again.changes == changes + 2 and {"lanthanum", "cerium"} <= set(again.vocabulary.words)
    # A copy from another index never serves (a rebuild keeps a new one).
    assert not again.serves("another-index", again.changes)


def test_the_kept_copy_follows_the_last_edits_and_a_copy_behind_still_serves(built, monkeypatch):
    from archive.search.backends.opensearch import vocabularies

    client, store = get_client(), writing.state_index()
    monkeypatch.setattr(vocabularies, "VOCABULARY_SECONDS", 2)
    with locks.writer_lock(), built.batch() as batch:
        batch.update(document(13, "Yttrium", "Yttrium is a rare earth."))
    _engine, _index, changes = built.generation()
    assert "yttrium" not in vocabularies.load(client, store=store).vocabulary.words  # recent
    # A worker starting once the copy is old takes it, behind, rather than reading every
    # article's words itself.
    monkeypatch.setattr(vocabularies, "VOCABULARY_SECONDS", 0)
    passes = []
    read_from_index = vocabularies.read_from_index
    monkeypatch.setattr(
        vocabularies,
        "read_from_index",
        lambda *a, **k: passes.append(1) or read_from_index(*a, **k),
    )
    monkeypatch.setattr(os_backend, "_vocabularies", os_backend.PerGeneration())
    assert "yttrium" not in dict(built.vocabulary()) and not passes
    # Prefixes do not take a copy behind: they follow the edit at once.
    assert built.words_with_prefix("yttri", limit=5) == ([("yttrium", 1)], 1)

    # With no further edit, the writer reads it again once it is no longer recent.
    def caught_up():
        copy = vocabularies.load(client, store=store)
        return copy if copy.changes == changes else None

    kept = wait_for(caught_up, timeout=30, what="the writer to keep the last edit's words")
    assert "yttrium" in kept.vocabulary.words


def test_a_reread_after_edits_never_replaces_a_copy_kept_meanwhile(built):
    from archive.search.backends.opensearch import vocabularies

    client, store = get_client(), writing.state_index()
    _engine, index, changes = built.generation()
    seen = vocabularies.load(client, store=store, words=False)  # when the reread began
    vocabularies.keep(client, store=store, index=index, changes=changes + 5)  # a rebuild's
    vocabularies.keep_quietly(client, store=store, index=index, changes=changes + 1, replacing=seen)
    assert vocabularies.load(client, store=store, words=False).changes == changes + 5


def test_no_cluster_is_unavailable(built, settings):
    hosts = settings.OPENSEARCH_HOSTS
    settings.OPENSEARCH_HOSTS = ["http://127.0.0.1:9"]
    try:
        with pytest.raises(SearchUnavailable):
            built.search(SearchRequest(query=parse("稀土"), filters=Filters()))
        with pytest.raises(SearchUnavailable):
            built.document_count()
        with pytest.raises(SearchUnavailable):
            built.generation()
    finally:
        settings.OPENSEARCH_HOSTS = hosts  # for the fixture's clean-up


def test_upkeep_merges_only_when_asked_or_needed(built):
    assert "no merge needed" in built.maintain()
    assert "merged" in built.maintain(full=True)
    assert built.document_count() == len(DOCUMENTS)


def test_haystack_and_the_commands_run_on_the_cluster(opensearch):
    from io import StringIO

    from django.core.management import call_command
    from haystack.query import SearchQuerySet

    from archive.models import Article

    made = make_archive()
    call_command("rebuild_index", "--noinput", stdout=StringIO())
    sqs = SearchQuerySet().filter(content="稀土").facet("source")
    assert sqs.count() == 2
    assert dict(sqs.facet_counts()["fields"]["source"]) == {"xinhua": 1, "reuters": 1}
    newest = [r.pk for r in SearchQuerySet().filter(content="包头").order_by("-pub")]
    assert newest == [made["hans"].pk, made["en"].pk]  # the glossary adds Baotou
    call_command("update_index", stdout=StringIO())
    assert get_backend().indexed_ids() == set(Article.objects.values_list("pk", flat=True))
    call_command("clear_index", "--noinput", stdout=StringIO())
    assert get_backend().document_count() == 0


def test_healthz_shows_the_cluster(built, client):
    # A new index is yellow until its replicas have copied the primaries.
    get_client().cluster.health(wait_for_status="green", request_timeout=60)
    with locks.indexer_presence():
        health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {
        "database": "ok",
        "index": "ok",
        "cluster": "green",
        "nodes": 2,
        "indexer": "running",
        "status": "ok",
    }


def test_related_articles_share_the_article_s_rare_words(built):
    embedded = WhooshBackend()
    with locks.writer_lock():
        embedded.rebuild(iter(DOCUMENTS), expected=len(DOCUMENTS))
    for article in (DOCUMENTS[5], DOCUMENTS[0]):  # rare earth magnets; 稀土产业
        text = f"{article['title']}\n{article['title']}\n{article['body']}"
        on_cluster = built.related(article["id"], text, limit=5)
        assert on_cluster and article["id"] not in on_cluster
        # The cluster estimates how rare a word is from one shard, so it may weigh words
        # differently; here it finds no article the embedded engine would not.
        assert set(on_cluster) <= set(embedded.related(article["id"], text, limit=5))
