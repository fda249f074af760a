"""Hypothesis fuzzing of the search page, the API, the feeds and the browse pages.

300 examples per target. Each answer is 200, 400 or 404 (414 exactly when the
request line is longer than the limit), never shows live markup from the input
or the archive, and says what happened: a result count, the reason for a 400,
"Page not found", a JSON ``error``, or a well-formed feed. The archive and its
index are built once for the module. (tests/web/test_security.py keeps its own,
smaller fuzz runs of the search endpoints.)
"""

import json
import re
from xml.etree import ElementTree

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archive.models import Article, ArticleTag, IndexTask, Language, Source, Tag
from archive.search.indexer import drain_queue
from archive.web.request_limits import MAX_REQUEST_LINE, request_line_length
from tests.web.test_security import assert_no_live_markup

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EVIL = '"><img src=x onerror=alert(1)>'
SLUGS = ["economy", "health", "evil", "reuters", "xinhua", "no-such-slug"]


@pytest.fixture(scope="module")
def archive(django_db_setup, django_db_blocker, tmp_path_factory):
    """Articles with markup in every name and text, indexed once; removed afterwards."""
    root = tmp_path_factory.mktemp("fuzz") / "index"
    with django_db_blocker.unblock(), override_settings(ARCHIVE_INDEX_DIR=root):
        try:
            _make_archive()
            drain_queue()
            yield root
        finally:
            ArticleTag.objects.all().delete()
            Article.objects.all().delete()
            Tag.objects.all().delete()
            Source.objects.all().delete()
            IndexTask.objects.all().delete()


def _make_archive() -> None:
    evil_source = Source.objects.create(name=EVIL, name_en=EVIL, slug="evil")
    reuters = Source.objects.create(name="Reuters", slug="reuters")
    xinhua = Source.objects.create(name="新华社", slug="xinhua")
    economy = Tag.objects.create(name_zh="经济", name_en="Economy", slug="economy")
    evil_tag = Tag.objects.create(name_zh="<script>alert(2)</script>", name_en=EVIL, slug="evil")
    rows = [
        ("经济 <svg onload=alert(3)> 改革", "经济 <img src=x onerror=alert(4)// 改革", evil_source),
        ("Rare earth prices rise", "Prices of rare earth rose. <b>bold</b>", reuters),
        ("衛生福利部發布統計", "衛生福利部今日發布統計。", xinhua),
    ]
    for n in range(25):  # enough for a second page of results and of each list
        title, body, source = rows[n % 3]
        article = Article.objects.create(
            title=f"{title} {n}",
            body=body,
            language=[Language.SIMPLIFIED, Language.ENGLISH, Language.TRADITIONAL][n % 3],
            source=source,
            external_id=f"fuzz-{n}",
            fingerprint=f"f{n}",
        )
        ArticleTag.objects.create(article=article, tag=economy if n % 2 else evil_tag)


@pytest.fixture
def index_dir(archive, settings):
    """Every test here reads the module's index (overrides conftest's empty one)."""
    settings.ARCHIVE_INDEX_DIR = archive
    return archive


@pytest.fixture
def client():
    cache.clear()
    return Client(raise_request_exception=False)


