"""Hostile input against the public site: fuzzed search, stored and reflected XSS, headers.

Covers RELIABILITY.md §8 S4/S5/S7/S8 (fuzz), S10/W7 (XSS), W2/W3/W4 (headers and
protocol hygiene) where tests/web/test_views.py, test_api.py and test_admin.py do not already.
"""

import json
import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.urls import include, path
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from archive.models import Article, ArticleTag, Language, Source, Tag
from archive.search.indexer import drain_queue

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
EVIL_SOURCE = '"><img src=x onerror=alert(1)>'
EVIL_TAG = "<script>alert(1)</script>"
EVIL_TITLE = "经济 <svg onload=alert(2)> 改革"
EVIL_BODY = "经济 <img src=x onerror=alert(3)// 改革 <iframe src=javascript:alert(4)>"
# Our pages load scripts only from this site (/static/, the admin's /admin/jsi18n/) and
# embed data only as json_script; any other script, img, svg or iframe element, or any
# on…= attribute, came from untrusted text.
LIVE_ELEMENT = re.compile(
    r"<script\b(?![^>]*\b(src=\"/(?!/)|type=\"application/json\"))|<(img|svg|iframe)\b"
)
EVENT_ATTRIBUTE = re.compile(r"<[a-z]+\b[^>]*\son[a-z]+=")


# --- Test-only URLs: a view that crashes, to see the 500 page ---------------------------
def _explode(request):
    raise RuntimeError("secret-detail-in-exception")


