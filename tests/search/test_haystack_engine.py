"""haystack is the switch: its SearchQuerySet, commands and template tag run our search."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.template import engines
from haystack import connections
from haystack.inputs import Exact
from haystack.query import SearchQuerySet

from archive.models import Language, Source, Tag
from archive.search.backends.whoosh import storage
from archive.search.haystack_engine import UnsupportedQuery
from archive.search.indexer import drain_queue
from archive.search.related import related_articles
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive():
    xinhua = Source.objects.create(name="新华社", slug="xinhua")
    cna = Source.objects.create(name="中央社", slug="cna")
    rare = Tag.objects.create(name_zh="稀土", name_en="Rare earths", slug="rare-earths")
    made = {
        "a": make_article(
            "包头稀土交易",
            "稀土价格上涨。",
            source=xinhua,
            tags=[rare],
            published=dt.date(2024, 5, 1),
        ),
        "b": make_article(
            "稀土出口", "稀土出口管制。", source=xinhua, published=dt.date(2023, 2, 1)
        ),
        "c": make_article(
            "稀土永磁",
            "臺灣稀土研究。",
            source=cna,
            language=Language.TRADITIONAL,
            published=dt.date(2024, 7, 9),
        ),
        "d": make_article(
            "Rare earth magnets",
            "Magnets made from rare earths.",
            source=cna,
            language=Language.ENGLISH,
            published=dt.date(2022, 1, 3),
        ),
        "e": make_article("天气", "北京晴。", source=cna, published=dt.date(2021, 3, 3)),
    }
    drain_queue()
    return made


def api(client, **params):
    response = client.get("/api/search", params)
    assert response.status_code == 200, response.content
    return response.json()


def _counts(api_facet):
    return {v["value"]: v["count"] for v in api_facet}


def test_searchqueryset_finds_what_the_api_finds_with_the_same_facet_counts(client, archive):
    sqs = SearchQuerySet().filter(content="稀土").facet("source").facet("topics")
    found = api(client, q="稀土")

    assert [int(r.pk) for r in sqs] == [r["id"] for r in found["results"]]
    # The glossary pairs 稀土 with "rare earth": the English article is found too.
    assert sqs.count() == found["total"] == 4
    counts = sqs.facet_counts()["fields"]
    assert dict(counts["source"]) == _counts(found["facets"]["source"]) == {"xinhua": 2, "cna": 2}
    assert dict(counts["topics"]) == _counts(found["facets"]["topic"])


def test_filters_sorting_and_slices_match_the_site(client, archive):
    narrowed = SearchQuerySet().filter(content="稀土", source="xinhua").order_by("-pub")
    found = api(client, q="稀土", source="xinhua", sort="newest")
    assert [int(r.pk) for r in narrowed] == [r["id"] for r in found["results"]]
    assert [int(r.pk) for r in narrowed] == [archive["a"].pk, archive["b"].pk]

    by_topic = SearchQuerySet().filter(topics__in=["rare-earths"])
    assert [int(r.pk) for r in by_topic] == [archive["a"].pk]
    by_year = SearchQuerySet().filter(content="稀土", year="2024").order_by("pub")
    assert [int(r.pk) for r in by_year] == [archive["a"].pk, archive["c"].pk]
    since = SearchQuerySet().filter(pub__gte=dt.date(2024, 6, 1))
    assert [int(r.pk) for r in since] == [archive["c"].pk]

    everything = SearchQuerySet().order_by("-pub")
    assert everything.count() == 5
    assert [int(r.pk) for r in everything[1:3]] == [archive["a"].pk, archive["b"].pk]


def test_exact_phrases_exclusions_and_or_follow_the_query_language(archive):
    phrase = SearchQuerySet().filter(content=Exact("magnets made"))
    assert [int(r.pk) for r in phrase] == [archive["d"].pk]
    assert not SearchQuerySet().filter(content=Exact("made magnets")).count()
    assert SearchQuerySet().filter(content="made magnets").count() == 1
    without = SearchQuerySet().filter(content="稀土").exclude(content="出口")
    assert {int(r.pk) for r in without} == {archive["a"].pk, archive["c"].pk, archive["d"].pk}
    either = SearchQuerySet().filter_or(content="天气").filter_or(content="magnets")
    assert {int(r.pk) for r in either} == {archive["d"].pk, archive["e"].pk}
    # Simplified finds traditional through haystack too.
    assert archive["c"].pk in {int(r.pk) for r in SearchQuerySet().filter(content="台湾")}


def test_a_result_loads_its_article(archive):
    first = SearchQuerySet().filter(content="天气")[0]
    assert first.object == archive["e"]


def test_what_the_archive_cannot_express_is_refused_not_answered_wrongly(archive):
    with pytest.raises(UnsupportedQuery):
        list(SearchQuerySet().filter(url="http://example.com"))
    with pytest.raises(UnsupportedQuery):
        list(SearchQuerySet().filter(content="稀土").order_by("title"))
    with pytest.raises(UnsupportedQuery):
        list(SearchQuerySet().exclude(source="xinhua"))


def test_more_like_this_tag_lists_the_sites_related_articles(archive):
    template = engines["django"].from_string(
        "{% load more_like_this %}{% more_like_this article as related limit 3 %}"
        "{% for r in related %}{{ r.pk }},{% endfor %}"
    )
    shown = [int(pk) for pk in template.render({"article": archive["a"]}).split(",") if pk]
    assert shown == [a.pk for a in related_articles(archive["a"], limit=3)]
    assert shown, "the rare-earth articles are related to each other"


def test_haystack_update_and_remove_write_through_the_single_writer(archive):
    backend = connections["default"].get_backend()
    late = make_article("稀土新闻", "新稀土矿。")
    assert late.pk not in {int(r.pk) for r in SearchQuerySet().filter(content="新稀土")}
    backend.update(None, [late])  # haystack's index API: written now, not queued
    assert [int(r.pk) for r in SearchQuerySet().filter(content="新稀土")] == [late.pk]
    late_pk = late.pk
    late.delete()
    backend.remove(f"archive.article.{late_pk}")
    assert not SearchQuerySet().filter(content="新稀土").count()


def test_clear_index_empties_into_a_new_generation_and_rebuild_restores(client, archive):
    before = storage.current_dir()
    call_command("clear_index", "--noinput", stdout=StringIO())

    assert api(client, q="稀土")["total"] == 0
    health = client.get("/healthz").json()
    assert health["index"] == "ok" and health["database"] == "ok"
    assert before.is_dir(), "the generation that was live stays as the fallback"
    assert storage.current_dir() != before

    call_command("rebuild_index", "--noinput", stdout=StringIO())
    assert api(client, q="稀土")["total"] == 4


def test_haystacks_own_clear_command_goes_through_our_generations(archive):
    from haystack.management.commands import clear_index

    before = storage.current_dir()
    call_command(clear_index.Command(), "--noinput", stdout=StringIO())
    assert SearchQuerySet().count() == 0
    assert before.is_dir() and storage.index_root().is_dir()


def test_the_declared_search_index_has_the_documents_fields(archive):
    from haystack import connections as haystack_connections

    from archive.search.documents import article_document

    index = haystack_connections["default"].get_unified_index().get_index(type(archive["a"]))
    document = article_document(archive["a"])
    assert set(document) - {"id"} <= set(index.fields)  # haystack names the id itself
    prepared = index.full_prepare(archive["a"])
    assert prepared["id"] == f"archive.article.{archive['a'].pk}"
    assert {k: prepared[k] for k in ("source", "language", "year", "month")} == {
        "source": "xinhua",
        "language": "zh-Hans",
        "year": "2024",
        "month": "2024-05",
    }
