"""Story versions: near-duplicates found at import (MinHash), one result per story in
search, the versions on the article page, and skipped duplicates' ids as aliases."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from archive.ingest import stories
from archive.models import Article, ArticleAlias
from archive.search.indexer import drain_queue
from archive.text import to_traditional

pytestmark = pytest.mark.django_db

BODY = (
    "内蒙古包头市稀土高新区今年以来积极开展稀土永磁电机产业招商，已走访对接九百多家稀土"
    "永磁电机企业，其中企业来包实地考察二百七十多次，十七家已签订合作协议。到年底力争"
    "实现稀土永磁电机产能一百万千瓦，打造全国重要的稀土永磁电机生产基地。"
)
OTHER = (
    "今年夏粮收购工作全面展开，各地粮食部门积极组织收购，确保农民种粮收益。专家表示，"
    "小麦价格总体平稳，优质优价特征明显，收购进度快于上年同期，仓容充足，服务到位。"
)


def record(rid: str, title: str, body: str, date: str = "2024-05-05", lang="zh-Hans") -> str:
    return json.dumps(
        {"id": rid, "title": title, "body": body, "date": date, "source": "新华社", "lang": lang},
        ensure_ascii=False,
    )


def load(tmp_path, *lines: str) -> str:
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = StringIO()
    call_command("import_articles", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def test_signatures_tell_versions_from_other_stories():
    first = stories.signature("包头稀土招商", BODY)
    headline = stories.signature("稀土永磁电机产业招商", BODY + "记者报道。")
    traditional = stories.signature(to_traditional("包头稀土招商"), to_traditional(BODY))
    other = stories.signature("夏粮收购", OTHER)
    assert stories.similarity(first, traditional) == 1.0  # folded: the script is no matter
    assert stories.similarity(first, headline) >= stories.THRESHOLD
    assert stories.similarity(first, other) < 0.2
    assert stories.signature("短", "太短") is None  # too short to compare


def test_a_version_joins_the_first_article_only_within_a_week():
    sig = stories.signature("包头稀土招商", BODY)
    day = 740_000
    joined = stories.assign(
        [(2, sig, day + 3), (3, sig, day + 365), (4, sig, None)], [(1, sig, day)]
    )
    assert joined == {2: 1, 4: 1}  # a year later it is a new story (a recurring template)


def test_import_groups_republished_and_other_script_versions(tmp_path):
    output = load(
        tmp_path,
        record("a", "包头稀土招商", BODY, "2024-05-05"),
        record("b", "稀土永磁电机产业招商", BODY + "记者报道。", "2024-05-06"),
        record("c", to_traditional("包头稀土招商"), to_traditional(BODY), "2024-05-07", "zh-Hant"),
        record("d", "夏粮收购", OTHER, "2024-05-05"),
    )
    assert "2 versions found" in output
    a, b, c, d = (Article.objects.get(external_id=x) for x in "abcd")
    assert b.story_id == a.pk and c.story_id == a.pk
    assert a.story_id is None and d.story_id is None
    # Importing again changes nothing and compares nothing twice.
    assert "versions found" not in load(tmp_path, record("a", "包头稀土招商", BODY, "2024-05-05"))


def test_a_skipped_exact_duplicate_keeps_its_id_as_an_alias(client, tmp_path):
    load(tmp_path, record("kept", "包头稀土招商", BODY))
    load(tmp_path, record("copy", "包头稀土招商", BODY))
    kept = Article.objects.get(external_id="kept")
    assert not Article.objects.filter(external_id="copy").exists()
    assert ArticleAlias.objects.get(external_id="copy").article == kept
    response = client.get("/api/articles", {"external_id": "copy"}, follow=True)
    assert response.json()["id"] == kept.pk
    assert client.get("/api/articles", {"external_id": "kept"}, follow=True).json()["id"] == kept.pk
    assert client.get("/api/articles", {"external_id": "nothing"}).status_code == 404
    assert client.get("/api/articles").status_code == 400


@pytest.fixture
def story(tmp_path):
    load(
        tmp_path,
        record("a", "包头稀土招商", BODY, "2024-05-05"),
        record("b", "稀土永磁电机产业招商", BODY + "记者报道。", "2024-05-06"),
        record("c", to_traditional("包头稀土招商"), to_traditional(BODY), "2024-05-07", "zh-Hant"),
        record("d", "包头稀土价格", "包头稀土价格上涨，稀土永磁材料需求增加。" * 3),
    )
    drain_queue()
    return {x: Article.objects.get(external_id=x) for x in "abcd"}


def test_search_shows_one_result_per_story_and_says_both_numbers(client, story):
    data = client.get("/api/search", {"q": "稀土"}).json()
    assert (data["total"], data["articles"], data["stories"]) == (2, 4, 2)
    shown = {r["id"]: r["other_versions"] for r in data["results"]}
    assert shown[story["d"].pk] == 0 and sum(shown.values()) == 2
    everything = client.get("/api/search", {"q": "稀土", "versions": "all"}).json()
    assert everything["total"] == 4 and all(r["other_versions"] == 0 for r in everything["results"])
    html = client.get("/search/", {"q": "稀土"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 stories (4 articles)" in html and "Show every version" in html
    assert "2 other versions" in html
    every = client.get("/search/", {"q": "稀土", "versions": "all"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "One result per story" in every.content.decode()
    assert client.get("/api/search", {"versions": "some"}).status_code == 400


def test_the_article_page_lists_its_versions(client, story):
    html = client.get(f"/articles/{story['b'].pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 other versions of this story" in html
    assert f'href="/articles/{story["a"].pk}/"' in html
    assert f'href="/articles/{story["c"].pk}/"' in html
    alone = client.get(f"/articles/{story['d'].pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "other version" not in alone
    versions = client.get(f"/api/articles/{story['a'].pk}").json()["versions"]
    assert sorted(versions) == sorted([story["b"].pk, story["c"].pk])