urlpatterns = [
    path("boom/", _explode),
    path("", include("archive.urls")),
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def evil_archive() -> Article:
    """An indexed archive whose names, title and body all carry markup."""
    source = Source.objects.create(name=EVIL_SOURCE, name_en=EVIL_SOURCE, slug="evil")
    tag = Tag.objects.create(name_zh=EVIL_TAG, name_en=EVIL_TAG, slug="evil-tag")
    article = Article.objects.create(
        title=EVIL_TITLE,
        body=EVIL_BODY,
        language=Language.SIMPLIFIED,
        source=source,
        external_id="evil-1",
        fingerprint="e",
    )
    ArticleTag.objects.create(article=article, tag=tag)
    Article.objects.create(
        title="Economy reform",
        body="economy reform plan",
        language=Language.ENGLISH,
        external_id="en-1",
        fingerprint="f",
    )
    drain_queue()
    return article


def assert_no_live_markup(html: str, where: str) -> None:
    match = LIVE_ELEMENT.search(html) or EVENT_ATTRIBUTE.search(re.sub(r'="[^"]*"', '=""', html))
    assert match is None, f"{where}: live markup {match and match.group(0)!r}"
    assert not re.search(r"(href|src)=\"\s*javascript:", html), where


# --- S4/S5/S7/S8: fuzzing search never gives a 500 ---------------------------------------
METACHARS = st.sampled_from(
    list("\"()[]{}*?~^:!+-&|\\/<>'`%") + [" OR ", " AND ", " NOT ", "TO", "django_ct:", "title:"]
)
CJK = st.sampled_from(["经济", "改革", "稀土", "衛生", "中华人民共和国", "economy", "ä¸­æ–‡"])
QUERY = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=60),
    st.lists(st.one_of(METACHARS, CJK), max_size=25).map("".join),
    st.text(st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=10),
    st.just("(" * 3000),
    st.just("经" * 5000),
)
ANY_VALUE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "-1",
            "0",
            "1",
            "1.5",
            "abc",
            "9" * 40,
            "last",
            "2024-02-30",
            "99999",
            "9999-12-31",
            "0001-01-01",
        ]
    ),
    st.sampled_from(["source_exact:x", '":~', "text:[a TO z] OR source_exact:x", "zh-hans"]),
)
PARAM_NAMES = st.sampled_from(
    [
        "page",
        "page_size",
        "source",
        "topic",
        "lang",
        "language",
        "year",
        "month",
        "date",
        "start",
        "end",
        "date_from",
        "date_to",
        "sort",
        "selected_facets",
        "script",
        "x",
    ]
)
PARAMS = st.lists(st.tuples(PARAM_NAMES, ANY_VALUE), max_size=6)
FUZZ = hsettings(
    # 60 per endpoint in CI; set ARCHIVE_FUZZ_EXAMPLES=2000 for a longer local hunt.
    max_examples=int(os.environ.get("ARCHIVE_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# 414: a request line over the site's limit (archive.web.request_limits), e.g. "经" × 5000.
FUZZ_STATUSES = {200, 400, 404, 414}


@pytest.fixture
def fuzz_client():
    evil_archive()
    return Client(raise_request_exception=False)


def _fuzz_request(client, url, q, params):
    data: dict[str, list[str]] = {"q": [q]}
    for name, value in params:
        data.setdefault(name, []).append(value)
    response = client.get(url, data, **EN)
    return response


@FUZZ
@given(q=QUERY, params=PARAMS)
def test_search_page_fuzzed_input_never_500(fuzz_client, q, params):
    response = _fuzz_request(fuzz_client, "/search/", q, params)
    assert response.status_code in FUZZ_STATUSES, (q, params)
    html = response.content.decode()
    assert "Traceback" not in html
    assert_no_live_markup(html, "search page")


@FUZZ
@given(q=QUERY, params=PARAMS)
def test_api_search_fuzzed_input_never_500(fuzz_client, q, params):
    response = _fuzz_request(fuzz_client, "/api/search", q, params)
    assert response.status_code in FUZZ_STATUSES, (q, params)
    assert response["Content-Type"].startswith("application/json")
    json.loads(response.content)


@FUZZ
@given(q=QUERY, params=PARAMS)
def test_search_feed_fuzzed_input_never_500(fuzz_client, q, params):
    response = _fuzz_request(fuzz_client, "/feeds/search/", q, params)
    assert response.status_code in FUZZ_STATUSES, (q, params)


BROWSE_URLS = st.sampled_from(
    [
        "/",
        "/topics/",
        "/sources/",
        "/topics/evil-tag/",
        "/sources/evil/",
        "/archive/2025/",
        "/archive/2025/9/",
        "/articles/1/",
        "/api/articles/1",
        "/feeds/latest/",
        "/sitemap.xml",
        "/opensearch.xml",
    ]
)


@FUZZ
@given(url=BROWSE_URLS, params=PARAMS)
def test_browse_pages_fuzzed_params_never_500(fuzz_client, url, params):
    data: dict[str, list[str]] = {}
    for name, value in params:
        data.setdefault(name, []).append(value)
    response = fuzz_client.get(url, data, **EN)
    assert response.status_code in {200, 400, 404}, (url, params)


@pytest.mark.parametrize("raw", ["q=%FF%FE", "q=%E7%BB%8F%00%E6", "q=%C0%AF", "q=%ED%A0%80"])
@pytest.mark.parametrize("url", ["/search/", "/api/search", "/feeds/search/"])
def test_search_invalid_utf8_in_the_address_is_not_a_500(client, url, raw):
    evil_archive()
    client.raise_request_exception = False
    assert client.get(f"{url}?{raw}", **EN).status_code in {200, 400}


def test_feeds_survive_control_characters_in_stored_text(client):
    source = Source.objects.create(name="Bad\x0bSource", slug="bad")
    Article.objects.create(
        title="经济\x1b改革\x1f",  # no NUL: PostgreSQL refuses it and forms reject it
        body="正文\x0c第二段",
        language=Language.SIMPLIFIED,
        source=source,
        external_id="ctl",
        fingerprint="c",
        authors=["作者\x07"],
    )
    drain_queue()
    for url in [
        "/feeds/latest/",
        "/feeds/latest/atom/",
        "/feeds/sources/bad/",
        "/feeds/search/?q=经济",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        from xml.etree import ElementTree

        ElementTree.fromstring(response.content)  # well-formed XML


def test_search_engine_syntax_never_reaches_the_engine(client):
    evil_archive()
    # The archive's own fields filter as documented; a source it lacks matches nothing.
    html = client.get("/search/", {"q": "source:Reuters"}, **EN).content.decode()
    assert "Economy reform" not in html and "No source is called" in html
    for q in ["title:* OR django_ct:*", "*e*", "published:[* TO *]", "economy~9", "e*"]:
        response = client.get("/search/", {"q": q}, **EN)
        assert response.status_code == 200, q
        assert response.context["results"].total == 0, q
    # A prefix is expanded against the index's own words, never passed on as a wildcard.
    assert client.get("/search/", {"q": "eco*"}, **EN).context["results"].total == 1
    # A bare "*" is no query at all: the same browse-everything page as an empty box.
    star = client.get("/search/", {"q": "*"}).context["results"].total
    assert star == client.get("/search/", {"q": ""}).context["results"].total


@pytest.mark.parametrize("url", ["/search/", "/api/search", "/feeds/search/"])
def test_search_last_possible_end_date_is_not_a_500(url):
    drain_queue()  # an (empty) index, so an unbuilt index's 503 cannot hide a 500
    client = Client(raise_request_exception=False)
    response = client.get(url, {"date_from": "0001-01-01", "date_to": "9999-12-31"}, **EN)
    assert response.status_code in {200, 400}


def test_search_repeated_page_uses_the_last_value(client):
    for n in range(25):
        Article.objects.create(
            title=f"经济 {n}",
            body="经济",
            language=Language.SIMPLIFIED,
            external_id=f"p{n}",
            fingerprint="p",
        )
    drain_queue()
    first = client.get("/search/?q=经济&page=2&page=1")
    again = client.get("/search/?q=经济&page=1")
    assert first.status_code == again.status_code == 200
    assert first.context["results"].page == 1


def _search_outcome(response, plain_ids: list[int]) -> str:
    """What search made of a request: refused, ignored (the plain query's results) or else."""
    if response.status_code in {400, 414}:
        return "refused"
    assert response.status_code == 200, response.status_code
    assert "Traceback" not in response.content.decode()
    ids = [hit.article.pk for hit in response.context["results"].hits]
    if ids == plain_ids:
        return "ignored"
    return "nothing" if not ids else f"other results {ids}"


@pytest.mark.parametrize(
    "query,allowed",
    [
        # Not a parameter of ours (stock haystack's): ignored, never parsed as a query.
        ("selected_facets=%22%3A~", {"ignored"}),
        ("selected_facets=economicgrowthpolicies~9%20OR%20source_exact:x", {"ignored"}),
        ("&".join(["selected_facets=source_exact:x"] * 1200), {"refused"}),
        # Query syntax in a filter value: refused, never run as a query.
        ("source=text:[a%20TO%20z]%20OR%20source_exact:x", {"refused"}),
        ("source=nosuch:foo", {"refused"}),
        ("source=" + "x" * 10000, {"refused"}),
        # A well-formed name of no topic narrows to nothing; it never widens the results.
        ("topic=garbage", {"refused", "nothing"}),
    ],
    ids=lambda v: v[:40] if isinstance(v, str) else None,
)
def test_search_facet_attacks_are_refused_or_ignored(client, query, allowed):
    evil_archive()
    client.raise_request_exception = False
    plain = client.get("/search/?q=经济", **EN)
    plain_ids = [hit.article.pk for hit in plain.context["results"].hits]
    assert plain_ids  # so "ignored" and "nothing" differ
    outcome = _search_outcome(client.get(f"/search/?q=经济&{query}", **EN), plain_ids)
    assert outcome in allowed, (query[:60], outcome)


# --- S10 / W7: stored and reflected XSS ------------------------------------------------
def test_stored_markup_is_escaped_in_results_facets_and_article(client):
    article = evil_archive()
    pages = {
        "results": client.get("/search/", {"q": "经济"}, **EN),
        "facets": client.get("/search/", {"q": "经济", "source": "evil"}, **EN),
        "topic facet": client.get("/search/", {"topic": "evil-tag"}, **EN),
        "article": client.get(article.get_absolute_url(), **EN),
        "source page": client.get("/sources/evil/", **EN),
        "topic page": client.get("/topics/evil-tag/", **EN),
        "home": client.get("/", **EN),
    }
    for where, response in pages.items():
        assert response.status_code == 200, where
        assert_no_live_markup(response.content.decode(), where)
    results = pages["results"].content.decode()
    assert "&lt;img" in results and "&lt;svg" in results
    assert "&lt;script&gt;" in results  # the tag's name in the facet list, escaped
    assert "&quot;&gt;&lt;img" in results  # the source's name in the facet list
    highlights = re.findall(r"<(mark|span|em|b|strong)\b[^>]*>经济", results)
    assert highlights, "the query is still highlighted with live markup"


def test_facet_links_are_url_encoded(client):
    Source.objects.create(name="A & B", slug="a-b")
    evil_archive()
    html = client.get("/search/", {"q": "经济"}, **EN).content.decode()
    for href in re.findall(r'href="([^"]*)"', html):
        assert "<" not in href and ">" not in href and " " not in href, href


def test_stored_markup_is_plain_text_in_feeds_and_api(client):
    article = evil_archive()
    for url in [
        "/feeds/search/?q=经济",
        "/feeds/search/atom/?q=经济",
        "/feeds/sources/evil/",
        "/feeds/topics/evil-tag/",
        "/feeds/latest/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert not re.search(r"<(script|img|svg|iframe)\b", body), url
    data = client.get("/api/search", {"q": "经济"}).json()
    hit = next(r for r in data["results"] if r["id"] == article.pk)
    assert hit["title"] == EVIL_TITLE  # raw text in JSON fields, for clients to escape
    for field in ("title_html", "snippet_html"):
        assert_no_live_markup(hit[field], field)
    response = client.get(
        article.get_absolute_url().rstrip("/").replace("/articles", "/api/articles")
    )
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "q",
    [
        "<script>alert(1)</script>",
        '"><svg onload=alert(1)>',
        "' onmouseover='x",
        "经济</title><script>alert(1)</script>",
        "</textarea><img src=x onerror=alert(1)>",
    ],
)
def test_reflected_query_is_escaped_everywhere(client, q):
    evil_archive()
    for url in ["/search/", "/feeds/search/"]:
        body = client.get(url, {"q": q}, **EN).content.decode()
        assert "<script>alert" not in body and "<svg onload" not in body, url
        assert "<img src=x" not in body, url
    # The API echoes the raw text, but as JSON that no browser renders as HTML.
    api = client.get("/api/search", {"q": q})
    assert api["Content-Type"] == "application/json" and api.json()["query"] == q
    html = client.get("/search/", {"q": q}, **EN).content.decode()
    for value in re.findall(r'value="([^"]*)"', html):
        assert "<" not in value and "'" not in value, value


# --- W2 / W3 / W4: headers, errors, protocol hygiene -----------------------------------
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def test_security_headers_on_every_kind_of_page(client):
    article = evil_archive()
    for url in [
        "/",
        "/search/?q=x",
        article.get_absolute_url(),
        "/admin/login/",
        "/nonexistent/",
        "/api/search?q=x",
        "/feeds/latest/",
        "/search/?page=abc",
    ]:
        response = client.get(url, **EN)
        for name, value in SECURITY_HEADERS.items():
            assert response.get(name) == value, (url, name)
        csp = response.get("Content-Security-Policy", "")
        for directive in [
            "default-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]:
            assert directive in csp, (url, directive)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
    # The Server header comes from gunicorn or nginx, not Django: checked on real
    # responses in tests/deploy/test_nginx.py (test_no_server_version_from_nginx_or_gunicorn).


def test_https_deployment_sends_hsts_and_secure_cookies(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    response = client.get("/admin/login/", secure=True)
    assert "max-age=31536000" in response["Strict-Transport-Security"]
    csrf = response.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    from django.contrib.auth import get_user_model

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_user_model().objects.create_superuser("boss", "b@example.org", "pw-123456789-abc")
    login = client.post(
        "/admin/login/?next=/admin/",
        {"username": "boss", "password": "pw-123456789-abc"},
        secure=True,
    )
    assert login.status_code == 302
    session = login.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_bad_host_is_a_400(client):
    client.raise_request_exception = False
    response = client.get("/", HTTP_HOST="evil.example", **EN)
    assert response.status_code == 400
    assert "Traceback" not in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/search/", "/api/search", "/api/articles/1", "/feeds/latest/", "/feeds/search/", "/healthz"],
)
def test_trace_put_delete_are_refused(client, url):
    evil_archive()
    for method in ["TRACE", "PUT", "DELETE"]:
        assert client.generic(method, url).status_code == 405, (method, url)


def test_article_page_refuses_trace_and_post(client):
    article = evil_archive()
    assert client.generic("TRACE", article.get_absolute_url()).status_code == 405
    assert client.post(article.get_absolute_url()).status_code == 405


@pytest.mark.parametrize(
    "url", ["/.git/config", "/static/../settings.py", "/static/..%2Fsettings.py", "/.env"]
)
def test_private_files_are_not_served(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert b"SECRET_KEY" not in response.content


@pytest.mark.urls("tests.web.test_security")
def test_server_error_page_is_generic(settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", **EN)
    assert response.status_code == 500
    html = response.content.decode()
    assert "secret-detail-in-exception" not in html and "Traceback" not in html
    assert "SECRET_KEY" not in html and "urlpatterns" not in html
    assert "Something went wrong" in html


def test_not_found_page_lists_no_urls(client, settings):
    settings.DEBUG = False
    html = client.get("/nonexistent/", **EN).content.decode()
    assert "URLconf" not in html and "admin/" not in html.split("<main")[-1][:2000]


# --- W1: release gates -------------------------------------------------------------------
def test_deploy_check_passes_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "news.example.org",
        "ARCHIVE_VAR_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# Only the escaping highlighter's output may bypass autoescaping.
ALLOWED_SAFE = {
    ("templates/search/includes/archive.article.html", "hit.title_html|safe"),
    ("templates/search/includes/archive.article.html", "hit.snippet_html|safe"),
}


def test_only_highlighter_output_skips_autoescape():
    root = django_settings.BASE_DIR
    found = set()
    for file in (root / "templates").rglob("*.html"):
        text = file.read_text(encoding="utf-8")
        assert "{% autoescape off" not in text, file
        for match in re.finditer(r"([\w.]+)\|safe\b", text):
            found.add((str(file.relative_to(root)), match.group(0)))
    assert found <= ALLOWED_SAFE
    for file in (root / "archive").rglob("*.py"):
        text = file.read_text(encoding="utf-8")
        assert "yaml.load(" not in text and "shell=True" not in text, file
        if "mark_safe(" in text or "SafeString(" in text:
            assert file.parent.name == "search" and file.name == "highlight.py", file


def test_source_homepage_with_javascript_is_not_linked(client):
    Source.objects.create(name="Evil", slug="evil-home", homepage="javascript:alert(5)")
    html = client.get("/sources/evil-home/", **EN).content.decode()
    assert "javascript:" not in html


# --- W7 in the admin: change pages and the bulk-action page -----------------------------
def test_admin_change_and_action_pages_escape_stored_names(client, settings):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    boss = get_user_model().objects.create_superuser("boss", "b@example.org", "pw-123456789-abc")
    client.force_login(boss)
    article = evil_archive()
    source, tag = article.source, Tag.objects.get(slug="evil-tag")
    other = Tag.objects.create(name_zh="<b>别名</b>", name_en="<i>alias</i>", slug="alias")
    other.merged_into = tag
    other.save()
    pages = {
        "article change": client.get(reverse("admin:archive_article_change", args=[article.pk])),
        "tag change": client.get(reverse("admin:archive_tag_change", args=[tag.pk])),
        "source change": client.get(reverse("admin:archive_source_change", args=[source.pk])),
        "action page": client.post(
            reverse("admin:archive_article_changelist"),
            {"action": "add_topic_action", "_selected_action": [str(article.pk)], "index": 0},
        ),
        "history": client.get(reverse("admin:archive_article_history", args=[article.pk])),
    }
    for where, response in pages.items():
        assert response.status_code == 200, where
        html = response.content.decode()  # the admin has its own svg icons and scripts
        for payload in ["<script>alert", "<img src=x", "<svg onload", "<iframe", "<b>别名", "<i>"]:
            assert payload not in html, (where, payload)
    autocomplete = client.get(
        "/admin/autocomplete/",
        {"app_label": "archive", "model_name": "articletag", "field_name": "tag", "term": "scr"},
    )
    assert autocomplete["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "javascript:x"])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.post("/i18n/setlang/", {"language": "en", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


# --- Deployment defaults: debug, secret key, cookies ------------------------------------
SHOW_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.DEBUG, s.SECRET_KEY.startswith('django-insecure'), s.LANGUAGE_COOKIE_SECURE)"
)


def _manage(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_overrides}
    for name in ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DJANGO_HTTPS", "DATABASE_URL"):
        if name not in env_overrides:
            env.pop(name, None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_is_off_unless_asked_for_and_only_debug_uses_the_development_key(tmp_path):
    var = {"ARCHIVE_VAR_DIR": str(tmp_path)}
    nothing_set = _manage(var, "check")
    assert nothing_set.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in nothing_set.stderr
    key_only = _manage(
        {**var, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}, "shell", "-v0", "-c", SHOW_SETTINGS
    )
    assert key_only.stdout.split() == ["False", "False", "False"], key_only.stderr
    debug = _manage({**var, "DJANGO_DEBUG": "1"}, "shell", "-v0", "-c", SHOW_SETTINGS)
    assert debug.stdout.split() == ["True", "True", "False"], debug.stderr
    https = _manage(
        {**var, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_HTTPS": "1"},
        "shell",
        "-v0",
        "-c",
        SHOW_SETTINGS,
    )
    assert https.stdout.split() == ["False", "False", "True"], https.stderr


def test_language_cookie_is_lax_http_only_and_follows_https(client, settings):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["samesite"] == "Lax" and cookie["httponly"]
    assert not cookie["secure"]  # DJANGO_HTTPS is off here; the subprocess test above turns it on
    settings.LANGUAGE_COOKIE_SECURE = settings.HTTPS = True
    secure = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, secure=True)
    assert secure.cookies[settings.LANGUAGE_COOKIE_NAME]["secure"]


def test_article_page_shows_the_source_file_name_not_its_server_path(client):
    article = Article.objects.create(
        title="经济报道",
        body="正文",
        language=Language.SIMPLIFIED,
        external_id="path-1",
        fingerprint="p",
        source_file="/srv/private/corpus/2024/经济报道.html",
    )
    html = client.get(article.get_absolute_url(), **EN).content.decode()
    assert "<code>经济报道.html</code>" in html
    assert "/srv/private" not in html and "corpus/2024" not in html


# --- Admin login: lock-outs per user name and per address; idle sessions ---------------
ADMIN_PASSWORD = "pw-123456789-abc"


@pytest.fixture
def admins(settings):
    """Two staff accounts, "boss" and "wang", with a fast hasher."""
    from django.contrib.auth import get_user_model

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = get_user_model().objects
    return [
        users.create_superuser("boss", "b@example.org", ADMIN_PASSWORD),
        users.create_superuser("wang", "w@example.org", ADMIN_PASSWORD),
    ]


def _admin_login(username: str, password: str, **extra) -> int:
    """Status of one login attempt from a fresh browser (no cookies carried over)."""
    response = Client().post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, **extra
    )
    return response.status_code


def test_login_locks_one_user_name_after_n_failures_but_not_the_address(admins, settings):
    n = settings.AXES_FAILURE_LIMIT
    assert [_admin_login("boss", "wrong") for _ in range(n)] == [200] * (n - 1) + [429]
    assert _admin_login("boss", ADMIN_PASSWORD) == 429  # locked even with the right password
    assert _admin_login("wang", ADMIN_PASSWORD) == 302  # another account from the same address
    assert _admin_login("boss", ADMIN_PASSWORD, REMOTE_ADDR="192.0.2.9") == 302  # elsewhere


def test_login_locks_an_address_spraying_many_user_names(admins, settings):
    settings.ARCHIVE_LOGIN_ADDRESS_FAILURE_LIMIT = m = 8
    assert m > settings.AXES_FAILURE_LIMIT
    # One failure each for m different names: no name reaches its own limit.
    statuses = [_admin_login(f"user{i}", "wrong") for i in range(m)]
    assert statuses == [200] * (m - 1) + [429]
    assert _admin_login("wang", ADMIN_PASSWORD) == 429  # the whole address is locked
    assert _admin_login("wang", ADMIN_PASSWORD, REMOTE_ADDR="192.0.2.9") == 302


def test_forwarded_for_counts_only_behind_the_proxy(admins, settings):
    from axes.models import AccessAttempt

    settings.ARCHIVE_LOGIN_ADDRESS_FAILURE_LIMIT = m = 8
    # Not behind a proxy: a client inventing X-Forwarded-For addresses is still one address.
    statuses = [
        _admin_login(f"user{i}", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}") for i in range(m)
    ]
    assert statuses[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    # Behind nginx (DJANGO_BEHIND_PROXY=1) the address is the last entry, the proxy's own:
    # what the client wrote before it changes nothing.
    AccessAttempt.objects.all().delete()
    settings.BEHIND_PROXY = True
    statuses = [
        _admin_login(f"user{i}", "wrong", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, 203.0.113.7")
        for i in range(m)
    ]
    assert statuses[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    assert _admin_login("wang", ADMIN_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.8") == 302


def test_admin_session_ends_after_the_idle_timeout(admins, settings):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = Client()
    login = client.post(
        "/admin/login/?next=/admin/", {"username": "boss", "password": ADMIN_PASSWORD}
    )
    assert login.status_code == 302
    idle = settings.SESSION_COOKIE_AGE
    assert idle == 30 * 60 and login.cookies["sessionid"]["max-age"] == idle
    session = Session.objects.get()
    # Activity restarts the clock: a session about to expire is extended by a request.
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
    assert client.get("/admin/").status_code == 200
    session.refresh_from_db()
    assert session.expire_date > timezone.now() + timedelta(seconds=idle - 60)
    # Idle past the timeout: signed out, back to the login page.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# --- S3: a query over the in-app limit, over HTTP ----------------------------------------
LONG_QUERY = "经" * 201


def _shortened_search(client, language: str):
    from tests.factories import make_article

    make_article("经济改革", "经济改革继续推进。")
    drain_queue()
    response = client.get("/search/", {"q": LONG_QUERY}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Traceback" not in html
    notices = re.findall(r'<p class="message" role="status">(.*?)</p>', html, re.S)
    assert len(notices) == 1, notices
    # What the search ran on, as the page shows it ("Searched for the words: …").
    understood = html.split('<div class="understood">', 1)[1].split("</div>", 1)[0]
    searched = "".join(re.findall(r'<span class="segment">([^<]*)</span>', understood))
    assert searched == "经" * 200  # the first 200 characters, not the 201st
    return notices[0]


def test_search_201_characters_over_http_is_shortened_with_a_notice(client):
    notice = _shortened_search(client, "en")
    assert notice == "The query was shortened to its first 200 characters."


def test_search_201_characters_notice_is_in_chinese_in_the_chinese_interface(client):
    notice = _shortened_search(client, "zh-hans")
    assert "200" in notice
    assert "shortened" not in notice and re.search(r"[\u4e00-\u9fff]", notice), notice


# --- W3: a server error reaches the operator ---------------------------------------------
@pytest.mark.urls("tests.web.test_security")
def test_server_error_is_logged_with_its_stack_and_mailed_to_admins(settings, caplog, mailoutbox):
    settings.DEBUG = False
    settings.ADMINS = [("Ops", "ops@example.org")]
    client = Client(raise_request_exception=False)
    with caplog.at_level("ERROR", logger="django.request"):
        assert client.get("/boom/", **EN).status_code == 500
    logged = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert len(logged) == 1, [r.getMessage() for r in caplog.records]
    record = logged[0]
    assert "/boom/" in record.getMessage()
    assert record.exc_info and record.exc_info[0] is RuntimeError
    assert "secret-detail-in-exception" in str(record.exc_info[1])
    assert "_explode" in caplog.text  # the stack, down to the failing view
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ops@example.org"] and "/boom/" in mail.subject
    assert "RuntimeError" in mail.body and "_explode" in mail.body


# --- W4 / ASVS 13.4.1: no .git in the production image -----------------------------------
def _dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Docker's rule: the last pattern matching the path or a folder above it decides."""

    def regex(pattern: str) -> re.Pattern:
        parts = re.split(r"(\*\*/?|\*|\?)", pattern.strip("/"))
        wild = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
        return re.compile("".join(wild.get(part, re.escape(part)) for part in parts))

    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        compiled = regex(pattern.removeprefix("!"))
        if any(compiled.fullmatch(prefix) for prefix in prefixes):
            excluded = not negated
    return excluded


def _image_build():
    import yaml

    base = django_settings.BASE_DIR
    compose = yaml.safe_load((base / "docker-compose.yml").read_text())
    build = compose["services"]["web"]["build"]
    context = (base / build["context"]).resolve()
    dockerfile = context / build["dockerfile"]
    # BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile before <context>/.dockerignore.
    candidates = [
        dockerfile.with_name(dockerfile.name + ".dockerignore"),
        context / ".dockerignore",
    ]
    ignore = next((c for c in candidates if c.exists()), None)
    assert ignore is not None, f"no ignore file for {dockerfile} (looked at {candidates})"
    patterns = [
        line.strip()
        for line in ignore.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    return dockerfile, patterns


def test_image_build_context_leaves_out_git_the_database_and_the_virtualenv():
    dockerfile, patterns = _image_build()
    for private in [".git/config", ".git/HEAD", "var/archive.sqlite3", ".venv/bin/python"]:
        assert _dockerignore_excludes(patterns, private), (private, patterns)
    for needed in ["manage.py", "archive/settings.py", "requirements.txt", "templates/base.html"]:
        assert not _dockerignore_excludes(patterns, needed), (needed, patterns)

    copies = [
        line.split()[1:]
        for line in dockerfile.read_text().splitlines()
        if line.split()[:1] and line.split()[0].upper() in {"COPY", "ADD"}
    ]
    assert copies
    for args in copies:
        sources = [a for a in args[:-1] if not a.startswith("--")]
        assert not any(".git" in source for source in sources), args
        assert not any(a.startswith("--from") for a in args), args  # no other context
