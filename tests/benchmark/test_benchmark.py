"""The benchmark command runs end to end on synthetic data and writes its JSON.

Times are never asserted: only that every stage ran and reported its figures.
"""

import gzip
import json
import os
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from archive.benchmark.corpus import build_corpus, read_records
from archive.benchmark.stats import percentile


def _write_corpus(folder, records):
    folder.mkdir()
    with gzip.open(folder / "tiny.jsonl.gz", "wt", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        fh.write("not json\n")


def test_benchmark_corpus_scaled_past_its_size_gets_new_ids(tmp_path):
    records = [
        {"id": f"a{i}", "title": f"标题{i}", "body": "稀土产业发展。", "lang": "zh-Hans"}
        for i in range(3)
    ]
    _write_corpus(tmp_path / "corpus", records)
    info = build_corpus(size=7, corpus_dir=tmp_path / "corpus", work_dir=tmp_path / "work")
    ids = [r["id"] for r in read_records(info.files)]
    assert info.articles == 7 and info.copies == 3
    assert ids == ["a0", "a1", "a2", "a0~x2", "a1~x2", "a2~x2", "a0~x3"]
    assert len(set(ids)) == 7
    texts = {(r["title"], r["body"]) for r in read_records(info.files)}
    assert len(texts) == 7  # the importer would skip a copy with the same text


@pytest.mark.django_db
def test_benchmark_copies_import_as_new_articles(tmp_path):
    from archive.models import Article

    records = [
        {"id": f"a{i}", "title": f"标题{i}", "body": f"稀土产业发展{i}。", "lang": "zh-Hans"}
        for i in range(2)
    ]
    _write_corpus(tmp_path / "corpus", records)
    info = build_corpus(size=5, corpus_dir=tmp_path / "corpus", work_dir=tmp_path / "work")
    call_command("import_articles", *map(str, info.files), "--no-index", stdout=StringIO())
    assert Article.objects.count() == 5


def test_benchmark_corpus_absent_falls_back_to_synthetic(tmp_path):
    info = build_corpus(size=50, corpus_dir=tmp_path / "missing", work_dir=tmp_path / "work")
    records = list(read_records(info.files))
    assert info.synthetic and len(records) == 50
    assert {r["lang"] for r in records} <= {"zh-Hans", "zh-Hant", "en"}
    assert all(r["title"] and r["body"] for r in records)


def test_benchmark_percentile_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile([], 95) == 0.0


@pytest.mark.slow
def test_benchmark_command_quick_run_writes_json_with_every_stage(tmp_path):
    out = tmp_path / "result.json"
    stdout = StringIO()
    call_command(
        "benchmark",
        "--quick",
        "--corpus",
        str(tmp_path / "no-corpus"),
        "--sizes",
        "60",
        "--stock-docs",
        "40",
        "--http-seconds",
        "1",
        "--scratch",
        str(tmp_path / "scratch"),
        "--out",
        str(out),
        stdout=stdout,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    assert {"meta", "sizes", "segmentation", "stock", "headline", "targets"} <= set(report)
    entry = report["sizes"]["60"]
    assert entry["corpus"]["synthetic"] is True and entry["corpus"]["articles"] == 60
    for peer in ("fts5", "tantivy"):
        assert entry["peers"][peer]["docs"] == 60
        assert "p95_ms" in entry["peers"][peer]["latency"]["faceted_highlighted/first"]
    assert report["stock"]["docs"] == 40
    assert "p95_ms" in report["stock"]["latency"]["faceted_highlighted/first"]
    assert report["segmentation"]["jieba_mb_s"] > 0
    ours = entry["ours"]
    assert ours["import"]["docs_per_s"] > 0 and ours["index"]["index_mb"] > 0
    assert "p95_ms" in ours["search"]["latency"]["faceted_highlighted/first"]
    assert ours["http"]["article_page_visit_failures"] == 0
    phases = ("article_page", "article_page_first_view", "faceted_search")
    for phase in (*phases, "faceted_search_while_editing"):
        assert ours["http"][phase]["requests_ok"] > 0 and ours["http"][phase]["errors"] == 0
    assert ours["http"]["editor"]["edits"] >= 1  # searches answered while articles changed
    assert out.with_suffix(".md").read_text(encoding="utf-8").startswith("# Benchmark baseline")
    assert "Targets" in stdout.getvalue()


@pytest.mark.slow
def test_benchmark_on_a_database_imported_before_skips_the_import(tmp_path):
    import subprocess
    import sys

    from django.conf import settings

    from archive.benchmark.runner import scratch_env

    info = build_corpus(size=60, corpus_dir=None, work_dir=tmp_path)
    var_dir = tmp_path / "earlier" / "var"
    env = scratch_env(var_dir=var_dir)
    files = [str(path) for path in info.files]
    for args in (["migrate", "--noinput", "-v", "0"], ["import_articles", *files, "--no-index"]):
        subprocess.run(
            [sys.executable, "manage.py", *args],
            env=env,
            cwd=settings.BASE_DIR,
            check=True,
            capture_output=True,
        )
    database = var_dir / "archive.sqlite3"
    out = tmp_path / "result.json"
    call_command(
        "benchmark", "--corpus", str(tmp_path / "no-corpus"), "--sizes", "60", "--repeats", "1",
        "--no-peers", "--no-stock", "--no-http", "--reuse-database", f"60={database}",
        "--scratch", str(tmp_path / "scratch"), "--out", str(out), stdout=StringIO(),
    )  # fmt: skip
    ours = json.loads(out.read_text(encoding="utf-8"))["sizes"]["60"]["ours"]
    assert ours["import"] == {"reused": str(database)}
    assert ours["index"]["docs_per_s"] > 0 and ours["search"]["error_count"] == 0
    assert any(ours["search"]["hits"].values())  # the copied articles were found


def test_benchmark_refuses_a_database_that_is_not_there(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="SIZE=PATH"):
        call_command("benchmark", "--reuse-database", f"60={tmp_path / 'nothing'}")


def test_a_step_s_peak_memory_is_its_own_not_the_benchmark_s(tmp_path):
    from archive.benchmark.stats import run_step, tree_peak_rss_mb

    held = bytearray(300 * 2**20)  # the benchmark process grows large first
    held[::4096] = b"x" * len(held[::4096])
    assert tree_peak_rss_mb(os.getpid()) >= 300
    grows = (
        "import time; b = bytearray(80 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(0.5)"
    )
    step = run_step(
        [sys.executable, "-c", grows],
        env=dict(os.environ),
        cwd=str(tmp_path),
        log_path=str(tmp_path / "log"),
    )
    assert step.ok
    # Its own 80 MB and the interpreter, not the 300 MB the parent held when it forked.
    assert 80 <= step.peak_rss_mb < 200, step.peak_rss_mb
    del held
