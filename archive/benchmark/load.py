"""Real load: the site as ``make run`` serves it, under wrk, alone and during an index update.

``manage.py benchmark_load`` runs this. It prepares (or reuses) a scratch
installation under ``var/bench/load/`` with the seeds plus the whole corpus,
imported and indexed with the same commands the main benchmark uses, then runs
``manage.py prepare_site`` and gunicorn with ``archive/gunicorn_conf.py`` (two
workers and the indexer ``run_indexer``) on a free loopback port, and drives it
with wrk for a fixed time per phase:

* ``articles``: article pages of existing ids plus a few ids that do not exist
  (intended 404s);
* ``searches``: distinct query x facet x sort x page combinations, many more
  than the per-worker result cache holds, so searches are computed afresh;
* ``update``: both at once (two wrk processes) while a bulk re-tag of 5,000
  articles through the admin's "Add a topic" service (``editorial.add_topic``)
  and then ``manage.py update_index`` run in the same installation.

For each phase: requests/s, latency percentiles, responses by status (intended
404s apart), socket errors and timeouts, gunicorn worker timeouts and respawns
from its log, and each worker's and the indexer's RSS and open file descriptors
before and after; at the end, whether the indexer is alive and the queue drained.

Helpers that need Django (URLs, re-tag, topic reset) run as subprocesses of this
module (``python -m archive.benchmark.load TASK``) inside the scratch installation.
"""

import argparse
import json
import os
import random
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from archive.benchmark import web
from archive.benchmark.corpus import corpus_files
from archive.benchmark.runner import scratch_env
from archive.benchmark.stats import run_meta, run_step

PHASES = ("articles", "searches", "update")
BENCH_TOPIC = "bench-load"
WRK_SCRIPT = Path(__file__).with_name("wrk") / "paths.lua"
WRK_INSTALL = (
    "wrk is not installed. Install it with `sudo apt-get install -y wrk` (Debian/Ubuntu), "
    "`brew install wrk` (macOS) or from https://github.com/wg/wrk, then run again."
)
# Goals of the hardening issue: "flat" RSS and fd counts, written out.
RSS_SLACK_MB = 25.0
RSS_SLACK_RATIO = 0.10
FD_SLACK = 4


class LoadError(RuntimeError):
    """The load run cannot go on (no wrk, a preparation step failed, the site did not start)."""


@dataclass
class LoadConfig:
    base_dir: Path
    corpus_dir: Path | None
    scratch: Path
    reuse: bool = False
    seeds_only: bool = False
    seconds: float = 60.0
    connections: int = 16
    threads: int = 2
    workers: int = 2
    retag: int = 5000
    phases: tuple[str, ...] = PHASES
    article_urls: int = 20_000
    missing_ids: int = 40
    drain_timeout: float = 900.0
    warmup: float = 5.0
    wrk: str | None = None
    log: Callable[[str], None] = field(default=lambda _msg: None)


def find_wrk(explicit: str | None = None) -> str | None:
    return explicit if explicit and Path(explicit).exists() else shutil.which("wrk")


def _python() -> str:
    return sys.executable


# --- the scratch installation ----------------------------------------------------------
def _manage(cfg: LoadConfig, args: list[str], *, env: dict, log: Path, timeout=None):
    return run_step(
        [_python(), "manage.py", *args],
        env=env,
        cwd=str(cfg.base_dir),
        log_path=str(log),
        timeout=timeout,
    )


def _helper(cfg: LoadConfig, task: str, *, env: dict, area: Path, extra: list[str]) -> dict:
    out = area / f"{task}.json"
    out.unlink(missing_ok=True)
    step = run_step(
        [_python(), "-m", "archive.benchmark.load", task, "--out", str(out), *extra],
        env=env,
        cwd=str(cfg.base_dir),
        log_path=str(area / f"{task}.log"),
    )
    if not step.ok or not out.exists():
        raise LoadError(f"helper {task} exited {step.returncode}: {step.output_tail[-600:]}")
    result = json.loads(out.read_text(encoding="utf-8"))
    result["seconds"] = round(step.seconds, 2)
    return result


