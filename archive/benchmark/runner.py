"""Orchestration: every size through our pipeline, the peers and the stock stack.

Everything heavy runs one step at a time. Our pipeline runs as subprocesses
(``manage.py`` commands and ``archive.benchmark.worker``) with
``ARCHIVE_VAR_DIR=<scratch>``; a step that fails (for example a command that
does not exist yet) is recorded and the steps that need it are skipped.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from archive.benchmark import corpus as corpus_mod
from archive.benchmark import peers, web
from archive.benchmark.stats import dir_size_mb, run_meta, run_step

EDIT_EVERY_S = 2.0  # an editor's pace in the editing phase: an article saved this often


@dataclass
class BenchConfig:
    """What one benchmark run measures, and where."""

    base_dir: Path
    corpus_dir: Path | None
    scratch: Path
    sizes: list[int]
    repeats: int = 3
    stock_docs: int = 2000
    http_seconds: float = 20.0
    http_concurrency: int = 8
    segment_seconds: float = 20.0
    peers: bool = True
    stock: bool = True
    http: bool = True
    engine: str = "whoosh"  # ARCHIVE_SEARCH_ENGINE of our pipeline (opensearch: the local cluster)
    # Size -> an SQLite database imported by an earlier run of the same corpus, copied in
    # place of the import (another engine on the very same articles, without the wait).
    databases: dict[int, Path] = field(default_factory=dict)
    log: Callable[[str], None] = field(default=lambda _msg: None)
    # Called with the partial report after every size, so a long run keeps what it measured.
    checkpoint: Callable[[dict], None] = field(default=lambda _report: None)


def _python() -> str:
    return sys.executable


def scratch_env(*, var_dir: Path, debug: bool = True, engine: str = "whoosh") -> dict:
    """The environment of every pipeline subprocess: settings read only the scratch area
    (on OpenSearch, indexes named after it: ``bench<size>``)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ARCHIVE_INDEX_DIR")}
    env.update(
        {
            "ARCHIVE_VAR_DIR": str(var_dir),
            "ARCHIVE_INDEX_DIR": str(var_dir / "index"),
            "DJANGO_SETTINGS_MODULE": "archive.settings",
            "DJANGO_DEBUG": "1" if debug else "0",
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "ARCHIVE_SEARCH_ENGINE": engine,
        }
    )
    if engine == "opensearch":
        env["OPENSEARCH_INDEX_PREFIX"] = f"bench{var_dir.parent.name}".lower()
    return env


def _worker_command(task: str, out: Path, extra: list[str]) -> list[str]:
    return [_python(), "-m", "archive.benchmark.worker", task, "--out", str(out), *extra]


def _worker(task: str, *, cfg: BenchConfig, env: dict, out: Path, extra: list[str]) -> dict:
    step = run_step(
        _worker_command(task, out, extra),
        env=env,
        cwd=str(cfg.base_dir),
        log_path=str(out.with_suffix(".log")),
    )
    if step.ok and out.exists():
        result = json.loads(out.read_text(encoding="utf-8"))
        result["seconds"] = round(step.seconds, 2)
        result["peak_rss_mb"] = round(step.peak_rss_mb, 1)
        return result
    return {"error": f"worker {task} exited {step.returncode}", "output_tail": step.output_tail}


