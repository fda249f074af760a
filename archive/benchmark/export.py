"""Export speed: ``/search/export/`` for each format through Django's test client.

Runs in-process on the benchmark's index and database. The search is computed
once first (timed on its own as ``first_s``: the page a reader clicks "export" on
has usually run it already); then each format is downloaded ``repeats`` times,
its chunks counted and dropped as a client would, for the median wall time, and
``repeats`` more times under tracemalloc for the median peak of Python memory
(measured apart: tracemalloc slows the export down). Other processes on the
machine skew every figure, so the load average is recorded too.
"""

import os
import statistics
import time
import tracemalloc

from archive.research.export import FORMATS, export_limit

QUERIES = ["经济", "年"]  # fewer matches than the default limit at 61k, and more


def _download(client, query: dict) -> tuple[int, int, float]:
    """Bytes and lines of one export, read chunk by chunk, and the seconds until the
    first chunk (what a reader waits before the download starts)."""
    start = time.perf_counter()
    response = client.get("/search/export/", query)
    if response.status_code != 200:
        raise RuntimeError(f"export answered {response.status_code}: {query}")
    size = lines = 0
    first = None
    for chunk in response.streaming_content:
        if first is None:
            first = time.perf_counter() - start
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    return size, lines, first or 0.0


def measure_export(*, queries: list[str] = QUERIES, repeats: int = 3) -> dict:
    """Per query and format: median seconds and peak MiB over ``repeats``, file size,
    and how many results the search has against the limit."""
    from django.test import Client

    from archive.search import service

    client = Client(HTTP_HOST="localhost")
    out: dict = {
        "limit": export_limit(),
        "repeats": repeats,
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "queries": {},
    }
    for q in queries:
        start = time.perf_counter()
        _generation, core = service.find(service.params_from_query({"q": q}), limit=export_limit())
        entry: dict = {
            "total": core.total,
            "exported": min(core.total, export_limit()),
            "first_s": round(time.perf_counter() - start, 3),
            "formats": {},
        }
        for fmt in FORMATS:
            query = {"q": q, "format": fmt.name}
            seconds, firsts, peaks = [], [], []
            size = lines = 0
            for _ in range(max(1, repeats)):
                start = time.perf_counter()
                size, lines, first = _download(client, query)
                seconds.append(time.perf_counter() - start)
                firsts.append(first)
            for _ in range(max(1, repeats)):
                tracemalloc.start()
                _download(client, query)
                peaks.append(tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
            entry["formats"][fmt.name] = {
                "seconds": round(statistics.median(seconds), 3),
                "first_chunk_s": round(statistics.median(firsts), 3),
                "peak_mib": round(statistics.median(peaks) / 2**20, 1),
                "bytes": size,
                "lines": lines,
            }
        out["queries"][q] = entry
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return out