def prepare(cfg: LoadConfig) -> dict:
    """Seeds plus the corpus imported and indexed in ``scratch/var`` (or the earlier one)."""
    var_dir = cfg.scratch / "var"
    marker = cfg.scratch / "prepared.json"
    wanted = "seeds" if cfg.seeds_only else f"seeds+corpus:{cfg.corpus_dir}"
    if cfg.reuse and marker.exists() and (var_dir / "archive.sqlite3").exists():
        done = json.loads(marker.read_text(encoding="utf-8"))
        if done.get("content") == wanted:
            cfg.log(f"reusing the installation in {cfg.scratch} ({done.get('articles')} articles)")
            return {**done, "reused": True}
        cfg.log(f"the installation in {cfg.scratch} holds {done.get('content')}: rebuilding")
    shutil.rmtree(var_dir, ignore_errors=True)
    marker.unlink(missing_ok=True)
    cfg.scratch.mkdir(parents=True, exist_ok=True)
    env = scratch_env(var_dir=var_dir)
    steps: dict = {}
    files = [] if cfg.seeds_only else [str(p) for p in corpus_files(corpus_dir=cfg.corpus_dir)]
    if not cfg.seeds_only and not files:
        raise LoadError(f"no corpus files in {cfg.corpus_dir} (or pass --seeds-only)")
    plan = [
        ("migrate", ["migrate", "--noinput", "-v", "0"]),
        ("load_seeds", ["load_seeds", "--no-index"]),
    ]
    if files:
        plan.append(("import_articles", ["import_articles", *files, "--no-index"]))
    plan.append(("rebuild_index", ["rebuild_index", "--noinput"]))
    for name, args in plan:
        cfg.log(f"  {name}")
        step = _manage(cfg, args, env=env, log=cfg.scratch / f"{name}.log")
        steps[name] = {
            "seconds": round(step.seconds, 1),
            "cpu_seconds": round(step.cpu_seconds, 1),
            "returncode": step.returncode,
        }
        # import_articles exits 2 when some records failed; the rest are in.
        if not step.ok and not (name == "import_articles" and step.returncode == 2):
            raise LoadError(f"{name} failed ({step.returncode}): {step.output_tail[-600:]}")
    counts = _helper(cfg, "count", env=env, area=cfg.scratch, extra=[])
    done = {
        "content": wanted,
        "articles": counts["articles"],
        "prepared_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "steps": steps,
    }
    marker.write_text(json.dumps(done, indent=1), encoding="utf-8")
    return {**done, "reused": False}


# --- processes ------------------------------------------------------------------------
def _status_fields(pid: int) -> dict:
    fields = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
        for line in fh:
            key, _sep, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def process_info(pid: int) -> dict | None:
    """RSS (VmRSS) and open file descriptors of one process; None when it is gone."""
    try:
        fields = _status_fields(pid)
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    state = fields.get("State", "?").split()[0]
    rss_kb = int(fields.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in fields else 0
    return {"pid": pid, "state": state, "rss_mb": round(rss_kb / 1024, 1), "fds": fds}


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="utf-8") as fh:
                out += [int(x) for x in fh.read().split()]
        except FileNotFoundError:
            continue
    return sorted(set(out))


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def snapshot(master: int) -> dict:
    """The gunicorn master, its workers and the indexer (all the master's children)."""
    workers, indexer = [], None
    for pid in _children(master):
        info = process_info(pid)
        if info is None:
            continue
        if "run_indexer" in _cmdline(pid):
            indexer = info
        else:
            workers.append(info)
    return {"master": process_info(master), "workers": workers, "indexer": indexer}


def _alive(info: dict | None) -> bool:
    return bool(info) and info["state"] not in ("Z", "X")


def compare(before: dict, after: dict) -> dict:
    """Replaced workers, RSS and fd growth per process, and whether both stayed flat."""
    b_pids = {w["pid"] for w in before["workers"]}
    a_pids = {w["pid"] for w in after["workers"]}
    rows = []
    pairs = [
        (w, next((x for x in after["workers"] if x["pid"] == w["pid"]), None))
        for w in before["workers"]
    ]
    pairs.append((before["indexer"], after["indexer"]))
    flat = True
    for old, new in pairs:
        if not old:
            continue
        kind = "indexer" if old is before["indexer"] else "worker"
        row = {
            "process": kind,
            "pid": old["pid"],
            "rss_mb_before": old["rss_mb"],
            "fds_before": old["fds"],
        }
        if new and _alive(new) and new["pid"] == old["pid"]:
            grew_mb = new["rss_mb"] - old["rss_mb"]
            row.update(
                rss_mb_after=new["rss_mb"],
                fds_after=new["fds"],
                rss_growth_mb=round(grew_mb, 1),
                fd_growth=new["fds"] - old["fds"],
            )
            row["flat"] = grew_mb <= max(RSS_SLACK_MB, RSS_SLACK_RATIO * old["rss_mb"]) and (
                new["fds"] - old["fds"] <= FD_SLACK
            )
        else:
            row.update(gone=True, flat=None)
        flat = flat and row["flat"] is not False
        rows.append(row)
    return {
        "rows": rows,
        "replaced_workers": sorted(b_pids - a_pids),
        "new_workers": sorted(a_pids - b_pids),
        "flat": flat,
    }


def pending_tasks(database: Path) -> int | None:
    """The index queue's length, read from the scratch SQLite file (None when unreadable)."""
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute("SELECT COUNT(*) FROM archive_indextask").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def wait_drained(database: Path, *, timeout: float, still: Callable[[], bool]) -> dict:
    """Poll the queue until it is empty; seconds it took, or how many were left."""
    start = time.perf_counter()
    pending = pending_tasks(database)
    while (pending is None or pending > 0) and time.perf_counter() - start < timeout:
        if not still():
            break
        time.sleep(1.0)
        pending = pending_tasks(database)
    return {
        "drained": pending == 0,
        "pending_at_end": pending,
        "seconds_after_phase": round(time.perf_counter() - start, 1),
    }


