"""load_seeds on damaged text and broken front matter (RELIABILITY.md L4, L7, L8).

Each case loads next to a good file through the real command: a bad file is reported
with its reason and counted, and never stops the good one from loading.
"""

import pytest

from archive.models import Article
from tests.ingest.test_hostile import load

pytestmark = pytest.mark.django_db

GOOD = "包头稀土永磁产业园开工\n\n包头市稀土永磁电机产业园今日开工建设，总投资一百亿元。"
LOST = "锟斤拷锟斤拷"  # U+FFFD U+FFFD U+FFFD U+FFFD saved as UTF-8, then read as GBK


def write(folder, name, content):
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def failure_line(report: str, name: str) -> str:
    lines = [line for line in report.splitlines() if line.startswith("FAILED") and name in line]
    assert len(lines) == 1, report
    return lines[0]


def notes_of(name: str) -> list[str]:
    return Article.objects.get(external_id=f"file:{name}").quality_notes


# --- L4: damage that cannot be repaired, and the encoding a file was read in -----------------
def test_lost_text_marks_are_stored_with_a_damage_note(tmp_path):
    body = f"包头市稀土{LOST}永磁电机产业园今日开工建设，总投资一百亿元，园区将引进电机企业。"
    write(tmp_path, "damaged.txt", f"稀土产业园开工\n\n{body}")
    load(tmp_path)
    article = Article.objects.get()
    assert LOST in article.body  # kept as it is: the original text is gone
    damage = [note for note in article.quality_notes if "irrecoverable encoding damage" in note]
    assert len(damage) == 1 and LOST in damage[0]


def test_file_that_is_mostly_lost_text_is_rejected(tmp_path):
    write(tmp_path, "good.txt", GOOD)
    write(tmp_path, "lost.txt", f"{LOST}\n\n{LOST}{LOST}开工{LOST}。")
    report = load(tmp_path, expect_failures=True)
    assert "irrecoverable encoding damage" in failure_line(report, "lost.txt")
    assert "created 1," in report
    assert list(Article.objects.values_list("external_id", flat=True)) == ["file:good.txt"]


def test_gbk_file_is_noted_with_the_encoding_it_was_read_in(tmp_path):
    text = "中文新闻报道\n\n这是一篇用国标码保存的新闻稿件，内容关于稀土。"
    write(tmp_path, "gbk.txt", text.encode("gbk"))
    write(tmp_path, "utf8.txt", GOOD)
    load(tmp_path)
    assert Article.objects.get(external_id="file:gbk.txt").body == text.split("\n\n")[1]
    assert "decoded from gb18030" in notes_of("gbk.txt")
    assert not any("decoded from" in note for note in notes_of("utf8.txt"))


# --- L7: front matter never closed, and broken YAML ------------------------------------------
def test_unclosed_and_broken_front_matter_fail_with_reasons_and_the_good_file_loads(tmp_path):
    write(tmp_path, "good.txt", GOOD)
    write(tmp_path, "unclosed.html", "---\ntitle: [x\n<p>正文</p>")
    write(tmp_path, "broken.html", "---\ntitle: [x\n---\n<p>x</p>")
    report = load(tmp_path, expect_failures=True)
    assert "never closed" in failure_line(report, "unclosed.html")
    broken = failure_line(report, "broken.html")
    assert "broken front matter at line 2" in broken  # the line of `title: [x` in the file
    assert "created 1, updated 0, unchanged 0, duplicate 0, failed 2" in report
    assert list(Article.objects.values_list("title", flat=True)) == ["包头稀土永磁产业园开工"]


# --- L8: dates that are not dates ------------------------------------------------------------
@pytest.mark.parametrize(
    "value, reason",
    [("2024-13-01", "month must be in 1..12"), ("2024-01-01T25:00:00", "hour must be in 0..23")],
)
def test_impossible_front_matter_date_fails_with_its_line_and_reason(tmp_path, value, reason):
    write(tmp_path, "good.txt", GOOD)
    write(tmp_path, "bad.html", f"---\ntitle: 日期错误\ndate: {value}\n---\n<p>正文。</p>")
    report = load(tmp_path, expect_failures=True)
    line = failure_line(report, "bad.html")
    assert f"at line 3 (date: {value})" in line and reason in line
    assert "created 1," in report
    assert list(Article.objects.values_list("external_id", flat=True)) == ["file:good.txt"]


@pytest.mark.parametrize(
    "field, shown", [("date: yesterday", "'yesterday'"), ("published: no", "False")]
)
def test_unreadable_front_matter_date_leaves_the_date_unknown_with_a_note(tmp_path, field, shown):
    write(tmp_path, "a.html", f"---\ntitle: 日期不明\n{field}\n---\n<p>正文内容。</p>")
    report = load(tmp_path)
    assert "created 1, updated 0, unchanged 0, duplicate 0, failed 0" in report
    article = Article.objects.get()
    assert (article.title, article.body) == ("日期不明", "正文内容。")
    assert article.published_at is None and article.date_precision == ""
    key = field.split(":")[0]
    assert any(
        note.startswith(f"unreadable date {key}: {shown}") for note in article.quality_notes
    ), article.quality_notes
