"""Reader pages: what a reader sees on home, article, list and archive pages."""

import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from archive.models import Article, ArticleTag, Source, Tag
from archive.search.indexer import drain_queue
from tests.factories import make_archive, numbered_article

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def text_of(response) -> str:
    return response.content.decode()


def test_home_shows_search_latest_topics_sources_and_months(client):
    make_archive()
    html = text_of(client.get("/", **ZH))
    assert 'role="search"' in html and 'name="q"' in html
    assert "内蒙古打造稀土交易中心" in html and "Rare earth prices rise" in html
    assert "/topics/economy/" in html and "经济" in html
    assert re.search(r"经济</a> <span class=\"count\">2</span>", html)
    assert "/sources/xinhua/" in html
    assert "/archive/2021/12/" in html and "2021年12月" in html
    assert "/archive/1987/3/" in html


def test_home_interface_follows_accept_language(client):
    make_archive()
    zh = text_of(client.get("/", **ZH))
    en = text_of(client.get("/", **EN))
    assert '<html lang="zh-Hans">' in zh and "最新文章" in zh
    assert '<html lang="en">' in en and "Latest articles" in en
    # topic names follow the interface; article titles never change
    assert ">Economy</a>" in en and "内蒙古打造稀土交易中心" in en
    assert "December 2021" in en


def test_language_switch_sets_the_interface_language(client):
    make_archive()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/topics/"}, **ZH)
    assert response.status_code == 302 and response["Location"] == "/topics/"
    html = text_of(client.get("/topics/", **ZH))
    assert "<h1>Topics</h1>" in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "<h1>主题</h1>" in text_of(client.get("/topics/", **EN))


def test_home_without_articles_explains_how_to_load(client):
    html = text_of(client.get("/", **EN))
    assert "load_seeds" in html


def test_article_page_shows_metadata_body_and_provenance(client):
    data = make_archive()
    article = data["hans"]
    html = text_of(client.get(article.get_absolute_url(), **ZH))
    assert "<title>内蒙古打造稀土交易中心 · 新华社 · 新闻档案</title>" in html
    assert 'class="subtitle" lang="zh-Hans">包头稀土产业升级' in html
    assert 'class="article-body" lang="zh-Hans"' in html
    assert "<p>包头市人民政府发布稀土产业规划。</p>" in html
    assert "彭强" in html and "21世纪经济报道" in html
    assert '<time datetime="2021-12-13T13:05+08:00">2021年12月13日 13:05</time>' in html
    assert "<code>000_e5c6d7836d39fef1.txt</code>" in html and "seeds/000" not in html
    assert "repaired encoding (gbk)" in html
    assert f'href="/api/articles/{article.pk}"' in html
    assert client.get(f"/api/articles/{article.pk}").json()["title"] == article.title
    assert f'<link rel="canonical" href="http://testserver/articles/{article.pk}/">' in html
    assert 'href="/topics/economy/"' in html


def test_article_page_follows_edits_at_once_though_it_is_cached(client):
    data = make_archive()
    article, url = data["hans"], data["hans"].get_absolute_url()
    assert 'href="/topics/health/"' not in text_of(client.get(url, **ZH))
    ArticleTag.objects.create(article=article, tag=data["health"])
    assert 'href="/topics/health/"' in text_of(client.get(url, **ZH))
    article.title = "内蒙古稀土交易中心揭牌"
    article.save()
    html = text_of(client.get(url, **ZH))
    assert "<title>内蒙古稀土交易中心揭牌 · 新华社" in html
    assert "Home" in text_of(client.get(url, **EN))  # each interface language its own copy
    Article.objects.filter(pk=article.pk).delete()
    assert client.get(url, **ZH).status_code == 404


def _language_switch_token(html: str) -> str:
    form = re.search(r'<form class="language-switch".*?</form>', html, re.S).group(0)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)


def test_cached_article_page_gives_each_reader_a_language_switch_that_works():
    from django.test import Client

    data = make_archive()
    url = data["hans"].get_absolute_url()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_html = text_of(first.get(url, **ZH))
    second_html = text_of(second.get(url, **ZH))  # served from the page cache
    mine, theirs = _language_switch_token(first_html), _language_switch_token(second_html)
    assert mine != theirs
    switch = {"language": "en", "next": url}
    refused = second.post("/i18n/setlang/", {**switch, "csrfmiddlewaretoken": mine})
    assert refused.status_code == 403
    switched = second.post("/i18n/setlang/", {**switch, "csrfmiddlewaretoken": theirs})
    assert switched.status_code == 302 and switched["Location"] == url
    assert '<html lang="en">' in text_of(second.get(url))