class GunicornLog:
    """The master's log (workers and indexer write there too), read phase by phase."""

    PATTERNS = {
        "worker_timeouts": re.compile(r"WORKER TIMEOUT"),
        "workers_booted": re.compile(r"Booting worker"),
        "worker_exits": re.compile(r"Worker \(pid:\d+\) (was sent|exited)"),
        "tracebacks": re.compile(r"^Traceback"),
        # archive.supervisor restarts the indexer when it exits, and says so.
        "indexer_exits": re.compile(r"indexer \(pid \d+\) exited"),
        "indexer_starts": re.compile(r"indexer started \(pid"),
    }
    NOT_FOUND = re.compile(r"Not Found: (\S+)")
    PROBLEM = re.compile(r"Error|Exception|Traceback|WORKER TIMEOUT|CRITICAL|IndexBusy|retrying")

    def __init__(self, path: Path, *, intended: set[str] = frozenset()):
        self.path = path
        self.offset = 0
        self.intended = set(intended)

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def since_mark(self) -> dict:
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            text = fh.read().decode("utf-8", "replace")
        lines = text.splitlines()
        out: dict = {
            name: sum(1 for line in lines if pattern.search(line))
            for name, pattern in self.PATTERNS.items()
        }
        # Django logs every 404 with its path: the exact check that only intended ids 404.
        not_found = [m.group(1) for line in lines if (m := self.NOT_FOUND.search(line))]
        out["not_found_logged"] = len(not_found)
        out["unintended_404_paths"] = sorted({p for p in not_found if p not in self.intended})[:20]
        out["unintended_404_logged"] = sum(1 for p in not_found if p not in self.intended)
        problems = [line[:300] for line in lines if self.PROBLEM.search(line)]
        out["problem_lines"] = problems[:12]
        out["problem_line_count"] = len(problems)
        return out


# --- wrk --------------------------------------------------------------------------------
def start_wrk(
    cfg: LoadConfig,
    *,
    port: int,
    paths: Path,
    report: Path,
    seconds: float,
    connections: int,
    threads: int,
) -> subprocess.Popen:
    report.unlink(missing_ok=True)
    env = {**os.environ, "WRK_PATHS": str(paths), "WRK_REPORT": str(report)}
    command = [
        cfg.wrk or "wrk",
        f"-t{max(1, min(threads, connections))}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        # gunicorn's own timeout is 60 s: anything wrk gives up on before is a real stall.
        "--timeout",
        "30s",
        "-s",
        str(WRK_SCRIPT),
        f"http://127.0.0.1:{port}",
    ]
    log = open(report.with_suffix(".log"), "wb")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc._bench_log = log  # type: ignore[attr-defined]
    return proc


def finish_wrk(proc: subprocess.Popen, report: Path, *, timeout: float) -> dict:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc._bench_log.close()  # type: ignore[attr-defined]
    if not report.exists():
        tail = report.with_suffix(".log").read_text(encoding="utf-8", errors="replace")[-600:]
        return {"error": f"wrk exited {proc.returncode} without a report", "output_tail": tail}
    return summarize_wrk(json.loads(report.read_text(encoding="utf-8")))


def summarize_wrk(raw: dict) -> dict:
    """requests/s, percentiles in ms, 2xx and non-2xx by status, intended 404s apart."""
    seconds = raw["duration_us"] / 1e6
    statuses = {str(k): v for k, v in sorted(raw.get("statuses", {}).items())}
    ok = sum(v for k, v in statuses.items() if k.startswith("2"))
    got_404 = statuses.get("404", 0)
    intended = raw.get("intended_404_requests", 0)
    # wrk counts the requests it sent; up to one per connection is still in flight at the
    # end, so 404s beyond the intended requests sent are the unintended ones.
    unintended_404 = max(0, got_404 - intended)
    other = {k: v for k, v in statuses.items() if not k.startswith("2") and k != "404"}
    lat = raw["latency_us"]
    errors = raw["errors"]
    return {
        "seconds": round(seconds, 1),
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "ok_per_s": round(ok / seconds, 1) if seconds else 0.0,
        "p50_ms": round(lat["p50"] / 1000, 1),
        "p90_ms": round(lat["p90"] / 1000, 1),
        "p95_ms": round(lat["p95"] / 1000, 1),
        "p99_ms": round(lat["p99"] / 1000, 1),
        "max_ms": round(lat["max"] / 1000, 1),
        "mean_ms": round(lat["mean"] / 1000, 1),
        "mb_read": round(raw["bytes"] / 1e6, 1),
        "statuses": statuses,
        "ok": ok,
        "intended_404": min(got_404, intended),
        "intended_404_requests": intended,
        "unintended_404": unintended_404,
        "non_2xx_other": other,
        "socket_errors": {k: errors[k] for k in ("connect", "read", "write", "timeout")},
        "errors": unintended_404
        + sum(other.values())
        + sum(errors[k] for k in ("connect", "read", "write", "timeout")),
    }


