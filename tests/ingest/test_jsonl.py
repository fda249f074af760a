"""import_articles: JSON Lines (plain or gzip), bad lines, idempotence, cleaning."""

import gzip
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from archive.models import Article, IndexTask, Source
from tests.conftest import SHARED_DIR

pytestmark = pytest.mark.django_db


def record(number, **fields):
    data = {
        "id": f"rec-{number}",
        "title": f"稀土永磁新闻 {number}",
        "body": f"第{number}篇：稀土永磁产业发展。\n包头稀土永磁电机。",
        "date": "2025-09-06",
        "source": "央视网《新闻联播》 (CCTV Xinwen Lianbo)",
        "lang": "zh-Hans",
        "url": "https://tv.cctv.com/x",
        "tags": ["earn"],
    }
    data.update(fields)
    return json.dumps(data, ensure_ascii=False)


def write_jsonl(path, lines, *, gz=False):
    text = "\n".join(lines) + "\n"
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run(*paths, **options):
    out = StringIO()
    call_command(
        "import_articles",
        *[str(p) for p in paths],
        "--no-index",
        stdout=out,
        stderr=StringIO(),
        **options,
    )
    return out.getvalue()


def test_import_gzip_creates_articles_with_source_and_topics(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl.gz", [record(n) for n in range(3)], gz=True)
    out = run(path, batch_size=2)
    assert "created 3, updated 0, unchanged 0, duplicate 0, failed 0" in out
    article = Article.objects.get(external_id="rec-1")
    source = Source.objects.get()
    assert (source.name, source.name_en) == ("央视网《新闻联播》", "CCTV Xinwen Lianbo")
    assert article.source == source and article.date_precision == "day"
    assert {"permanent-magnets", "business"} <= set(article.tags.values_list("slug", flat=True))
    assert IndexTask.objects.filter(article_id=article.pk).exists()


def test_reimport_changes_nothing_and_queues_nothing(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [record(n) for n in range(3)])
    run(path)
    IndexTask.objects.all().delete()
    out = run(path)
    assert "created 0, updated 0, unchanged 3" in out
    assert IndexTask.objects.count() == 0


def test_changed_record_updates_in_place(tmp_path):
    run(write_jsonl(tmp_path / "a.jsonl", [record(1)]))
    pk = Article.objects.get().pk
    out = run(write_jsonl(tmp_path / "a.jsonl", [record(1, title="新标题")]))
    assert "updated 1" in out
    assert Article.objects.get().pk == pk and Article.objects.get().title == "新标题"


def test_bad_lines_reported_with_line_number_and_skipped(tmp_path):
    lines = [record(1), "{not json", json.dumps({"id": "x"}), "[1, 2]", record(2)]
    path = write_jsonl(tmp_path / "bad.jsonl", lines)
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_articles", str(path), "--no-index", stdout=out, stderr=StringIO())
    assert error.value.returncode == 2
    assert Article.objects.count() == 2
    report = out.getvalue()
    assert "bad.jsonl:2: invalid JSON" in report
    assert "bad.jsonl:3: no body" in report
    assert "bad.jsonl:4: not a JSON object" in report
    assert "created 2, updated 0, unchanged 0, duplicate 0, failed 3" in report


def test_stray_html_becomes_plain_text(tmp_path):
    body = "<p>First paragraph.</p><script>alert(1)</script><p>Second <b>bold</b> paragraph.</p>"
    run(write_jsonl(tmp_path / "g.jsonl", [record(1, body=body, lang="en", source="The Guardian")]))
    article = Article.objects.get()
    assert article.paragraphs == ["First paragraph.", "Second bold paragraph."]


def test_hard_wrapped_newswire_is_reflowed(tmp_path):
    body = (
        "Showers continued throughout the week in\nthe Bahia cocoa zone, alleviating the drought since early\n"
        "January and improving prospects for the coming temporao.\n    The dry period means the temporao will be late this year\n"
        "and arrivals for the week ended February 22 were lower."
    )
    run(write_jsonl(tmp_path / "r.jsonl", [record(1, body=body, lang="en", source="Reuters")]))
    assert Article.objects.get().paragraphs == [
        "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought since early January and improving prospects for the coming temporao.",
        "The dry period means the temporao will be late this year and arrivals for the week ended February 22 were lower.",
    ]


def test_null_date_and_missing_fields(tmp_path):
    run(write_jsonl(tmp_path / "n.jsonl", [record(1, date=None, url=None, tags=None, lang=None)]))
    article = Article.objects.get()
    assert article.published_at is None and article.url == "" and article.language == "zh-Hans"


def test_dry_run_writes_nothing(tmp_path):
    out = run(write_jsonl(tmp_path / "a.jsonl", [record(1)]), dry_run=True)
    assert "would be" in out and "created 1" in out
    assert Article.objects.count() == 0


@pytest.mark.corpus
@pytest.mark.slow
def test_corpus_taiwan_file_imports_without_failures():
    path = SHARED_DIR / "corpus" / "taiwan_mohw_press.jsonl.gz"
    if not path.exists():
        pytest.skip("corpus not available")
    out = run(path)
    assert "failed 0" in out
    assert Article.objects.count() >= 490
    assert set(Article.objects.values_list("language", flat=True)) == {"zh-Hant"}
    assert "created 0, updated 0" in run(path)


def test_source_names_split_from_english_and_known_names_used(tmp_path):
    lines = [
        record(
            1,
            source="衛生福利部 (Taiwan Ministry of Health and Welfare) / 疾病管制署",
            lang="zh-Hant",
        ),
        record(
            2,
            source="衛生福利部 (Taiwan Ministry of Health and Welfare) / 衛生福利部",
            lang="zh-Hant",
        ),
        record(3, source="某某新聞網 (Example News)"),
    ]
    run(write_jsonl(tmp_path / "s.jsonl", lines))
    names = dict(Source.objects.values_list("name", "name_en"))
    assert names == {
        "衛生福利部 / 疾病管制署": "Taiwan Ministry of Health and Welfare / Centers for Disease Control",
        "衛生福利部": "Taiwan Ministry of Health and Welfare",
        "某某新聞網": "Example News",
    }
    assert Source.objects.get(name="某某新聞網").slug == "mou-mou-xin-wen-wang"


def test_oversized_record_is_skipped(tmp_path, settings):
    settings.ARCHIVE_MAX_FILE_BYTES = 2000
    lines = [record(1), record(2, body="长" * 3000)]
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_articles",
            str(write_jsonl(tmp_path / "o.jsonl", lines)),
            "--no-index",
            stdout=out,
        )
    assert "o.jsonl:2: record longer than 2000" in out.getvalue()
    assert Article.objects.count() == 1