def test_cached_article_page_is_kept_per_host(client, settings):
    settings.ALLOWED_HOSTS = ["archive.example", "mirror.example"]
    url = make_archive()["hans"].get_absolute_url()
    first = text_of(client.get(url, HTTP_HOST="archive.example", **ZH))
    second = text_of(client.get(url, HTTP_HOST="mirror.example", **ZH))
    assert f'href="http://archive.example{url}"' in first
    assert f'href="http://mirror.example{url}"' in second


def test_article_page_is_served_when_the_page_cache_cannot_be_used(client, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    settings.CACHES = {
        **settings.CACHES,
        "pages": {**settings.CACHES["pages"], "LOCATION": str(blocker / "pages")},
    }
    url = make_archive()["hans"].get_absolute_url()
    for _ in range(2):
        response = client.get(url, **ZH)
        assert response.status_code == 200 and "内蒙古打造稀土交易中心" in text_of(response)


def test_article_day_only_date_shows_only_the_day(client):
    data = make_archive()
    html = text_of(client.get(data["hant"].get_absolute_url(), **EN))
    assert '<time datetime="2021-03-02">March 2, 2021</time>' in html
    assert "00:00" not in html


def test_article_script_switch_converts_for_reading(client):
    data = make_archive()
    url = data["hans"].get_absolute_url()
    html = text_of(client.get(url + "?script=hant", **ZH))
    assert 'lang="zh-Hant">內蒙古打造稀土交易中心' in html
    assert "<p>包頭市人民政府發佈稀土產業規劃。</p>" in html
    assert "已自动转换字体" in html
    html = text_of(client.get(data["hant"].get_absolute_url() + "?script=hans", **ZH))
    assert 'class="article-body" lang="zh-Hans"' in html
    assert "<p>卫生福利部今日发布疫苗接种统计。</p>" in html
    # English has no script switch and ignores the parameter
    html = text_of(client.get(data["en"].get_absolute_url() + "?script=hant", **EN))
    assert "script-switch" not in html and "Rare earth prices rise" in html


def test_article_bad_script_is_a_friendly_400(client):
    data = make_archive()
    response = client.get(data["hans"].get_absolute_url() + "?script=latin", **EN)
    assert response.status_code == 400
    assert "The script must be" in text_of(response)
    assert "Traceback" not in text_of(response)


@pytest.mark.parametrize("path", ["/articles/999/", "/articles/99999999999999999999999/"])
def test_article_missing_is_404_in_site_style(client, path):
    response = client.get(path, **EN)
    assert response.status_code == 404
    assert "Page not found" in text_of(response) and 'class="site-header"' in text_of(response)


def test_untrusted_names_and_text_are_escaped(client):
    source = Source.objects.create(name='"><img src=x onerror=alert(1)>', slug="evil")
    tag = Tag.objects.create(name_zh="<script>alert(1)</script>", name_en="x", slug="evil-tag")
    article = numbered_article(
        9,
        title="<script>alert(2)</script>",
        body="经济 <img src=x onerror=alert(3)//",
        source=source,
        url="javascript:alert(4)",
        quality_notes=[{"note": "<b>x</b>"}],
    )
    ArticleTag.objects.create(article=article, tag=tag)
    for path in [
        "/",
        article.get_absolute_url(),
        "/sources/evil/",
        "/topics/evil-tag/",
        "/topics/",
    ]:
        html = text_of(client.get(path, **ZH))
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "javascript:alert" not in html, path
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in text_of(
        client.get(article.get_absolute_url())
    )


def test_source_and_topic_pages_paginate(client):
    data = make_archive()
    for n in range(10, 35):
        numbered_article(n, source=data["xinhua"])
    page1 = text_of(client.get("/sources/xinhua/", **EN))
    assert "26 articles" in page1 and "Page 1 of 2" in page1
    assert 'href="?page=2"' in page1
    page2 = client.get("/sources/xinhua/?page=2", **EN)
    assert page2.status_code == 200 and "Page 2 of 2" in text_of(page2)
    assert '<link rel="canonical" href="http://testserver/sources/xinhua/?page=2">' in text_of(
        page2
    )
    assert client.get("/sources/xinhua/?page=last", **EN).status_code == 200
    topic = text_of(client.get("/topics/economy/", **EN))
    assert "<h1>Economy</h1>" in topic and "2 articles" in topic
    assert "Rare earth prices rise" in topic and "衛生福利部" not in topic


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "9" * 40])
def test_list_bad_page_is_a_friendly_400(client, page):
    make_archive()
    response = client.get(f"/topics/economy/?page={page}", **EN)
    assert response.status_code == 400
    assert "page number" in text_of(response)


