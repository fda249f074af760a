"""Our site over HTTP: gunicorn started as ``make run`` starts it, a bounded load generator.

The load generator is threads + ``http.client`` (no extra tools): each thread
loops over its URLs for a fixed time on a fresh connection per request, as the
sync workers close connections anyway. Loopback only.
"""

import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from archive.benchmark.queries import all_queries
from archive.benchmark.stats import summarize_ms, tree_peak_rss_mb


def resolve_urls(*, limit: int) -> dict:
    """Article and search URLs of the scratch site (run in a worker with Django set up)."""
    from django.urls import NoReverseMatch, reverse

    from archive.models import Article

    pks = list(Article.objects.values_list("pk", flat=True)[:50_000])
    rng = random.Random(7)
    rng.shuffle(pks)
    # Pages readers come back to (viewed once before the timing), and pages nobody
    # has opened yet (each request most likely renders a page for the first time).
    articles = [reverse("article_detail", kwargs={"pk": pk}) for pk in pks[:limit]]
    unseen = [reverse("article_detail", kwargs={"pk": pk}) for pk in pks[limit : limit * 20]]
    search_path = None
    for name in ("search", "archive:search", "search_results"):
        try:
            search_path = reverse(name)
            break
        except NoReverseMatch:
            continue
    search_path = search_path or "/search/"
    queries = [q for _cls, q in all_queries()]
    searches = [f"{search_path}?{urlencode({'q': q})}" for q in queries]
    # Distinct result sets (query x year x sort), so most requests miss any result cache.
    years = sorted({d.year for d in Article.objects.dates("published_at", "year")})[-12:]
    varied = [
        f"{search_path}?{urlencode({'q': q, 'year': y, 'sort': sort})}"
        for q in queries
        for y in years or [2024]
        for sort in ("relevance", "newest", "oldest")
    ]
    rng.shuffle(varied)
    # The same searches with each year as a date range: the same work, results no
    # earlier phase computed (the range is another cache key than the year).
    ranged = [
        f"{search_path}?"
        + urlencode({"q": q, "date_from": f"{y}-01-01", "date_to": f"{y}-12-31", "sort": sort})
        for q in queries
        for y in years or [2024]
        for sort in ("relevance", "newest", "oldest")
    ]
    rng.shuffle(ranged)
    return {
        "articles": articles,
        "articles_unseen": unseen,
        "searches": searches,
        "searches_varied": varied,
        "searches_unsaturated": ranged,
        "search_path": search_path,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, timeout: float = 30.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1", "Accept-Language": "zh-hans"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def start_gunicorn(*, env: dict, cwd: str, port: int, log_path: str) -> subprocess.Popen:
    """``gunicorn archive.wsgi:application --config archive/gunicorn_conf.py`` on loopback."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = ([str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]) + [
        "archive.wsgi:application",
        "--config",
        "archive/gunicorn_conf.py",
    ]
    env = {**env, "HOST": "127.0.0.1", "PORT": str(port)}
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    proc._bench_log = log  # type: ignore[attr-defined]
    return proc


def stop_gunicorn(proc: subprocess.Popen) -> float:
    """Stop the master we started (SIGTERM, then SIGKILL); the largest peak RSS in MB
    among it and its workers (``stats.tree_peak_rss_mb``, read before they stop)."""
    rss = tree_peak_rss_mb(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    deadline = time.time() + 30
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.time() > deadline:
            proc.kill()
            _pid, status, rusage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.1)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc._bench_log.close()  # type: ignore[attr-defined]
    return round(rss, 1)


def wait_first_search(*, proc: subprocess.Popen, port: int, path: str, timeout: float) -> dict:
    """Seconds from launch until the first search answers 200 (start-up target: < 2 s)."""
    start = time.perf_counter()
    status = None
    while time.perf_counter() - start < timeout and proc.poll() is None:
        try:
            status = _get(port, path, timeout=10)
            if status == 200:
                break
        except OSError:
            pass
        time.sleep(0.05)
    return {
        "seconds_to_first_search": round(time.perf_counter() - start, 3),
        "status": status,
    }


def visit_each(*, port: int, paths: list[str]) -> int:
    """Request every path once (as readers would have before); the count of non-200s."""
    failures = 0
    for path in paths:
        try:
            failures += _get(port, path) != 200
        except OSError:
            failures += 1
    return failures


def load(*, port: int, paths: list[str], concurrency: int, seconds: float) -> dict:
    """Requests/s, latency and errors with ``concurrency`` threads for ``seconds``."""
    stop_at = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors: list[dict] = [{} for _ in range(concurrency)]

    def worker(slot: int) -> None:
        rng = random.Random(slot)
        while time.perf_counter() < stop_at:
            path = rng.choice(paths)
            t0 = time.perf_counter()
            try:
                status = _get(port, path)
            except OSError as exc:
                status = exc.__class__.__name__
            if status == 200:
                latencies[slot].append(time.perf_counter() - t0)
            else:
                errors[slot][str(status)] = errors[slot].get(str(status), 0) + 1

    start = time.perf_counter()
    cpu_start = time.process_time()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    client_cpu = time.process_time() - cpu_start
    ok = [x for slot in latencies for x in slot]
    merged: dict[str, int] = {}
    for slot in errors:
        for key, count in slot.items():
            merged[key] = merged.get(key, 0) + count
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "requests_ok": len(ok),
        "errors": sum(merged.values()),
        "error_kinds": merged,
        "requests_per_s": round(len(ok) / elapsed, 1) if elapsed else 0.0,
        # CPU the load generator itself used (it shares the 2 cores with the server).
        "client_cpu_share": round(client_cpu / elapsed, 2) if elapsed else None,
        **summarize_ms(ok),
    }
