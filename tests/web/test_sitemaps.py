"""sitemap.xml: an index of sections that list every article, topic, source and month."""

import re
from datetime import UTC, datetime

import pytest

from archive.models import Source, Tag
from tests.factories import numbered_article

pytestmark = pytest.mark.django_db


def locations(response) -> list[str]:
    return re.findall(r"<loc>([^<]+)</loc>", response.content.decode())


def test_sitemap_index_links_every_section(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    sections = {loc.rsplit("/", 1)[-1] for loc in locations(response)}
    assert {"sitemap-articles.xml", "sitemap-topics.xml", "sitemap-sources.xml"} <= sections
    assert "sitemap-pages.xml" in sections


def test_article_sitemap_lists_every_article_url(client):
    made = [numbered_article(n) for n in range(3)]
    response = client.get("/sitemap-articles.xml")
    assert response.status_code == 200
    assert sorted(locations(response)) == sorted(
        f"http://testserver{a.get_absolute_url()}" for a in made
    )
    assert "<lastmod>" in response.content.decode()


def test_topic_and_source_sitemaps_leave_out_merged_ones(client):
    kept = Tag.objects.create(name_zh="经济", name_en="Economy", slug="economy")
    Tag.objects.create(name_zh="经济学", name_en="Economics", slug="economics", merged_into=kept)
    xinhua = Source.objects.create(name="新华社", slug="xinhua")
    Source.objects.create(name="新华网", slug="xinhuanet", merged_into=xinhua)
    assert locations(client.get("/sitemap-topics.xml")) == ["http://testserver/topics/economy/"]
    assert locations(client.get("/sitemap-sources.xml")) == ["http://testserver/sources/xinhua/"]


def test_page_sitemap_lists_the_date_archive(client):
    numbered_article(1, published_at=datetime(2024, 5, 2, tzinfo=UTC))
    pages = locations(client.get("/sitemap-pages.xml"))
    assert "http://testserver/" in pages and "http://testserver/topics/" in pages
    assert "http://testserver/archive/2024/" in pages
    assert "http://testserver/archive/2024/5/" in pages