def test_list_page_past_the_end_is_a_friendly_400(client):
    make_archive()
    response = client.get("/topics/economy/?page=7", **EN)
    assert response.status_code == 400
    assert "the last page is 1" in text_of(response)


def test_date_archive_uses_the_archive_time_zone(client):
    data = make_archive()
    # 31 August 20:00 UTC is already 1 September in Shanghai
    late = numbered_article(
        50, title="九月第一篇", published_at=datetime(2025, 8, 31, 20, 0, tzinfo=UTC)
    )
    september = text_of(client.get("/archive/2025/9/", **ZH))
    assert late.title in september and "2025年9月的文章" in september
    assert late.title not in text_of(client.get("/archive/2025/8/", **ZH))
    year = text_of(client.get("/archive/2021/", **EN))
    assert data["hans"].title in year and data["hant"].title in year
    assert "/archive/2021/3/" in year and "/archive/2021/12/" in year


def test_date_archive_first_and_last_years_are_served(client):
    first = numbered_article(60, title="公元元年", published_at=datetime(1, 1, 1, 12, tzinfo=UTC))
    last = numbered_article(61, title="九九九八年", published_at=datetime(9998, 12, 31, tzinfo=UTC))
    for path, article in [
        ("/archive/1/", first),
        ("/archive/1/1/", first),
        ("/archive/9998/", last),
        ("/archive/9998/12/", last),
    ]:
        response = client.get(path, **ZH)
        assert response.status_code == 200, path
        assert article.title in text_of(response), path