# --- the index update of phase (c) --------------------------------------------------------
class IndexUpdate(threading.Thread):
    """The bulk re-tag through ``editorial.add_topic``, then ``manage.py update_index``."""

    def __init__(self, cfg: LoadConfig, *, env: dict, area: Path):
        super().__init__(daemon=True)
        self.cfg, self.env, self.area = cfg, env, area
        self.result: dict = {}
        self.started_at = 0.0

    def run(self) -> None:
        self.started_at = time.perf_counter()
        try:
            retag = _helper(
                self.cfg,
                "retag",
                env=self.env,
                area=self.area,
                extra=["--count", str(self.cfg.retag), "--slug", BENCH_TOPIC],
            )
            retag["ended_at_s"] = round(time.perf_counter() - self.started_at, 1)
            self.result["retag"] = retag
            step = _manage(
                self.cfg, ["update_index"], env=self.env, log=self.area / "update_index.log"
            )
            self.result["update_index"] = {
                "returncode": step.returncode,
                "seconds": round(step.seconds, 1),
                "cpu_seconds": round(step.cpu_seconds, 1),
                "peak_rss_mb": round(step.peak_rss_mb, 1),
                "ended_at_s": round(time.perf_counter() - self.started_at, 1),
                "output_tail": step.output_tail[-400:],
            }
        except Exception as exc:  # noqa: BLE001  (reported in the phase, not fatal)
            self.result["error"] = f"{exc.__class__.__name__}: {exc}"[:800]


