"""RSS and Atom feeds a reader can subscribe to."""

import xml.etree.ElementTree as ET

import pytest

from archive.models import Article, Source
from tests.factories import make_archive, numbered_article

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def rss_titles(response) -> list[str]:
    root = ET.fromstring(response.content)
    return [item.findtext("title") for item in root.iter("item")]


def test_latest_feed_lists_newest_first(client):
    make_archive()
    response = client.get("/feeds/latest/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    assert rss_titles(response) == [
        "内蒙古打造稀土交易中心",
        "衛生福利部發布疫苗接種統計",
        "Rare earth prices rise",
    ]


def test_latest_atom_feed_links_to_articles(client):
    data = make_archive()
    root = ET.fromstring(client.get("/feeds/latest/atom/").content)
    links = [e.find(f"{ATOM}link").get("href") for e in root.iter(f"{ATOM}entry")]
    assert f"http://testserver/articles/{data['en'].pk}/" in links


def test_topic_and_source_feeds_hold_only_their_articles(client):
    make_archive()
    assert rss_titles(client.get("/feeds/topics/economy/")) == [
        "内蒙古打造稀土交易中心",
        "Rare earth prices rise",
    ]
    assert rss_titles(client.get("/feeds/sources/mohw/")) == ["衛生福利部發布疫苗接種統計"]
    root = ET.fromstring(client.get("/feeds/sources/reuters/atom/").content)
    assert [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")] == [
        "Rare earth prices rise"
    ]


def test_feed_for_unknown_topic_is_404(client):
    assert client.get("/feeds/topics/no-such-topic/").status_code == 404


def test_feed_escapes_untrusted_text(client):
    source = Source.objects.create(name="<b>Evil</b>", slug="evil")
    numbered_article(1, title="<script>alert(1)</script> & more", source=source)
    response = client.get("/feeds/sources/evil/")
    assert b"<script>" not in response.content
    assert rss_titles(response) == ["<script>alert(1)</script> & more"]


def test_feed_is_limited_in_size(client):
    for n in range(40):
        numbered_article(n)
    assert len(rss_titles(client.get("/feeds/latest/"))) == 30
    assert Article.objects.count() == 40
