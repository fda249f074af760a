"""GET /api/suggest: its JSON, where each suggestion leads, clear 400s, 503 without an index."""

import pytest

from archive.models import Language
from archive.search.indexer import drain_queue
from archive.search.suggestions import DEFAULT_LIMIT, KINDS, MAX_LIMIT, MAX_PREFIX_CHARS
from tests.factories import make_archive, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(fresh_search_state):
    data = make_archive()
    for n in range(12):
        make_article(f"稀土产业第{n}期", "稀土永磁与稀有金属。", source=data["xinhua"])
    make_article(
        "Economy grows", "The economy grew.", language=Language.ENGLISH, source=data["reuters"]
    )
    drain_queue()
    return data


def suggestions(client, **params) -> list[dict]:
    response = client.get("/api/suggest", params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert list(data) == ["suggestions"]
    return data["suggestions"]


def test_suggest_api_answers_text_kind_and_url(client, archive):
    found = suggestions(client, q="稀")
    assert len(found) == DEFAULT_LIMIT
    assert all(set(item) == {"text", "kind", "url"} for item in found)
    assert found[0] == {"text": "稀土", "kind": "word", "url": "/search/?q=%E7%A8%80%E5%9C%9F"}
    assert {item["kind"] for item in found} <= set(KINDS)
    assert "包头" in [item["text"] for item in suggestions(client, q="bao")]
    assert "稀土" in [item["text"] for item in suggestions(client, q="xit")]
    assert "economy" in [item["text"].lower() for item in suggestions(client, q="econ")]


def test_suggest_api_urls_lead_to_pages_that_exist(client, archive):
    seen = set()
    for prefix in ("稀", "econ", "新华", "reu", "health", "经", "台湾", "bao"):
        for item in suggestions(client, q=prefix, limit=MAX_LIMIT):
            seen.add(item["kind"])
            page = client.get(item["url"])
            assert page.status_code == 200, item
            if item["kind"] == "title":
                assert item["text"] in page.content.decode()
            elif item["kind"] == "word":
                assert page.context["results"].total >= 1, item
    assert seen == set(KINDS)


def test_suggest_api_limit(client, archive):
    assert len(suggestions(client, q="稀", limit="3")) == 3
    assert len(suggestions(client, q="稀", limit=str(MAX_LIMIT))) <= MAX_LIMIT
    assert suggestions(client, q="", limit="5") == []
    assert suggestions(client) == []


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("abc", "“limit” must be a whole number, not “abc”."),
        ("0", f"“limit” must be between 1 and {MAX_LIMIT}."),
        (str(MAX_LIMIT + 1), f"“limit” must be between 1 and {MAX_LIMIT}."),
        ("-3", f"“limit” must be between 1 and {MAX_LIMIT}."),
        ("1.5", "“limit” must be a whole number, not “1.5”."),
    ],
)
def test_suggest_api_bad_limit_is_400_with_a_message(client, archive, limit, message):
    response = client.get("/api/suggest", {"q": "稀", "limit": limit}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_suggest_api_over_long_prefix_is_400(client, archive):
    response = client.get("/api/suggest", {"q": "稀" * (MAX_PREFIX_CHARS + 1)})
    assert response.status_code == 400
    assert str(MAX_PREFIX_CHARS) in response.json()["error"]
    assert suggestions(client, q="稀" * MAX_PREFIX_CHARS) == []


def test_suggest_api_without_an_index_is_503(client, settings, tmp_path, fresh_search_state):
    from haystack import connections

    settings.ARCHIVE_INDEX_DIR = tmp_path / "none"
    settings.HAYSTACK_CONNECTIONS = {
        "default": {**settings.HAYSTACK_CONNECTIONS["default"], "PATH": str(tmp_path / "none")}
    }
    connections.reload("default")
    response = client.get("/api/suggest", {"q": "稀"})
    assert response.status_code == 503
    assert response.json() == {"error": "search is temporarily unavailable"}
    assert suggestions(client, q="") == []  # nothing to look up, so nothing missing


def test_suggest_api_only_reads(client, archive):
    assert client.post("/api/suggest", {"q": "稀"}).status_code == 405
    assert client.head("/api/suggest?q=稀").status_code == 200


@pytest.mark.parametrize(
    "raw_query",
    [
        "q=%00%01%1F",
        "q=%ED%A0%80",  # a lone surrogate, UTF-8 encoded
        "q=%FF%FE",
        "q=%E7%A8",  # half a character
        "q=" + "x" * 10_000,
        "q=" + "%E7%A8%80" * 3000,
        "q=%22%5C",
        "q[]=1",
        "q=a&q=" + "b" * 200,
        "q=%E2%80%AE%E7%A8%80",
        "limit=%00",
        "limit=99999999999999999999999",
        "limit=" + "9" * 5000,
        "q=econ&limit=%EF%BC%93",  # a full-width 3
        "&".join(f"x{n}=1" for n in range(1200)),
    ],
)
def test_suggest_api_hostile_input_is_never_a_500(client, archive, raw_query):
    response = client.get(f"/api/suggest?{raw_query}")
    assert response.status_code in (200, 400, 414), response.content[:200]
    data = response.json() if response["Content-Type"].startswith("application/json") else None
    if response.status_code == 200:
        assert isinstance(data["suggestions"], list)
    elif data is not None:
        assert data["error"]
