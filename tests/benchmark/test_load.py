"""``manage.py benchmark_load`` runs end to end on a tiny installation (the seeds only).

It needs wrk (Debian: ``apt-get install wrk``): without it the test is skipped,
unless ARCHIVE_REQUIRE_WRK=1, which turns the skip into a failure. Times are
never asserted: only that every phase ran, reported its figures, and saw no error.
"""

import json
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from archive.benchmark import load

PHASE_FIELDS = {"load", "queue", "log", "processes", "indexer_alive_after"}
LOAD_FIELDS = {
    "requests",
    "requests_per_s",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "statuses",
    "ok",
    "intended_404",
    "unintended_404",
    "non_2xx_other",
    "socket_errors",
    "errors",
}


@pytest.fixture
def wrk():
    path = load.find_wrk()
    if path is None:
        if os.environ.get("ARCHIVE_REQUIRE_WRK", "") == "1":
            pytest.fail(load.WRK_INSTALL)
        pytest.skip(load.WRK_INSTALL)
    return path


def test_benchmark_load_summarizes_wrk_statuses_with_intended_404s_apart():
    raw = {
        "requests": 103,
        "duration_us": 2_000_000,
        "bytes": 1000,
        "intended_404_requests": 5,
        "errors": {"connect": 0, "read": 1, "write": 0, "status": 6, "timeout": 0},
        "latency_us": {
            "min": 1,
            "max": 9000,
            "mean": 10.0,
            "p50": 1500,
            "p90": 2000,
            "p95": 2500,
            "p99": 4000,
        },
        "statuses": {"200": 96, "404": 4, "503": 2},
    }
    out = load.summarize_wrk(raw)
    assert out["requests_per_s"] == 51.5 and out["p95_ms"] == 2.5
    assert out["intended_404"] == 4 and out["unintended_404"] == 0
    assert out["non_2xx_other"] == {"503": 2}
    assert out["errors"] == 3  # the two 503s and the read error


def test_benchmark_load_flat_means_within_the_slack():
    def snap(pid, rss, fds):
        return {"pid": pid, "state": "S", "rss_mb": rss, "fds": fds}

    before = {"master": None, "workers": [snap(1, 100.0, 20)], "indexer": snap(3, 80.0, 5)}
    after = {"master": None, "workers": [snap(2, 100.0, 20)], "indexer": snap(3, 200.0, 5)}
    comp = load.compare(before, after)
    assert comp["replaced_workers"] == [1] and comp["new_workers"] == [2]
    assert comp["flat"] is False  # the indexer grew by 120 MB
    rows = {row["pid"]: row for row in comp["rows"]}
    assert rows[1]["gone"] and rows[3]["rss_growth_mb"] == 120.0


def test_benchmark_load_says_how_to_install_wrk(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "find_wrk", lambda explicit=None: None)
    with pytest.raises(CommandError, match="apt-get install -y wrk"):
        call_command("benchmark_load", "--seeds-only", "--scratch", str(tmp_path))


@pytest.mark.slow
def test_benchmark_load_runs_every_phase_on_the_seeds(tmp_path, wrk):
    out = tmp_path / "load.json"
    stdout = StringIO()
    call_command(
        "benchmark_load",
        "--seeds-only",
        "--seconds",
        "2",
        "--warmup",
        "1",
        "--connections",
        "4",
        "--retag",
        "3",
        "--drain-timeout",
        "120",
        "--scratch",
        str(tmp_path / "scratch"),
        "--out",
        str(out),
        stdout=stdout,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    assert {"meta", "prepare", "urls", "startup", "phases", "summary", "goals", "end"} <= set(
        report
    )
    assert report["startup"]["status"] == 200 and report["startup"]["indexer_started"]
    assert report["urls"]["missing_article_paths"] >= 1 and report["urls"]["search_paths"] > 0
    assert list(report["phases"]) == ["articles", "searches", "update"]
    for name, phase in report["phases"].items():
        assert PHASE_FIELDS <= set(phase), name
        for kind, figures in phase["load"].items():
            assert LOAD_FIELDS <= set(figures), (name, kind)
            assert figures["requests"] > 0 and figures["errors"] == 0, (name, kind, figures)
        assert phase["log"]["worker_timeouts"] == 0
        assert phase["log"]["unintended_404_logged"] == 0
        assert phase["indexer_alive_after"] and phase["queue"]["drained"]
        before = phase["processes"]["before"]
        assert len(before["workers"]) == 2 and before["indexer"]
        for row in phase["processes"]["compare"]["rows"]:
            assert {"pid", "rss_mb_before", "fds_before"} <= set(row)
            assert row["rss_mb_before"] > 0 and row["fds_before"] > 0
    assert report["phases"]["articles"]["load"]["articles"]["intended_404"] > 0
    update = report["phases"]["update"]["update"]
    assert update["retag"]["service"] == "archive.editorial.add_topic"
    assert update["retag"]["changed"] == 3 and update["update_index"]["returncode"] == 0
    assert report["end"]["indexer_alive"]
    assert out.with_suffix(".md").read_text(encoding="utf-8").startswith("# Load baseline")
