"""load_seeds on synthetic files: bad input, idempotence, duplicates, editors' decisions, rollback."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from archive.ingest import store
from archive.ingest.topics import apply_auto_topics, ensure_taxonomy
from archive.models import Article, ArticleTag, IndexTask, Source, Tag, TagExclusion, TagOrigin
from archive.search.backends.whoosh import storage
from archive.search.indexer import drain_queue
from tests.conftest import SEEDS_DIR
from tests.search_helpers import find

pytestmark = pytest.mark.django_db

GOOD = (
    "包头稀土永磁产业园开工\n\n正文第一段：包头市稀土永磁电机产业园今日开工建设。\n\n第二段内容。"
)


def run(*paths, **options) -> str:
    from io import StringIO

    out = StringIO()
    call_command("load_seeds", *[str(p) for p in paths], "--no-index", stdout=out, **options)
    return out.getvalue()


def write(folder, name, content):
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_bad_files_skipped_with_reasons_and_run_fails(tmp_path, settings):
    settings.ARCHIVE_MAX_FILE_BYTES = 10_000
    for number in range(3):
        write(tmp_path, f"good{number}.txt", GOOD.replace("今日", f"第{number}日"))
    write(tmp_path, "empty.txt", b"")
    write(tmp_path, "image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    write(tmp_path, "nul.txt", "标题\n正文".encode() + b"\x00\x00\x00")
    write(tmp_path, "big.txt", "大" * 10_000)
    write(tmp_path, "yaml.html", "---\ntitle: [x\n---\n<p>正文</p>")
    write(tmp_path, "date.html", "---\ntitle: x\ndate: 2024-02-30\n---\n<p>正文</p>")
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("load_seeds", str(tmp_path), "--no-index", stdout=out)
    assert error.value.returncode == 2
    assert Article.objects.count() == 3
    report = out.getvalue()
    assert "created 3, updated 0, unchanged 0, duplicate 0, failed 6" in report
    for name, reason in [
        ("empty.txt", "empty file"),
        ("image.txt", "binary"),
        ("nul.txt", "binary"),
        ("big.txt", "too large"),
        ("yaml.html", "broken front matter"),
        ("date.html", "front matter"),
    ]:
        assert any(name in line and reason in line for line in report.splitlines()), name


def test_summary_line_counts(tmp_path):
    write(tmp_path, "a.txt", GOOD)
    write(tmp_path, "b.txt", GOOD.replace("今日", "昨日"))
    out = run(tmp_path)
    assert "created 2, updated 0, unchanged 0, duplicate 0, failed 0" in out
    out = run(tmp_path)
    assert "created 0, updated 0, unchanged 2, duplicate 0, failed 0" in out


def test_encodings_load_the_same_article(tmp_path):
    text = "臺灣稀土新聞\n\n正文內容，稀土永磁產業發展迅速。"
    for encoding in ("utf-8", "utf-8-sig", "big5", "utf-16"):
        folder = tmp_path / encoding
        folder.mkdir()
        write(folder, f"{encoding}.txt", text.encode(encoding))
        run(folder)
    titles = set(Article.objects.values_list("title", flat=True))
    assert titles == {"臺灣稀土新聞"}
    assert Article.objects.count() == 1  # the same text under other names is a duplicate


def test_gbk_file_short_title(tmp_path):
    write(
        tmp_path,
        "gbk.txt",
        "中文新闻报道\n\n这是一篇用国标码保存的新闻稿件，内容关于稀土。".encode("gbk"),
    )
    run(tmp_path)
    assert Article.objects.get().title == "中文新闻报道"


def test_same_text_under_second_name_is_duplicate(tmp_path):
    write(tmp_path, "one.txt", GOOD)
    write(tmp_path, "two.txt", GOOD)
    out = run(tmp_path)
    assert "created 1" in out and "duplicate 1" in out
    assert Article.objects.count() == 1


def test_changed_file_updates_in_place_and_search_finds_the_new_text(tmp_path):
    folder = tmp_path / "files"  # tmp_path also holds this test's index
    folder.mkdir()
    path = write(folder, "a.txt", GOOD)
    write(folder, "b.txt", GOOD.replace("今日", "昨日"))
    run(folder)
    drain_queue()
    article = Article.objects.get(external_id="file:a.txt")
    docs = storage.get_searcher().doc_count()
    assert find("钕铁硼") == [] and article.pk in find("第二段内容")
    path.write_text(GOOD.replace("第二段内容。", "第二段：园区引进钕铁硼磁材企业。"), "utf-8")
    out = run(folder)
    assert "created 0, updated 1, unchanged 1" in out
    updated = Article.objects.get(external_id="file:a.txt")
    assert updated.pk == article.pk and updated.body.endswith("钕铁硼磁材企业。")
    assert set(IndexTask.objects.values_list("article_id", flat=True)) == {article.pk}
    drain_queue()
    assert find("钕铁硼") == [article.pk]  # the new body, and only that article
    assert article.pk not in find("第二段内容")  # the old body is gone from the index
    assert storage.get_searcher().doc_count() == docs == 2


def test_dry_run_writes_nothing(tmp_path):
    write(tmp_path, "a.txt", GOOD)
    out = run(tmp_path, dry_run=True)
    assert "would be" in out and "created 1" in out
    assert Article.objects.count() == 0


def test_editor_decisions_survive_reload(tmp_path):
    write(tmp_path, "a.txt", GOOD)
    run(tmp_path)
    article = Article.objects.get()
    auto = set(article.tags.values_list("slug", flat=True))
    assert {"permanent-magnets", "baotou-inner-mongolia"} <= auto
    magnets = Tag.objects.get(slug="permanent-magnets")
    ArticleTag.objects.filter(article=article, tag=magnets).delete()
    TagExclusion.objects.create(article=article, tag=magnets)
    sport = Tag.objects.get(slug="sport")
    ArticleTag.objects.create(article=article, tag=sport, origin=TagOrigin.EDITOR)
    baotou = Tag.objects.get(slug="baotou-inner-mongolia")
    kept = Tag.objects.create(slug="inner-mongolia", name_zh="内蒙古", name_en="Inner Mongolia")
    baotou.merged_into = kept
    baotou.save()
    ArticleTag.objects.filter(article=article, tag=baotou).delete()
    write(tmp_path, "a.txt", GOOD + "\n\n补充一段。")  # force an update and re-tagging
    run(tmp_path)
    ensure_taxonomy()
    apply_auto_topics(Article.objects.all())
    slugs = set(article.tags.values_list("slug", flat=True))
    assert "permanent-magnets" not in slugs
    assert "sport" in slugs
    assert "inner-mongolia" in slugs and "baotou-inner-mongolia" not in slugs
    assert Tag.objects.get(slug="baotou-inner-mongolia").merged_into == kept


def test_merged_source_survives_reload(tmp_path):
    run(SEEDS_DIR)
    sina = Source.objects.get(name="新浪财经")
    kept = Source.objects.create(name="新浪", slug="sina")
    Article.objects.filter(source=sina).update(source=kept)
    sina.merged_into = kept
    sina.save()
    out = run(SEEDS_DIR)
    assert "created 0, updated 0, unchanged 5" in out
    assert Article.objects.filter(source=kept).count() == 1


def test_failing_file_rolls_back_completely(tmp_path, monkeypatch):
    write(tmp_path, "a.txt", GOOD)
    write(tmp_path, "b.txt", GOOD.replace("今日", "明日"))

    def explode(articles, **kwargs):
        if any("明日" in a.body for a in articles):
            raise RuntimeError("boom")
        return 0

    monkeypatch.setattr("archive.ingest.files.apply_auto_topics", explode)
    with pytest.raises(CommandError):
        run(tmp_path)
    assert list(Article.objects.values_list("external_id", flat=True)) == ["file:a.txt"]
    assert set(IndexTask.objects.values_list("article_id", flat=True)) == {Article.objects.get().pk}


def test_xss_in_html_never_stored_as_markup(tmp_path):
    write(
        tmp_path,
        "x.html",
        "---\ntitle: '标题<script>alert(1)</script>'\nurl: 'javascript:alert(1)'\n---\n"
        "<p>正文<script>alert(1)</script><img src=x onerror=alert(1)></p>"
        '<p><a href="javascript:alert(1)">点我</a><svg onload=alert(1)></svg><iframe src=x></iframe></p>',
    )
    run(tmp_path)
    article = Article.objects.get()
    for field in (article.body, article.url):
        assert "<script" not in field and "onerror" not in field and "javascript:" not in field


def test_fingerprint_ignores_whitespace_only_changes():
    assert store.fingerprint(title="标题", body="一\n二") == store.fingerprint(
        title=" 标题 ", body="一\n\n  二  "
    )


def test_load_seeds_leaves_index_matching_database():
    from io import StringIO

    from archive.search.indexer import drain_queue, index_matches_database

    call_command("load_seeds", str(SEEDS_DIR), stdout=StringIO())
    assert index_matches_database()
    assert IndexTask.objects.count() == 0
    Article.objects.filter(external_id__startswith="file:001").update(title="changed")
    call_command("load_seeds", str(SEEDS_DIR), stdout=StringIO())  # puts the title back
    drain_queue()
    assert index_matches_database() and IndexTask.objects.count() == 0