# --- phases ------------------------------------------------------------------------------
def run_phase(
    cfg: LoadConfig,
    name: str,
    *,
    port: int,
    master: int,
    glog: GunicornLog,
    urls: dict,
    area: Path,
    env: dict,
    database: Path,
) -> dict:
    before = snapshot(master)
    glog.mark()
    pending_before = pending_tasks(database)
    sampler = Sampler(master=master, database=database)
    sampler.start()
    load_avg = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()
    update = None
    kinds = {"articles": ["articles"], "searches": ["searches"], "update": ["articles", "searches"]}
    procs = {}
    split = len(kinds[name])
    for kind in kinds[name]:
        procs[kind] = start_wrk(
            cfg,
            port=port,
            paths=urls[kind],
            report=area / f"wrk-{name}-{kind}.json",
            seconds=cfg.seconds,
            connections=max(1, cfg.connections // split),
            threads=max(1, cfg.threads // split),
        )
    if name == "update":
        update = IndexUpdate(cfg, env=env, area=area)
        update.start()
    loads = {
        kind: finish_wrk(proc, area / f"wrk-{name}-{kind}.json", timeout=cfg.seconds + 60)
        for kind, proc in procs.items()
    }
    load_seconds = round(time.perf_counter() - started, 1)
    result: dict = {"load": loads, "load_average_start": load_avg, "pending_before": pending_before}
    after_load = snapshot(master)
    if update is not None:
        update.join(timeout=cfg.drain_timeout)
        result["update"] = update.result or {"error": "still running after the drain timeout"}
        result["update"]["finished_after_load_s"] = round(
            time.perf_counter() - started - load_seconds, 1
        )
    master_alive = lambda: process_info(master) is not None  # noqa: E731
    result["queue"] = wait_drained(database, timeout=cfg.drain_timeout, still=master_alive)
    sampler.stop()
    result["queue"]["max_pending"] = max(
        (p for _t, p, _pid in sampler.samples if p is not None), default=None
    )
    result["queue"]["samples"] = sampler.samples
    result["indexer_pids_seen"] = sorted({pid for _t, _p, pid in sampler.samples if pid})
    after = snapshot(master)
    result["log"] = glog.since_mark()
    result["processes"] = {
        "before": before,
        "after_load": after_load,
        "after": after,
        "compare": compare(before, after),
    }
    result["indexer_alive_after"] = _alive(after["indexer"])
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


class Sampler(threading.Thread):
    """Every 2 s: seconds into the phase, the queue's length, the indexer's pid."""

    def __init__(self, *, master: int, database: Path, every: float = 2.0):
        super().__init__(daemon=True)
        self.master, self.database, self.every = master, database, every
        self.samples: list[tuple[float, int | None, int | None]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        start = time.perf_counter()
        while True:
            indexer = snapshot(self.master)["indexer"]
            self.samples.append(
                (
                    round(time.perf_counter() - start, 1),
                    pending_tasks(self.database),
                    indexer["pid"] if _alive(indexer) else None,
                )
            )
            if self._halt.wait(self.every):
                return

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)


def settle(master: int, *, timeout: float, log_path: Path) -> dict:
    """Wait until the indexer has started its loop and its RSS stopped growing.

    ``run_indexer`` is a fresh ``manage.py`` process: Django, the index and jieba load
    in its first seconds, which is start-up, not a leak in the first phase.
    """
    start = time.perf_counter()
    last = None
    while time.perf_counter() - start < timeout:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        indexer = snapshot(master)["indexer"]
        if indexer and "indexer: running" in text:
            if (
                last
                and last["pid"] == indexer["pid"]
                and abs(indexer["rss_mb"] - last["rss_mb"]) < 1
            ):
                break
            last = indexer
        time.sleep(3.0)
    return {
        "seconds": round(time.perf_counter() - start, 1),
        "indexer": snapshot(master)["indexer"],
    }


def _wait_indexer(master: int, timeout: float = 20.0) -> dict | None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        snap = snapshot(master)
        if snap["indexer"] and len(snap["workers"]) >= 1:
            return snap
        time.sleep(0.2)
    return None


def run_load(cfg: LoadConfig) -> dict:
    """Prepare, serve, load each phase; the JSON-ready report."""
    cfg.wrk = find_wrk(cfg.wrk)
    if not cfg.wrk:
        raise LoadError(WRK_INSTALL)
    unknown = set(cfg.phases) - set(PHASES)
    if unknown:
        raise LoadError(f"unknown phases {sorted(unknown)}; choose from {', '.join(PHASES)}")
    started = time.time()
    report: dict = {
        "meta": {
            **run_meta(),
            "wrk": _wrk_version(cfg.wrk),
            "seconds_per_phase": cfg.seconds,
            "connections": cfg.connections,
            "wrk_threads": cfg.threads,
            "web_concurrency": cfg.workers,
            "retag_articles": cfg.retag,
            "phases": list(cfg.phases),
            "corpus_dir": None if cfg.seeds_only else str(cfg.corpus_dir),
            "git_commit": _git_commit(cfg.base_dir),
        },
    }
    cfg.log(f"preparing {cfg.scratch}")
    report["prepare"] = prepare(cfg)
    var_dir = cfg.scratch / "var"
    area = cfg.scratch / "run"
    shutil.rmtree(area, ignore_errors=True)
    area.mkdir(parents=True)
    env = scratch_env(var_dir=var_dir, debug=False)
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        WEB_CONCURRENCY=str(cfg.workers),
        ARCHIVE_START_INDEXER="1",
    )
    env.pop("ARCHIVE_ACCESS_LOG", None)
    # The benchmark topic goes back to no articles, so every run re-tags the same way.
    report["reset"] = _helper(cfg, "reset", env=env, area=area, extra=["--slug", BENCH_TOPIC])
    cfg.log("prepare_site (as make run)")
    step = _manage(cfg, ["prepare_site"], env=env, log=area / "prepare_site.log")
    if not step.ok:
        raise LoadError(f"prepare_site failed: {step.output_tail[-600:]}")
    report["prepare_site_seconds"] = round(step.seconds, 1)
    # First views are first views in every run: no pages left from an earlier one.
    shutil.rmtree(var_dir / "cache" / "pages", ignore_errors=True)
    cfg.log("resolving URLs")
    urls_meta = _helper(
        cfg,
        "urls",
        env=env,
        area=area,
        extra=[
            "--dir",
            str(area),
            "--articles",
            str(cfg.article_urls),
            "--missing",
            str(cfg.missing_ids),
            "--exclude-topic",
            BENCH_TOPIC,
        ],
    )
    report["urls"] = urls_meta
    urls = {"articles": area / "articles.txt", "searches": area / "searches.txt"}
    port = web.free_port()
    glog_path = area / "gunicorn.log"
    proc = web.start_gunicorn(env=env, cwd=str(cfg.base_dir), port=port, log_path=str(glog_path))
    report["meta"]["port"] = port
    glog = GunicornLog(glog_path, intended=_intended_404(urls["articles"]))
    phases: dict = {}
    report["phases"] = phases
    try:
        first = urls_meta["first_search"]
        report["startup"] = web.wait_first_search(proc=proc, port=port, path=first, timeout=180)
        if report["startup"]["status"] != 200:
            raise LoadError(f"the search page answered {report['startup']['status']}")
        start_snap = _wait_indexer(proc.pid)
        report["startup"]["indexer_started"] = bool(start_snap)
        report["startup"]["indexer_settle"] = settle(proc.pid, timeout=90, log_path=glog_path)
        if cfg.warmup > 0:
            cfg.log(f"warm-up: {cfg.warmup:g} s, not measured")
            report["warmup"] = warm_up(cfg, port=port, urls=urls, area=area, seconds=cfg.warmup)
        for name in cfg.phases:
            cfg.log(f"phase {name}: {cfg.seconds:g} s")
            phases[name] = run_phase(
                cfg,
                name,
                port=port,
                master=proc.pid,
                glog=glog,
                urls=urls,
                area=area,
                env=env,
                database=var_dir / "archive.sqlite3",
            )
            cfg.log("  " + _phase_line(name, phases[name]))
        report["end"] = {
            "indexer_alive": _alive(snapshot(proc.pid)["indexer"]),
            "pending_index_tasks": pending_tasks(var_dir / "archive.sqlite3"),
        }
    finally:
        report["gunicorn_peak_rss_mb"] = web.stop_gunicorn(proc)
        glog.offset = 0
        report["log_whole_run"] = glog.since_mark() if glog_path.exists() else {}
    report["meta"]["total_seconds"] = round(time.time() - started, 1)
    report["meta"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    report["summary"] = summary(report)
    report["goals"] = goals(report)
    return report


def _intended_404(paths: Path) -> set[str]:
    lines = paths.read_text(encoding="utf-8").splitlines()
    return {line.split()[1] for line in lines if line.startswith("404 ")}


def warm_up(cfg: LoadConfig, *, port: int, urls: dict, area: Path, seconds: float) -> dict:
    """A short unmeasured load of both kinds: workers open the index and database first."""
    procs = {
        kind: start_wrk(
            cfg,
            port=port,
            paths=path,
            report=area / f"wrk-warmup-{kind}.json",
            seconds=seconds,
            connections=2,
            threads=1,
        )
        for kind, path in urls.items()
    }
    return {
        kind: finish_wrk(proc, area / f"wrk-warmup-{kind}.json", timeout=seconds + 60)
        for kind, proc in procs.items()
    }


def _phase_line(name: str, phase: dict) -> str:
    parts = []
    for kind, load in phase["load"].items():
        if "error" in load:
            parts.append(f"{kind}: {load['error']}")
            continue
        parts.append(
            f"{kind} {load['requests_per_s']}/s p50 {load['p50_ms']} p95 {load['p95_ms']} "
            f"p99 {load['p99_ms']} ms, errors {load['errors']}"
        )
    parts.append(f"worker timeouts {phase['log']['worker_timeouts']}")
    parts.append(f"indexer alive {phase['indexer_alive_after']}")
    return "; ".join(parts)


def _wrk_version(wrk: str) -> str:
    try:
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True, timeout=10)
    except OSError:
        return "?"
    text = (out.stdout or out.stderr or "?").splitlines()[0]
    return text.split(" Copyright")[0].strip()


def _git_commit(base: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=base, capture_output=True, text=True
        )
    except OSError:
        return None
    return out.stdout.strip() or None


# --- summaries ---------------------------------------------------------------------------
def summary(report: dict) -> list[dict]:
    """One row per phase and load kind: the figures the tables show."""
    rows = []
    for name, phase in report.get("phases", {}).items():
        for kind, load in phase.get("load", {}).items():
            row = {"phase": name, "kind": kind}
            if "error" in load:
                row["error"] = load["error"]
            else:
                for key in (
                    "requests_per_s",
                    "p50_ms",
                    "p95_ms",
                    "p99_ms",
                    "max_ms",
                    "ok",
                    "intended_404",
                    "unintended_404",
                    "errors",
                ):
                    row[key] = load[key]
                row["non_2xx_other"] = sum(load["non_2xx_other"].values())
                row["socket_errors"] = sum(load["socket_errors"].values())
                row["wrk_timeouts"] = load["socket_errors"]["timeout"]
            row["worker_timeouts"] = phase["log"]["worker_timeouts"]
            row["unintended_404_logged"] = phase["log"]["unintended_404_logged"]
            rows.append(row)
    return rows


def goals(report: dict) -> list[dict]:
    """The issue's goals, each with what was measured and whether it was met."""
    phases = report.get("phases", {})
    loads = [load for phase in phases.values() for load in phase.get("load", {}).values()]
    errors = sum(load.get("errors", 1) for load in loads) + sum(
        phase["log"]["unintended_404_logged"] for phase in phases.values()
    )
    timeouts = sum(phase["log"]["worker_timeouts"] for phase in phases.values())
    flat = [phase["processes"]["compare"]["flat"] for phase in phases.values()]
    replaced = sum(len(p["processes"]["compare"]["replaced_workers"]) for p in phases.values())
    indexer = [phase["indexer_alive_after"] for phase in phases.values()]
    drained = [phase["queue"]["drained"] for phase in phases.values()]
    updates = [
        (p["update"].get("update_index") or {}).get("returncode")
        for p in phases.values()
        if "update" in p
    ]
    return [
        {
            "goal": "no non-2xx apart from intended 404s, no socket errors",
            "measured": errors,
            "met": errors == 0 and bool(loads),
        },
        {"goal": "no gunicorn worker timeouts", "measured": timeouts, "met": timeouts == 0},
        {
            "goal": f"flat RSS (+{RSS_SLACK_MB:g} MB or +{RSS_SLACK_RATIO:.0%}) and fds (+{FD_SLACK})"
            " per worker and indexer",
            "measured": flat,
            "met": all(flat) and bool(flat),
        },
        {"goal": "no worker replaced", "measured": replaced, "met": replaced == 0},
        {"goal": "indexer alive after every phase", "measured": indexer, "met": all(indexer)},
        {"goal": "index queue drained after every phase", "measured": drained, "met": all(drained)},
        {
            "goal": "update_index succeeded during the update phase (exit status)",
            "measured": updates,
            "met": all(code == 0 for code in updates),
        },
    ]


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(report: dict) -> str:
    meta = report["meta"]
    prep = report.get("prepare", {})
    lines = [
        f"# Load baseline {meta['date']} (wrk, gunicorn as `make run`)",
        "",
        f"`manage.py benchmark_load` at commit {meta.get('git_commit')}: "
        f"{_fmt(prep.get('articles'))} articles ({prep.get('content', '?').split(':')[0]}), "
        f"{meta['web_concurrency']} sync workers + the indexer, {meta['wrk']}, "
        f"{meta['connections']} connections per phase ({meta['wrk_threads']} threads), "
        f"{meta['seconds_per_phase']:g} s per phase, loopback. Machine: {meta['machine']['cpus']} "
        f"CPUs, load average {meta['load_average_start']} at the start and "
        f"{meta.get('load_average_end')} at the end (shared and noisy: compare medians and "
        "ratios, not single figures).",
        "",
        "Phases: **articles** (article pages, a few missing ids on purpose), **searches** "
        "(distinct query x facet x sort x page, beyond the result cache), **update** (both at "
        f"once, half the connections each, while `editorial.add_topic` re-tags "
        f"{_fmt(meta['retag_articles'])} articles and `manage.py update_index` runs).",
        "",
        _setup_line(report),
        "",
        "| phase | load | req/s | p50 ms | p95 ms | p99 ms | max ms | 2xx | intended 404 | "
        "other non-2xx | socket errors (wrk timeouts) | worker timeouts |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report.get("summary", []):
        if "error" in row:
            lines.append(f"| {row['phase']} | {row['kind']} | {row['error']} |")
            continue
        lines.append(
            f"| {row['phase']} | {row['kind']} | {_fmt(row['requests_per_s'])} | "
            f"{_fmt(row['p50_ms'])} | {_fmt(row['p95_ms'])} | {_fmt(row['p99_ms'])} | "
            f"{_fmt(row['max_ms'])} | {_fmt(row['ok'])} | {_fmt(row['intended_404'])} | "
            f"{_fmt(row['unintended_404'] + row['non_2xx_other'])} | "
            f"{_fmt(row['socket_errors'])} ({_fmt(row['wrk_timeouts'])}) | "
            f"{_fmt(row['worker_timeouts'])} |"
        )
    lines += [
        "",
        "## Processes (RSS from VmRSS, open fds from /proc/PID/fd), before → after each phase",
        "",
        "| phase | process | pid | RSS MB | fds | flat |",
        "|---|---|---:|---:|---:|---|",
    ]
    for name, phase in report.get("phases", {}).items():
        comp = phase["processes"]["compare"]
        for row in comp["rows"]:
            if row.get("gone"):
                lines.append(
                    f"| {name} | {row['process']} | {row['pid']} | {_fmt(row['rss_mb_before'])} → "
                    f"gone | {row['fds_before']} → gone | **no: exited** |"
                )
                continue
            lines.append(
                f"| {name} | {row['process']} | {row['pid']} | {_fmt(row['rss_mb_before'])} → "
                f"{_fmt(row['rss_mb_after'])} | {row['fds_before']} → {row['fds_after']} | "
                f"{'yes' if row['flat'] else '**no**'} |"
            )
        if comp["replaced_workers"]:
            lines.append(
                f"| {name} | replaced workers | {comp['replaced_workers']} → "
                f"{comp['new_workers']} | | | |"
            )
    lines += ["", "## Index queue and indexer", ""]
    for name, phase in report.get("phases", {}).items():
        queue = phase["queue"]
        text = (
            f"- **{name}**: indexer alive after: {phase['indexer_alive_after']}; queue "
            f"{'drained' if queue['drained'] else 'NOT drained'} "
            f"{queue['seconds_after_phase']} s after the load "
            f"(pending at the end: {queue['pending_at_end']}, at most {queue.get('max_pending')}"
            f"); indexer exits logged: {phase['log']['indexer_exits']}, "
            f"indexer pids seen: {phase.get('indexer_pids_seen')}"
        )
        update = phase.get("update")
        if update:
            retag, upd = update.get("retag", {}), update.get("update_index", {})
            text += (
                f"; re-tag: {retag.get('changed')} articles changed by `{retag.get('service')}` "
                f"in {retag.get('service_seconds')} s ({retag.get('seconds')} s with start-up), "
                f"update_index exited {upd.get('returncode')} after {upd.get('seconds')} s "
                f"(ended {upd.get('ended_at_s')} s into the phase)"
            )
            if upd.get("returncode"):
                last = [ln for ln in upd.get("output_tail", "").splitlines() if ln.strip()]
                text += f"; update_index's last line: `{last[-1][:200] if last else '?'}`"
            if update.get("error"):
                text += f"; error: {update['error'][:200]}"
        if phase["log"]["problem_line_count"]:
            text += f"; {phase['log']['problem_line_count']} problem lines in the log, first:"
            text += "".join(f"\n  - `{line[:200]}`" for line in phase["log"]["problem_lines"][:4])
        lines.append(text)
    lines += ["", "## Goals", "", "| goal | measured | met |", "|---|---|---|"]
    for goal in report.get("goals", []):
        lines.append(
            f"| {goal['goal']} | {goal['measured']} | {'yes' if goal['met'] else '**no**'} |"
        )
    return "\n".join(lines) + "\n"


def _setup_line(report: dict) -> str:
    prep, urls = report.get("prepare", {}), report.get("urls", {})
    steps = ", ".join(
        f"{name} {step.get('seconds')} s" for name, step in prep.get("steps", {}).items()
    )
    return (
        f"Installation: {'reused' if prep.get('reused') else 'prepared in this run'} ({steps}); "
        f"`prepare_site` {report.get('prepare_site_seconds')} s; first search answered "
        f"{report.get('startup', {}).get('seconds_to_first_search')} s after gunicorn started. "
        f"URLs: {_fmt(urls.get('article_paths'))} article pages + "
        f"{_fmt(urls.get('missing_article_paths'))} missing ids; "
        f"{_fmt(urls.get('search_paths'))} search URLs over "
        f"{_fmt(urls.get('distinct_result_keys'))} distinct result sets (the result cache holds "
        f"{urls.get('result_cache_per_worker')} per worker). Page cache emptied before the run."
    )


def write(report: dict, *, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")


# --- helpers run inside the scratch installation (Django set up) ---------------------------
def _task_count(args) -> dict:
    from archive.models import Article

    return {"articles": Article.objects.count()}


def _task_reset(args) -> dict:
    """Take the benchmark topic off every article and apply the change to the index."""
    from archive import editorial
    from archive.models import ArticleTag, Tag
    from archive.search.indexer import drain_queue

    tag = Tag.objects.filter(slug=args.slug).first()
    if tag is None:
        return {"removed": 0}
    ids = list(ArticleTag.objects.filter(tag=tag).values_list("article_id", flat=True))
    removed = editorial.remove_topic(articles=ids, tag=tag) if ids else 0
    applied = drain_queue() if removed else 0
    return {"removed": removed, "applied": applied}


def _task_retag(args) -> dict:
    """The admin's "Add a topic" on ``count`` articles that lack the benchmark topic."""
    from archive import editorial
    from archive.models import Article, ArticleTag, Tag

    tag, _created = Tag.objects.get_or_create(
        slug=args.slug, defaults={"name_zh": "负载测试", "name_en": "Load benchmark"}
    )
    has = set(ArticleTag.objects.filter(tag=tag).values_list("article_id", flat=True))
    pks = [pk for pk in Article.objects.values_list("pk", flat=True) if pk not in has]
    random.Random(11).shuffle(pks)
    chosen = pks[: args.count]
    start = time.perf_counter()
    changed = editorial.add_topic(articles=chosen, tag=tag)
    return {
        "service": "archive.editorial.add_topic",
        "topic": args.slug,
        "articles": len(chosen),
        "changed": changed,
        "service_seconds": round(time.perf_counter() - start, 2),
    }


def _task_urls(args) -> dict:
    """articles.txt and searches.txt ("<expected status> <path>" lines) in ``args.dir``."""
    from django.urls import reverse

    from archive.benchmark.queries import all_queries
    from archive.models import Article
    from archive.search import service

    folder = Path(args.dir)
    rng = random.Random(7)
    pks = list(Article.objects.values_list("pk", flat=True))
    rng.shuffle(pks)
    existing = pks[: args.articles]
    top = max(pks, default=0)
    # About 2% of the article requests ask for ids that do not exist (at least one).
    wanted_missing = max(1, min(args.missing, len(existing) // 50))
    missing = [top + 1000 + i * 7 for i in range(wanted_missing)]
    article_lines = [f"200 {reverse('article_detail', kwargs={'pk': pk})}" for pk in existing]
    article_lines += [f"404 {reverse('article_detail', kwargs={'pk': pk})}" for pk in missing]
    rng.shuffle(article_lines)
    (folder / "articles.txt").write_text("\n".join(article_lines) + "\n", encoding="utf-8")

    search_path = reverse("search")
    lines, keys = [], set()
    queries = [q for _cls, q in all_queries()]
    # One search per query gives the facet counts, hence which pages exist.
    for q in queries:
        results = service.search(service.SearchParams(q=q))
        combos: list[tuple[dict, int]] = [({}, results.total)]
        for facet, param in (("source", "source"), ("topic", "topic"), ("language", "lang")):
            for value in results.facets.get(facet, []):
                if facet == "topic" and value.value == args.exclude_topic:
                    continue
                combos.append(({param: value.value}, value.count))
        for value in results.facets.get("date", []):
            if value.value.isdigit():
                combos.append(({"year": value.value}, value.count))
        for extra, count in combos:
            pages = max(1, min(3, -(-count // 20)))
            for sort in service.SORTS:
                keys.add((q, tuple(sorted(extra.items())), sort))
                for page in range(1, pages + 1):
                    query = {"q": q, **extra, "sort": sort}
                    if page > 1:
                        query["page"] = page
                    lines.append(f"200 {search_path}?{urlencode(query)}")
    rng.shuffle(lines)
    (folder / "searches.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "article_paths": len(existing),
        "missing_article_paths": len(missing),
        "search_paths": len(lines),
        "distinct_result_keys": len(keys),
        "result_cache_per_worker": service.CACHE_SIZE,
        "queries": len(queries),
        "first_search": f"{search_path}?{urlencode({'q': queries[0]})}",
    }


TASKS = {"count": _task_count, "reset": _task_reset, "retag": _task_retag, "urls": _task_urls}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="archive.benchmark.load")
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--out", required=True)
    parser.add_argument("--slug", default=BENCH_TOPIC)
    parser.add_argument("--exclude-topic", default=BENCH_TOPIC)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--dir", default=".")
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--missing", type=int, default=40)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
    import django

    django.setup()
    result = TASKS[args.task](args)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
