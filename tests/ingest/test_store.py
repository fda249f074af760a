"""archive.ingest.store: one set of rules for storing an article, whichever importer reads it."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from archive.ingest import store
from archive.ingest.readers import ParsedArticle
from archive.models import Article, Source

pytestmark = pytest.mark.django_db


def parsed(title="稀土新闻", body="包头稀土产业发展。", source="新华社") -> ParsedArticle:
    return ParsedArticle(title=title, body=body, language="zh-Hans", source_name=source)


def upsert(external_id="file:a.txt", source_file="/data/a.txt", **fields):
    return store.upsert_article(
        parsed=parsed(**fields), external_id=external_id, source_file=source_file, raw_content=""
    )


def import_jsonl(tmp_path, records, name="a.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    out = StringIO()
    call_command("import_articles", str(path), "--no-index", stdout=out, stderr=StringIO())
    return out.getvalue()


def record(n, **fields):
    return {
        "id": f"rec-{n}",
        "title": f"稀土 {n}",
        "body": f"第{n}篇。",
        "source": "新华社",
        **fields,
    }


def test_upsert_creates_then_reports_unchanged_updated_and_duplicate():
    created = upsert()
    assert created.status == store.CREATED and created.article.source.name == "新华社"
    assert upsert().status == store.UNCHANGED
    updated = upsert(title="新标题")
    assert updated.status == store.UPDATED and "title" in updated.detail
    assert Article.objects.get().title == "新标题"
    twin = upsert(external_id="file:b.txt", source_file="/data/b.txt", title="新标题")
    assert twin.status == store.DUPLICATE
    assert twin.detail == f"same text as article {created.article.pk} (file:a.txt)"
    assert Article.objects.count() == 1


def test_a_file_reloaded_after_its_source_was_renamed_updates_the_same_article():
    first = upsert(source="某报")
    Source.objects.filter(pk=first.article.source_id).update(name="某报（新名）")
    again = upsert(source="某报", body="包头稀土产业发展。更新。")
    assert again.status == store.UPDATED and again.article.pk == first.article.pk
    assert Article.objects.count() == 1


def test_jsonl_reimport_after_a_source_rename_updates_in_place(tmp_path):
    """The file importer's rule holds for JSON Lines too: same id, same file, same article."""
    import_jsonl(tmp_path, [record(1)])
    Source.objects.filter(name="新华社").update(name="新华通讯社")
    out = import_jsonl(tmp_path, [record(1, body="第1篇，更新。")])
    assert "updated 1" in out
    assert Article.objects.count() == 1 and "更新" in Article.objects.get().body


def test_jsonl_record_merged_source_finds_the_article_kept_under_the_alias(tmp_path):
    import_jsonl(tmp_path, [record(1, source="旧报")])
    old = Source.objects.get(name="旧报")
    kept = Source.objects.create(name="新报", slug="xin-bao")
    Source.objects.filter(pk=old.pk).update(merged_into=kept)  # the article stays under 旧报
    out = import_jsonl(tmp_path, [record(1, source="旧报", body="第1篇，改过。")], name="b.jsonl")
    assert "created 0, updated 1" in out
    assert Article.objects.count() == 1


def test_same_text_twice_in_one_batch_is_one_article_and_one_duplicate(tmp_path):
    out = import_jsonl(tmp_path, [record(1), record(2, title="稀土 1", body="第1篇。")])
    assert "created 1, updated 0, unchanged 0, duplicate 1" in out


def test_plan_writes_nothing():
    records = [
        store.Record(parsed=parsed(), external_id="x", source_file="x.jsonl", raw_content="")
    ]
    [result] = store.ArticleStore().plan(records)
    assert result.status == store.CREATED and result.article.pk is None
    assert Article.objects.count() == 0