# --- Strategies -----------------------------------------------------------------------------
WORDS = st.sampled_from(
    ["经济", "改革", "衛生", "稀土", "rare", "earth", "prices", "OR", "-经济", '"经济 改革"']
)
META = st.sampled_from(list("\"()[]{}*?~^:!+-&|\\/<>'`%,") + [" AND ", " NOT ", "title:", EVIL])
QUERY = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.lists(st.one_of(WORDS, META), max_size=12).map(" ".join),
    st.integers(3_900, 4_300).map(lambda n: "经" * (n // 9)),  # around the address limit
)
VALUE = st.one_of(
    st.text(max_size=20),
    st.sampled_from(SLUGS),
    st.sampled_from(
        ["last", "LAST", " last ", "1", "2", "0", "-1", "1.5", "9" * 30, "99999", "3"]
        + ["2025", "2025-03", "undated", "2024-02-30", "9999-12-31", "0001-01-01"]
        + ["en", "zh-Hans", "zh-Hant", "newest", "oldest", "relevance", "hans", "hant"]
    ),
)
NAMES = st.sampled_from(
    ["page", "page_size", "source", "topic", "lang", "language", "date", "year", "month"]
    + ["start", "end", "date_from", "date_to", "sort", "script", "selected_facets", "x", "q"]
)
# Repeated filter values: the same slug many times, or many different ones.
REPEATS = st.tuples(
    st.sampled_from(["source", "topic", "language", "lang"]),
    st.lists(st.one_of(st.sampled_from(SLUGS), st.from_regex(r"t[0-9]{1,3}", fullmatch=True))),
    st.booleans(),
)
PARAMS = st.lists(st.tuples(NAMES, VALUE), max_size=6)


def query_data(q: str | None, params, repeats=None) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {} if q is None else {"q": [q]}
    for name, value in params:
        data.setdefault(name, []).append(value)
    if repeats:
        name, values, joined = repeats
        data.setdefault(name, []).extend([",".join(values)] if joined else values)
    return data


# --- Checks --------------------------------------------------------------------------------
def check_status(response) -> bool:
    """The status is 414 exactly when the request line is too long; True when it was."""
    too_long = request_line_length(response.wsgi_request) > MAX_REQUEST_LINE
    assert (response.status_code == 414) == too_long, response.status_code
    assert response.status_code in {200, 400, 404, 414}, response.status_code
    return too_long


def check_page(response, *, ok_marker: str) -> None:
    """An HTML page: escaped, and saying what happened."""
    html = response.content.decode()
    assert "Traceback" not in html
    assert_no_live_markup(html, response.wsgi_request.get_full_path()[:80])
    status = response.status_code
    if status == 200:
        assert ok_marker in html
    elif status == 400:
        assert re.search(r'<p class="error-message">[^<\s][^<]*</p>', html), html[-800:]
    elif status == 404:
        assert "<h1>Page not found</h1>" in html
    else:
        assert "<h1>The address is too long</h1>" in html


def check_feed(response) -> None:
    if response.status_code != 200:
        check_page(response, ok_marker="")
        return
    assert not re.search(rb"<(script|img|svg|iframe)\b", response.content)
    root = ElementTree.fromstring(response.content)
    assert root.tag in {"rss", "{http://www.w3.org/2005/Atom}feed"}


def check_json(response) -> None:
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    if response.status_code == 200:
        assert isinstance(data.get("total", data.get("id")), int)
    else:
        assert isinstance(data["error"], str) and data["error"].strip()


# --- Targets ---------------------------------------------------------------------------------
@FUZZ
@given(q=QUERY, params=PARAMS, repeats=st.none() | REPEATS)
@example(q="经济", params=[("page", "last")], repeats=None)
@example(q="经济", params=[("page", "7")], repeats=None)
@example(q="", params=[], repeats=("topic", ["economy"] * 60, False))
@example(q="", params=[], repeats=("topic", [f"t{n}" for n in range(51)], True))
@example(q="", params=[], repeats=("source", ["evil"] * 1000, False))
def test_search_page_fuzzed(client, q, params, repeats):
    response = client.get("/search/", query_data(q, params, repeats), **EN)
    check_status(response)
    check_page(response, ok_marker='id="results-count"')


@FUZZ
@given(
    target=st.sampled_from(["/api/search", "/api/articles/1", "/api/articles/999999"]),
    q=QUERY,
    params=PARAMS,
    repeats=st.none() | REPEATS,
)
@example(target="/api/search", q="rare", params=[("page", "last")], repeats=None)
@example(target="/api/search", q="经" * 500, params=[], repeats=None)
def test_api_fuzzed(client, target, q, params, repeats):
    response = client.get(target, query_data(q, params, repeats), **EN)
    check_status(response)
    check_json(response)


FEEDS = st.sampled_from(
    ["/feeds/search/", "/feeds/search/atom/", "/feeds/latest/", "/feeds/latest/atom/"]
    + [f"/feeds/topics/{s}/" for s in ("economy", "evil", "nope")]
    + [f"/feeds/sources/{s}/atom/" for s in ("evil", "reuters", "nope")]
)


@FUZZ
@given(url=FEEDS, q=QUERY, params=PARAMS, repeats=st.none() | REPEATS)
@example(url="/feeds/search/", q="经济", params=[("page", "last")], repeats=None)
@example(url="/feeds/search/atom/", q=EVIL, params=[("page", "9")], repeats=None)
def test_feeds_fuzzed(client, url, q, params, repeats):
    response = client.get(url, query_data(q, params, repeats), **EN)
    check_status(response)
    check_feed(response)


BROWSE = st.one_of(
    st.sampled_from(
        ["/", "/topics/", "/sources/", "/topics/economy/", "/topics/evil/", "/sources/evil/"]
        + ["/sources/reuters/", "/archive/2025/", "/archive/2025/9/", "/archive/1/"]
        + ["/articles/1/", "/articles/999999/", "/robots.txt", "/opensearch.xml"]
    ),
    st.from_regex(r"/(topics|sources)/[a-z0-9-]{1,30}/", fullmatch=True),
    st.integers(0, 10_000).map(lambda n: f"/archive/{n}/"),
    st.tuples(st.integers(1, 9998), st.integers(0, 14)).map(
        lambda ym: f"/archive/{ym[0]}/{ym[1]}/"
    ),
)


@FUZZ
@given(url=BROWSE, params=PARAMS, long=st.booleans())
@example(url="/topics/economy/", params=[("page", "last")], long=False)
@example(url="/sources/evil/", params=[("page", "9")], long=False)
@example(url="/articles/1/", params=[("x", "1"), ("script", "hant")], long=True)
def test_browse_pages_fuzzed(client, url, params, long):
    if url.startswith("/articles/"):  # a real article's page
        url = (
            Article.objects.order_by("pk").first().get_absolute_url()
            if "999999" not in url
            else url
        )
    data = query_data(None, params)
    if long:
        data["x"] = ["y" * 4_100]
    response = client.get(url, data, **EN)
    check_status(response)
    if response["Content-Type"].startswith("text/html"):
        check_page(response, ok_marker='class="site-header"')
    else:
        assert response.status_code == 200 and not re.search(
            rb"<(script|img|svg)\b", response.content
        )