@pytest.mark.parametrize("path", ["/archive/0/", "/archive/99999/", "/archive/2025/13/"])
def test_date_archive_rejects_impossible_dates(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/", "/topics/", "/sources/", "/robots.txt", "/archive/2021/"])
def test_pages_refuse_trace_and_post(client, path):
    assert client.generic("TRACE", path).status_code == 405
    assert client.post(path).status_code == 405


def test_pages_have_csp_and_no_inline_script_or_style(client):
    data = make_archive()
    for path in ["/", data["hans"].get_absolute_url(), "/topics/economy/", "/nope/"]:
        response = client.get(path)
        assert "script-src 'self'" in response["Content-Security-Policy"]
        html = text_of(response)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html, path


def test_robots_sitemap_and_opensearch(client):
    data = make_archive()
    robots = text_of(client.get("/robots.txt"))
    assert "Disallow: /admin/" in robots and "Sitemap: http://testserver/sitemap.xml" in robots
    index = text_of(client.get("/sitemap.xml"))
    assert "sitemap-articles.xml" in index
    articles = text_of(client.get("/sitemap-articles.xml"))
    assert f"http://testserver/articles/{data['en'].pk}/" in articles
    pages = text_of(client.get("/sitemap-pages.xml"))
    assert "http://testserver/archive/1987/3/" in pages
    response = client.get("/opensearch.xml")
    assert response["Content-Type"].startswith("application/opensearchdescription+xml")
    assert 'template="http://testserver/search/?q={searchTerms}"' in text_of(response)
    assert 'rel="search"' in text_of(client.get("/"))


def test_topic_and_source_lists_show_counts(client):
    make_archive()
    html = text_of(client.get("/sources/", **EN))
    assert "Xinhua (新华社)" in html and "Reuters" in html
    html = text_of(client.get("/topics/", **ZH))
    assert "卫生" in html and "<title>主题 · 新闻档案</title>" in html


# --- Search page ---------------------------------------------------------------------------
def indexed_archive() -> dict:
    data = make_archive()
    drain_queue()
    return data


def test_search_page_shows_highlighted_results_and_understanding(client):
    data = indexed_archive()
    response = client.get("/search/", {"q": "稀土"}, **ZH)
    assert response.status_code == 200
    html = text_of(response)
    assert "<title>搜索“稀土” · 新闻档案</title>" in html
    assert "<mark>稀土</mark>" in html
    assert data["hans"].get_absolute_url() in html and data["hant"].get_absolute_url() not in html
    assert 'class="understood"' in html and 'class="segment">稀土<' in html
    assert '<link rel="alternate" type="application/rss+xml" href="/feeds/search/?q=' in html
    assert 'value="稀土"' in html  # the header box keeps the query


def test_search_finds_traditional_with_simplified_query(client):
    data = indexed_archive()
    html = text_of(client.get("/search/", {"q": "卫生福利部"}, **EN))
    assert data["hant"].get_absolute_url() in html
    assert "1 article" in html


def test_search_facets_narrow_and_chips_remove(client):
    data = indexed_archive()
    all_html = text_of(client.get("/search/", **EN))
    assert "3 articles" in all_html
    assert 'href="?language=en"' in all_html
    narrowed = text_of(client.get("/search/", {"language": "en"}, **EN))
    assert "1 article" in narrowed and data["en"].get_absolute_url() in narrowed
    assert 'aria-label="Remove filter: English"' in narrowed
    assert 'class="chip" href="?"' in narrowed
    topic = text_of(client.get("/search/", {"topic": "economy", "source": "reuters"}, **EN))
    assert "1 article" in topic
    assert 'href="?source=reuters"' in topic  # removing the topic chip keeps the source
    assert 'href="?topic=economy"' in topic  # removing the source chip keeps the topic
    both = text_of(client.get("/search/", {"topic": "economy", "language": "zh-Hans"}, **EN))
    assert "1 article" in both and data["hans"].get_absolute_url() in both
    assert data["en"].get_absolute_url() not in both


def test_search_mixed_language_query_finds_both_languages(client):
    data = indexed_archive()  # the glossary pairs 稀土 with "rare earth"
    html = text_of(client.get("/search/", {"q": "rare earth 稀土"}, **EN))
    assert "2 articles" in html
    assert data["hans"].get_absolute_url() in html and data["en"].get_absolute_url() in html
    assert data["hant"].get_absolute_url() not in html
    assert 'class="segment">rare<' in html and 'class="segment">稀土<' in html


def test_search_pagination_keeps_every_filter(client):
    data = make_archive()
    for n in range(10, 35):
        numbered_article(n, title=f"稀土新闻 {n}", source=data["xinhua"])
    drain_queue()
    html = text_of(client.get("/search/", {"q": "稀土", "source": "xinhua", "sort": "newest"}))
    assert 'href="?q=%E7%A8%80%E5%9C%9F&amp;source=xinhua&amp;sort=newest&amp;page=2"' in html
    page2 = client.get("/search/", {"q": "稀土", "source": "xinhua", "sort": "newest", "page": 2})
    assert page2.status_code == 200 and "page=1" in text_of(page2)


def test_search_empty_state_suggests_dropping_filters(client):
    indexed_archive()
    html = text_of(client.get("/search/", {"q": "疫苗", "language": "en"}, **EN))
    assert "No articles match “疫苗”" in html
    assert "without Language: English" in html
    assert 'href="?q=%E7%96%AB%E8%8B%97"' in html


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "-1"},
        {"page": "99999"},
        {"sort": "sideways"},
        {"start": "2024-02-30"},
        {"start": "2025-01-02", "end": "2025-01-01"},
        {"date": "abc"},
        {"language": "xx"},
        {"source": "<script>"},
    ],
)
def test_search_bad_parameters_are_a_friendly_400(client, params):
    indexed_archive()
    response = client.get("/search/", params, **EN)
    assert response.status_code == 400
    html = text_of(response)
    assert "Please check the address" in html and "Traceback" not in html
    assert "<script>" not in html


@pytest.mark.parametrize(
    "q",
    ["", "!!!???", '"经济 改革', "((经济 OR 改革", "title:* OR django_ct:*", "*", "经济\x00改革"],
)
def test_search_odd_queries_answer_200(client, q):
    indexed_archive()
    assert client.get("/search/", {"q": q}).status_code == 200


def test_search_echoes_queries_escaped(client):
    indexed_archive()
    for q in ["<script>alert(1)</script>", '"><svg onload=alert(1)>', "' onmouseover='x"]:
        html = text_of(client.get("/search/", {"q": q}))
        assert "<script>alert" not in html and "<svg" not in html
        assert "' onmouseover='x\"" not in html


def test_search_snippet_escapes_stored_html(client):
    numbered_article(70, title="经济新闻", body="经济 <img src=x onerror=alert(1)//")
    drain_queue()
    html = text_of(client.get("/search/", {"q": "经济"}))
    assert "&lt;img" in html and "<img src=x" not in html


