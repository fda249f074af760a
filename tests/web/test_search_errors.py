"""One answer to a search that cannot run: the page, the API and the feeds agree."""

import logging
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from archive.models import Article, Language
from archive.search.indexer import drain_queue
from archive.web import search_errors

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SEARCHES = ["/search/", "/api/search", "/feeds/search/", "/feeds/search/atom/"]


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    cache.clear()
    monkeypatch.setattr(search_errors, "_unavailable_logged", {})
    yield
    cache.clear()


def indexed(count: int) -> None:
    for n in range(count):
        Article.objects.create(
            title=f"稀土新闻 {n}",
            body=f"稀土产业第{n}篇报道。",
            language=Language.SIMPLIFIED,
            published_at=datetime(2024, 1, 1 + n, tzinfo=UTC),
            external_id=f"e-{n}",
            fingerprint=f"fp-{n}",
        )
    drain_queue()


def message_of(url: str, response) -> str:
    if url.startswith("/api/"):
        assert response["Content-Type"].startswith("application/json")
        return response.json()["error"]
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


@pytest.mark.parametrize("url", SEARCHES)
def test_a_bad_parameter_is_400_with_the_reason(client, url):
    indexed(1)
    response = client.get(url, {"q": "稀土", "sort": "best"}, **EN)
    assert response.status_code == 400
    assert "sort" in message_of(url, response)


@pytest.mark.parametrize("url", SEARCHES)
def test_a_page_past_the_end_is_400_and_names_the_last_page(client, url):
    indexed(3)  # one page
    response = client.get(url, {"q": "稀土", "page": "5"}, **EN)
    assert response.status_code == 400
    message = message_of(url, response)
    assert "There is no page 5; the last page is 1." in message
    if not url.startswith("/api/"):
        assert "Go to the last page (page 1)" in message


@pytest.mark.parametrize("url", SEARCHES)
def test_an_unavailable_index_is_503(client, url):
    # Nothing was ever indexed: there is no index to search.
    response = client.get(url, {"q": "稀土"}, **EN)
    assert response.status_code == 503
    message = message_of(url, response)
    if url.startswith("/api/"):
        assert message == "search is temporarily unavailable"
    else:
        assert "Search temporarily unavailable" in message


def test_an_unavailable_index_is_logged_once_for_all_formats(client, caplog):
    with caplog.at_level(logging.ERROR, logger="archive.web.views"):
        for url in SEARCHES:
            assert client.get(url, {"q": "稀土"}).status_code == 503
    logged = [r for r in caplog.records if r.getMessage().startswith("search unavailable")]
    assert len(logged) == 1


def test_a_good_search_answers_in_every_format(client):
    indexed(2)
    for url in SEARCHES:
        assert client.get(url, {"q": "稀土"}, **EN).status_code == 200, url
