"""The JSON API: the same search as the pages, articles by id, clear 400s."""

import datetime as dt

import pytest
from django.utils import timezone

from archive.models import Article, DatePrecision, Language, Source, Tag
from archive.search.indexer import drain_queue
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles():
    source = Source.objects.create(name="South China Morning Post", slug="scmp")
    tag = Tag.objects.create(name_zh="稀土", name_en="Rare earths", slug="rare-earths")
    a = make_article("包头稀土", "包头的稀土产业<b>发展</b>。", source=source, tags=[tag])
    a.published_at = timezone.make_aware(dt.datetime(2025, 9, 6))
    a.date_precision = DatePrecision.DAY
    a.save()
    b = make_article("Rare earth", "Rare earth prices.", language=Language.ENGLISH, source=source)
    b.published_at = dt.datetime(2025, 9, 6, 10, 30, tzinfo=dt.UTC)
    b.date_precision = DatePrecision.MINUTE
    b.save()
    drain_queue()
    return a, b


def test_api_search_returns_results_and_facets(client, articles):
    a, _b = articles
    data = client.get("/api/search", {"q": "稀土", "lang": "zh-Hans"}).json()
    assert data["query"] == "稀土"
    assert data["total"] == 1
    assert data["understood"]["segments"] == ["稀土"]
    assert data["understood"]["also_searched"] == ["rare earth"]  # the starting glossary
    result = data["results"][0]
    assert result["id"] == a.pk
    assert result["source"] == {"slug": "scmp", "name": "South China Morning Post"}
    assert result["published_at"] == "2025-09-06"
    assert result["topics"] == [{"slug": "rare-earths", "name": "稀土"}]
    assert "<mark>稀土</mark>" in result["title_html"]
    assert "&lt;b&gt;" in result["snippet_html"]
    assert data["facets"]["source"] == [
        {"value": "scmp", "label": "South China Morning Post", "count": 1}
    ]
    # The language facet still offers English (the glossary found it).
    assert {f["value"] for f in data["facets"]["language"]} == {"zh-Hans", "en"}


def test_api_article_full_fields(client, articles):
    _a, b = articles
    data = client.get(f"/api/articles/{b.pk}").json()
    assert data["published_at"] == "2025-09-06T18:30:00+08:00"
    assert data["body"] == "Rare earth prices."
    assert {"subtitle", "authors", "original_source", "quality_notes"} <= set(data)


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": "-1"},
        {"page": "99"},
        {"sort": "best"},
        {"date_from": "2025-13-01"},
        {"page_size": "1000"},
    ],
)
def test_api_search_bad_parameters_are_400_json(client, articles, query):
    response = client.get("/api/search", {"q": "稀土", **query})
    assert response.status_code == 400
    assert response.json()["error"]


def test_api_unknown_article_is_404_json(client, articles):
    missing = (Article.objects.order_by("-pk").first().pk or 0) + 100
    response = client.get(f"/api/articles/{missing}")
    assert response.status_code == 404
    assert response.json() == {"error": "no such article"}


def test_api_search_unavailable_without_index(client):
    response = client.get("/api/search", {"q": "x"})
    assert response.status_code == 503


def test_every_hit_lists_its_own_topics_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    """Twenty hits with different topics cost no more queries than one (page, API, feed)."""
    tags = [
        Tag.objects.create(name_zh=f"话题{i}", name_en=f"Topic {i}", slug=f"t{i}") for i in range(4)
    ]
    expected = {}
    for i in range(20):
        mine = [tags[j] for j in range(4) if (i >> j) & 1]
        article = make_article(f"稀土报道{i}", "稀土。", tags=mine)
        expected[article.pk] = [t.slug for t in sorted(mine, key=lambda t: t.slug)]
    drain_queue()
    client.get("/search/", {"q": "稀土"})  # warm: session, glossary, facet labels
    with django_assert_max_num_queries(12):
        data = client.get("/api/search", {"q": "稀土", "page_size": 20}).json()
    assert {r["id"]: [t["slug"] for t in r["topics"]] for r in data["results"]} == expected
    with django_assert_max_num_queries(12):
        page = client.get("/search/", {"q": "稀土", "page_size": 20}).content.decode()
    assert page.count('class="topic"') == sum(map(len, expected.values()))
    with django_assert_max_num_queries(12):
        feed = client.get("/feeds/search/", {"q": "稀土"}).content.decode()
    assert feed.count("<category>") == sum(map(len, expected.values()))


def test_api_results_link_to_the_articles_own_page_and_json(client, articles):
    a, _b = articles
    result = client.get("/api/search", {"q": "稀土", "lang": "zh-Hans"}).json()["results"][0]
    assert result["html_url"] == f"http://testserver/articles/{a.pk}/"
    assert result["api_url"] == f"http://testserver/api/articles/{a.pk}"
    page = client.get(result["html_url"])
    assert page.status_code == 200 and a.title in page.content.decode()
    same = client.get(result["api_url"]).json()
    assert same["id"] == a.pk and same["html_url"] == result["html_url"]