def test_search_without_index_is_503(client):
    make_archive()  # nothing indexed: the index has never been built
    response = client.get("/search/", {"q": "稀土"}, **EN)
    assert response.status_code == 503
    assert "Search temporarily unavailable" in text_of(response)


def test_search_refuses_post_and_trace(client):
    assert client.post("/search/").status_code == 405
    assert client.generic("TRACE", "/search/").status_code == 405


def test_search_feed_follows_the_query(client):
    indexed_archive()
    response = client.get("/feeds/search/", {"q": "rare earth"})
    assert response.status_code == 200
    assert b"Rare earth prices rise" in response.content
    assert client.get("/feeds/search/", {"page": "abc"}).status_code == 400


def test_article_page_lists_related_articles(client):
    data = make_archive()
    related = numbered_article(
        80, title="包头稀土交易所升级", body="包头稀土交易所升级为国家级交易所。稀土产业。"
    )
    for n in range(81, 95):  # unrelated articles, so the shared words stand out
        numbered_article(n, title=f"Weather report {n}", body="Rain tomorrow.", language="en")
    drain_queue()
    html = text_of(client.get(data["hans"].get_absolute_url()))
    assert related.get_absolute_url() in html.split('class="related"')[1]


def test_server_error_page_renders_without_a_request():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "服务器出错了" in html and "Something went wrong on our side" in html
    assert "Traceback" not in html


def test_too_many_parameters_is_a_friendly_400(client):
    query = "&".join(["t="] * 1001)  # short enough for the address limit (414)
    client.raise_request_exception = False
    response = client.get(f"/search/?{query}", **EN)
    assert response.status_code == 400
    html = text_of(response)
    assert "Please check the address" in html
    assert "This address has more than 1000 parameters." in html


# --- Hardening: last and missing pages, repeated filters, the page cache -----------------
def many_articles(data: dict, count: int = 25) -> list[Article]:
    """``count`` indexed articles about 稀土 from Xinhua, one a day, oldest first."""
    made = [
        numbered_article(
            n,
            title=f"稀土新闻 {n}",
            source=data["xinhua"],
            published_at=datetime(2024, 1, 1 + n - 100, tzinfo=UTC),
        )
        for n in range(100, 100 + count)
    ]
    drain_queue()
    return made


def test_search_page_last_shows_the_last_page(client):
    data = make_archive()
    made = many_articles(data)  # pages of 20
    response = client.get("/search/", {"q": "稀土新闻", "sort": "newest", "page": "last"}, **EN)
    assert response.status_code == 200
    html = text_of(response)
    assert "Page 2 of 2" in html and "25 articles" in html
    assert made[0].get_absolute_url() in html  # the oldest of the new ones is on the last page
    assert made[-1].get_absolute_url() not in html
    assert html.count('<a href="/articles/') == 5
    q = "%E7%A8%80%E5%9C%9F%E6%96%B0%E9%97%BB"
    assert f'href="?q={q}&amp;sort=newest&amp;page=1"' in html  # "Previous"
    first = text_of(client.get("/search/", {"q": "稀土新闻", "sort": "newest"}, **EN))
    assert f'href="?q={q}&amp;sort=newest&amp;page=last">Last<' in first
    nothing = client.get("/search/", {"q": "没有这个词", "page": "last"}, **EN)
    assert nothing.status_code == 200 and "No articles match" in text_of(nothing)


def test_search_page_past_the_end_links_to_the_last_page(client):
    data = make_archive()
    many_articles(data)
    response = client.get("/search/", {"q": "稀土", "page": "9"}, **EN)
    assert response.status_code == 400
    html = text_of(response)
    assert "There is no page 9; the last page is 2." in html
    link = re.search(r'<p class="last-page"><a href="([^"]+)">Go to the last page \(page 2\)', html)
    assert link and link.group(1) == "?q=%E7%A8%80%E5%9C%9F&amp;page=2"
    assert client.get("/search/?q=%E7%A8%80%E5%9C%9F&page=2", **EN).status_code == 200
    zh = text_of(client.get("/search/", {"q": "稀土", "page": "9"}, **ZH))
    assert "没有第 9 页；最后一页是第 2 页。" in zh and "前往最后一页（第 2 页）" in zh