def _start_worker(
    task: str, *, cfg: BenchConfig, env: dict, out: Path, extra: list[str]
) -> subprocess.Popen:
    """``_worker`` without waiting for it (``_finish_worker`` does)."""
    with open(out.with_suffix(".log"), "wb") as log:  # the child keeps its own copy
        return subprocess.Popen(
            _worker_command(task, out, extra),
            env=env,
            cwd=str(cfg.base_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _finish_worker(proc: subprocess.Popen, *, out: Path, timeout: float = 120) -> dict:
    try:
        code = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    if code == 0 and out.exists():
        return json.loads(out.read_text(encoding="utf-8"))
    return {"error": f"worker exited {code}", "log": str(out.with_suffix(".log"))}


def _manage(args: list[str], *, cfg: BenchConfig, env: dict, log: Path):
    return run_step(
        [_python(), "manage.py", *args], env=env, cwd=str(cfg.base_dir), log_path=str(log)
    )


def _rate(count: int, nbytes: int, seconds: float) -> dict:
    return {
        "docs_per_s": round(count / seconds, 1) if seconds else None,
        "mb_per_s": round(nbytes / 1e6 / seconds, 3) if seconds else None,
    }


def run_ours(*, cfg: BenchConfig, info: corpus_mod.CorpusInfo, area: Path) -> dict:
    """Import, index, search in-process and over HTTP, in the scratch area ``area``."""
    var_dir = area / "var"
    env = scratch_env(var_dir=var_dir, engine=cfg.engine)
    result: dict = {"engine": cfg.engine}
    migrate = _manage(
        ["migrate", "--noinput", "-v", "0"], cfg=cfg, env=env, log=area / "migrate.log"
    )
    if not migrate.ok:
        return {"error": "migrate failed", "migrate": migrate.as_dict()}

    reused = cfg.databases.get(info.articles)
    if reused is not None:
        cfg.log(f"  database copied from {reused} (no import)")
        copy_database(reused, var_dir / "archive.sqlite3")
        result["import"] = {"reused": str(reused)}
        result["import_plus_index_seconds"] = None
        return _index_and_search(cfg=cfg, info=info, area=area, var_dir=var_dir, result=result)
    cfg.log(f"  import_articles --no-index: {info.articles} articles")
    files = [str(p) for p in info.files]
    step = _manage(
        ["import_articles", *files, "--no-index"], cfg=cfg, env=env, log=area / "import.log"
    )
    result["import"] = step.as_dict()
    if step.ok:
        result["import"].update(_rate(info.articles, info.text_bytes, step.seconds))
    elif "Unknown command" in step.output_tail or step.seconds < 1:
        result["error"] = "import_articles did not run; later steps skipped"
        return result
    else:
        # Some records failed (exit status 2): the rest are in, so go on and say so.
        result["import"].update(_rate(info.articles, info.text_bytes, step.seconds))
        result["import_warning"] = f"import_articles exited {step.returncode}"
    return _index_and_search(cfg=cfg, info=info, area=area, var_dir=var_dir, result=result)


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of an SQLite database (SQLite's backup, safe while it is read)."""
    import sqlite3
    from contextlib import closing

    # (A connection's own ``with`` only commits; ``closing`` closes both files.)
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
        with closing(sqlite3.connect(target)) as dst:
            src.backup(dst)


def _index_and_search(
    *, cfg: BenchConfig, info: corpus_mod.CorpusInfo, area: Path, var_dir: Path, result: dict
) -> dict:
    """The index build, then search in-process and over HTTP, on the imported articles."""
    env = scratch_env(var_dir=var_dir, engine=cfg.engine)
    cfg.log("  rebuild_index --noinput")
    step = _manage(["rebuild_index", "--noinput"], cfg=cfg, env=env, log=area / "index.log")
    result["index"] = {
        **step.as_dict(),
        **_rate(info.articles, info.text_bytes, step.seconds),
        "index_mb": dir_size_mb(var_dir / "index"),
        "database_mb": dir_size_mb(var_dir) - dir_size_mb(var_dir / "index"),
    }
    if "seconds" in result["import"]:
        result["import_plus_index_seconds"] = round(
            result["import"]["seconds"] + result["index"]["seconds"], 1
        )
    if not step.ok:
        result["error"] = "rebuild_index failed; search steps skipped"
        return result
    if cfg.engine == "opensearch":
        # The new index goes live before its replicas are copied (a 250k copy takes
        # minutes and loads both nodes): search is measured on a settled cluster.
        cfg.log("  waiting for the replicas (cluster green)")
        result["index"]["replicas_seconds"] = seconds_to_green(env["OPENSEARCH_INDEX_PREFIX"])

    cfg.log("  search() in-process")
    result["search"] = _worker(
        "search", cfg=cfg, env=env, out=area / "search.json", extra=["--repeats", str(cfg.repeats)]
    )
    for task in ("suggest", "export", "concordance"):
        cfg.log(f"  {task} in-process")
        result[task] = _worker(
            task, cfg=cfg, env=env, out=area / f"{task}.json", extra=["--repeats", str(cfg.repeats)]
        )
    if cfg.http:
        cfg.log("  HTTP through gunicorn")
        result["http"] = run_http(cfg=cfg, area=area, var_dir=var_dir)
    if cfg.engine == "opensearch":
        result["cluster_rss_mb"] = cluster_rss_mb(cfg.base_dir)
        result["index"]["index_mb"] = cluster_index_mb(env["OPENSEARCH_INDEX_PREFIX"])
    return result


def _cluster_json(path: str, *, timeout: float):
    """The local cluster's JSON answer to GET ``path`` (None if it cannot answer)."""
    from urllib.request import urlopen

    from django.conf import settings

    try:
        with urlopen(f"{settings.OPENSEARCH_HOSTS[0]}{path}", timeout=timeout) as response:
            return json.load(response)
    except OSError:
        return None


def cluster_index_mb(prefix: str) -> float | None:
    """Size of the live index's primary shards on the cluster (replicas double it)."""
    indexes = _cluster_json(f"/_cat/indices/{prefix}-articles*?format=json&bytes=b", timeout=10)
    if indexes is None:
        return None
    return round(sum(int(i["pri.store.size"]) for i in indexes) / 1e6, 1)


def seconds_to_green(prefix: str, *, limit_s: int = 1800) -> float | None:
    """Seconds until every replica of the ``prefix`` indexes is started (None: not in time)."""
    started = time.perf_counter()
    health = _cluster_json(
        f"/_cluster/health/{prefix}-*?wait_for_status=green&timeout={limit_s}s",
        timeout=limit_s + 30,
    )
    if not health or health.get("status") != "green":
        return None
    return round(time.perf_counter() - started, 1)


def cluster_rss_mb(base_dir: Path) -> dict[str, float]:
    """Resident memory of each local OpenSearch node's JVM (``var/opensearch/node-N.pid``)."""
    out = {}
    for pid_file in sorted((base_dir / "var" / "opensearch").glob("node-*.pid")):
        try:
            status = Path(f"/proc/{int(pid_file.read_text())}/status").read_text()
        except (OSError, ValueError):
            continue
        kb = next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0
        )
        out[pid_file.stem] = round(kb / 1024, 1)
    return out


def run_http(*, cfg: BenchConfig, area: Path, var_dir: Path) -> dict:
    """gunicorn as ``make run`` starts it (DEBUG off, preload), then load on loopback."""
    env = scratch_env(var_dir=var_dir, debug=False, engine=cfg.engine)
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    static = _manage(
        ["collectstatic", "--noinput", "-v", "0"], cfg=cfg, env=env, log=area / "static.log"
    )
    if not static.ok:
        return {"error": "collectstatic failed", "output_tail": static.output_tail}
    urls = _worker("urls", cfg=cfg, env=env, out=area / "urls.json", extra=["--limit", "300"])
    if "error" in urls or not urls.get("articles"):
        return {"error": "could not resolve URLs", **urls}
    port = web.free_port()
    proc = web.start_gunicorn(
        env=env, cwd=str(cfg.base_dir), port=port, log_path=str(area / "gunicorn.log")
    )
    result: dict = {"search_path": urls["search_path"], "workers": env.get("WEB_CONCURRENCY", "2")}
    try:
        result["startup"] = web.wait_first_search(
            proc=proc, port=port, path=urls["searches"][0], timeout=120
        )
        if result["startup"]["status"] != 200:
            result["error"] = f"search page answered {result['startup']['status']}"
            return result
        phases = (
            ("faceted_search", urls["searches"]),
            ("faceted_search_varied", urls.get("searches_varied") or urls["searches"]),
            ("article_page_first_view", urls.get("articles_unseen") or urls["articles"]),
            ("article_page", urls["articles"]),
        )
        result["article_page_visit_failures"] = web.visit_each(port=port, paths=urls["articles"])
        for name, paths in phases:
            web.load(port=port, paths=paths, concurrency=2, seconds=min(2.0, cfg.http_seconds))
            result[name] = web.load(
                port=port, paths=paths, concurrency=cfg.http_concurrency, seconds=cfg.http_seconds
            )
        # Searches like the varied ones with one client per worker: the latency a reader
        # sees while the site is not saturated (at ``http_concurrency`` clients, a
        # request mostly waits for a worker); cache misses too.
        result["faceted_search_unsaturated"] = web.load(
            port=port,
            paths=urls.get("searches_unsaturated") or urls["searches"],
            concurrency=int(result["workers"]),
            seconds=cfg.http_seconds,
        )
        # The same while an editor saves an article every EDIT_EVERY_S and the indexer
        # applies it: each edit is a new index generation, as on a live archive.
        editor = _start_worker(
            "edit",
            cfg=cfg,
            env=env,
            out=area / "edit.json",
            extra=["--seconds", str(cfg.http_seconds + 2), "--every", str(EDIT_EVERY_S)],
        )
        result["faceted_search_while_editing"] = web.load(
            port=port,
            paths=urls.get("searches_unsaturated") or urls["searches"],
            concurrency=int(result["workers"]),
            seconds=cfg.http_seconds,
        )
        result["editor"] = _finish_worker(editor, out=area / "edit.json")
    finally:
        result["gunicorn_peak_rss_mb"] = web.stop_gunicorn(proc)
    return result


def run_peers(*, cfg: BenchConfig, info: corpus_mod.CorpusInfo, area: Path) -> dict:
    """FTS5 and Tantivy on the same articles and queries."""
    docs, prep = peers.prepare_docs(corpus_mod.peer_records(info=info))
    cfg.log(f"  peers: {prep['docs']} docs segmented in {prep['segment_seconds']} s")
    out = {"segmentation": prep}
    for name, fn in (("fts5", peers.fts5_run), ("tantivy", peers.tantivy_run)):
        try:
            out[name] = fn(docs=docs, work_dir=area, repeats=cfg.repeats)
        except Exception as exc:  # noqa: BLE001  (a peer failing is reported, not fatal)
            out[name] = {"error": f"{exc.__class__.__name__}: {exc}"}
        shutil.rmtree(area / "tantivy", ignore_errors=True)
        (area / "fts5.sqlite3").unlink(missing_ok=True)
    return out


def run_benchmark(cfg: BenchConfig) -> dict:
    """All sizes, then the ratios; returns the JSON-ready result."""
    started = time.time()
    cfg.scratch.mkdir(parents=True, exist_ok=True)
    report: dict = {
        "meta": {
            **run_meta(),
            "sizes": cfg.sizes,
            "repeats": cfg.repeats,
            "corpus_dir": str(cfg.corpus_dir) if cfg.corpus_dir else None,
            "engine": cfg.engine,
        },
        "sizes": {},
    }
    segmentation_done = False
    stock_records: Path | None = None
    for size in cfg.sizes:
        cfg.log(f"size {size}")
        area = cfg.scratch / str(size)
        shutil.rmtree(area, ignore_errors=True)
        area.mkdir(parents=True)
        info = corpus_mod.build_corpus(size=size, corpus_dir=cfg.corpus_dir, work_dir=area)
        entry: dict = {"corpus": info.as_dict()}
        if not segmentation_done:
            cfg.log("  raw jieba / rjieba throughput")
            report["segmentation"] = _worker(
                "segment",
                cfg=cfg,
                env=scratch_env(var_dir=area / "var"),
                out=area / "segment.json",
                extra=["--seconds", str(cfg.segment_seconds), "--records", *map(str, info.files)],
            )
            segmentation_done = True
            stock_records = info.files[0] if len(info.files) == 1 else None
        entry["ours"] = run_ours(cfg=cfg, info=info, area=area)
        report["sizes"][str(size)] = entry
        _checkpoint(cfg, report)
        if cfg.peers:
            entry["peers"] = run_peers(cfg=cfg, info=info, area=area)
        report["sizes"][str(size)] = entry
        _cleanup(area)
        _checkpoint(cfg, report)
    if cfg.stock:
        cfg.log(f"stock haystack + Whoosh + jieba on {cfg.stock_docs} articles")
        report["stock"] = run_stock(cfg=cfg, records_file=stock_records)
    report["meta"]["total_seconds"] = round(time.time() - started, 1)
    report["meta"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    from archive.benchmark.report import add_summary

    add_summary(report)
    return report


def _checkpoint(cfg: BenchConfig, report: dict) -> None:
    from archive.benchmark.report import add_summary

    add_summary(report)
    cfg.checkpoint(report)


def run_stock(*, cfg: BenchConfig, records_file: Path | None) -> dict:
    area = cfg.scratch / "stock"
    shutil.rmtree(area, ignore_errors=True)
    area.mkdir(parents=True)
    info = corpus_mod.build_corpus(size=cfg.stock_docs, corpus_dir=cfg.corpus_dir, work_dir=area)
    result = _worker(
        "stock",
        cfg=cfg,
        env=scratch_env(var_dir=area / "var"),
        out=area / "stock.json",
        extra=["--repeats", "1", "--records", *map(str, info.files)],
    )
    result["note"] = (
        f"capped at {info.articles} articles (an even sample of the corpus) because the stock "
        "stack is slow; its latencies are on this smaller index and favour it"
    )
    _cleanup(area)
    return result


def _cleanup(area: Path) -> None:
    """Drop the bulky scratch data (database, index, copies), keep logs and JSON."""
    shutil.rmtree(area / "var", ignore_errors=True)
    for path in area.glob("bench-*.jsonl"):
        path.unlink(missing_ok=True)