def test_api_and_feed_accept_page_last(client):
    data = make_archive()
    made = many_articles(data)
    api = client.get("/api/search", {"q": "稀土新闻", "sort": "newest", "page": "last"}).json()
    assert (api["page"], api["num_pages"], len(api["results"])) == (2, 2, 5)
    assert api["results"][-1]["id"] == made[0].pk  # the oldest
    past = client.get("/api/search", {"q": "稀土", "page": "3"}, **EN)
    assert past.status_code == 400
    assert past.json()["error"] == "There is no page 3; the last page is 2."
    feed = client.get("/feeds/search/", {"q": "稀土", "sort": "newest", "page": "last"})
    assert feed.status_code == 200
    assert made[0].title.encode() in feed.content and made[-1].title.encode() not in feed.content


def test_list_page_past_the_end_links_to_the_last_page(client):
    data = make_archive()
    many_articles(data)
    response = client.get("/sources/xinhua/?page=5", **EN)
    assert response.status_code == 400
    html = text_of(response)
    assert "There is no page 5; the last page is 2." in html
    assert '<a href="?page=2">Go to the last page (page 2)</a>' in html


def test_search_repeated_filter_values_count_once(client):
    data = indexed_archive()
    repeated = "&".join(["topic=economy"] * 60)
    html = text_of(client.get(f"/search/?{repeated}", **EN))
    assert "2 articles" in html and data["hant"].get_absolute_url() not in html
    assert html.count('aria-label="Remove filter: Economy"') == 1
    commas = ",".join(["economy"] * 400)  # one filter, not 400
    html = text_of(client.get(f"/search/?topic={commas}&source=reuters,reuters", **EN))
    assert "1 article" in html and html.count('aria-label="Remove filter: Economy"') == 1
    assert 'href="?source=reuters"' in html  # removing the topic keeps the source, once


@pytest.mark.parametrize("count", [51, 400])
def test_search_too_many_different_filter_values_is_a_friendly_400(client, count):
    indexed_archive()
    values = ",".join(f"t{n}" for n in range(count))
    for url in ["/search/", "/feeds/search/"]:
        response = client.get(url, {"topic": values}, **EN)
        assert response.status_code == 400, url
        assert (
            f"A search can filter on at most 50 values of “topic”; this address has {count}."
            in text_of(response)
        )
    api = client.get("/api/search", {"topic": values}, **EN)
    assert api.status_code == 400 and "at most 50 values" in api.json()["error"]
    assert (
        client.get("/search/", {"topic": values}, **ZH).content.decode().count("最多只能有 50") == 1
    )


def test_search_fifty_different_filter_values_are_accepted(client):
    data = indexed_archive()
    values = ["economy", *(f"t{n}" for n in range(49))]
    html = text_of(client.get("/search/", {"topic": values}, **EN))
    assert "2 articles" in html and data["en"].get_absolute_url() in html


def _cached_pages(settings) -> int:
    from pathlib import Path

    return len(list(Path(settings.CACHES["pages"]["LOCATION"]).glob("*.djcache")))


def test_article_page_cache_ignores_unknown_parameters(client, settings):
    data = make_archive()
    url = data["hans"].get_absolute_url()
    client.get(url, **ZH)
    assert _cached_pages(settings) == 1
    for n in range(5):
        response = client.get(url, {"x": n, "utm_source": "feed"}, **ZH)
        assert response.status_code == 200 and "内蒙古打造稀土交易中心" in text_of(response)
        assert f'name="next" value="{url}"' in text_of(response)  # not ?x=…
    assert _cached_pages(settings) == 1
    converted = text_of(client.get(url, {"script": "hant", "x": 1}, **ZH))
    assert "內蒙古打造稀土交易中心" in converted
    assert f'name="next" value="{url}?script=hant"' in converted
    assert "內蒙古" in text_of(client.get(url, {"script": "hant", "x": 2}, **ZH))
    assert "內蒙古" not in text_of(client.get(url, {"x": 3}, **ZH))
    client.get(url, **EN)
    assert _cached_pages(settings) == 3  # as published, converted, and in English


def test_search_says_how_a_query_was_folded_only_when_more_than_case_changed(client):
    make_archive()
    drain_queue()
    traditional = text_of(client.get("/search/", {"q": "衛生"}, **EN))
    assert "Matched in both scripts as “卫生”" in traditional
    english = text_of(client.get("/search/", {"q": "Rare NEAR/3 Earth"}, **EN))
    assert "Matched in both scripts" not in english
