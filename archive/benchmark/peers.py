"""Peer engines on the same articles and queries: SQLite FTS5 and Tantivy.

Both index text pre-segmented by ``segment.segment_text`` (folded, rjieba words
joined by spaces), so the build figures are the index step alone; the
segmentation time is reported beside them. Facets are the same four as ours:
source, topic, language, year.
"""

import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from archive.benchmark.queries import (
    PAGE_SIZE,
    measure_queries,
    query_terms,
)
from archive.benchmark.segment import segment_query, segment_text
from archive.benchmark.stats import dir_size_mb

FACETS = ("source", "topic", "language", "year")


@dataclass
class PeerDoc:
    doc_id: int
    title: str
    body: str
    source: str
    language: str
    year: str
    topics: list[str]


def prepare_docs(
    records: Iterable[dict], *, limit: int | None = None
) -> tuple[list[PeerDoc], dict]:
    """Segment records once for every peer; copies (``id~xN``) reuse the original's words."""
    docs: list[PeerDoc] = []
    cache: dict[str, tuple[str, str]] = {}
    start, nbytes = time.perf_counter(), 0
    for i, record in enumerate(records):
        if limit is not None and i >= limit:
            break
        base_id = str(record["id"]).split("~x")[0]
        if base_id not in cache:
            title, body = record.get("title") or "", record.get("body") or ""
            nbytes += len(title.encode()) + len(body.encode())
            cache[base_id] = (segment_text(title), segment_text(body))
        title_seg, body_seg = cache[base_id]
        date = str(record.get("date") or "")
        docs.append(
            PeerDoc(
                doc_id=i + 1,
                title=title_seg,
                body=body_seg,
                source=str(record.get("source") or ""),
                language=str(record.get("lang") or ""),
                year=date[:4] if date[:4].isdigit() else "undated",
                topics=[str(t) for t in (record.get("tags") or []) if t][:10],
            )
        )
    seconds = time.perf_counter() - start
    return docs, {
        "docs": len(docs),
        "segmented_mb": round(nbytes / 1e6, 1),
        "segment_seconds": round(seconds, 1),
        "segmenter": "rjieba (accurate mode) after fold()",
    }


def _measure(
    run_one: Callable[[str, str, int], int], *, repeats: int
) -> tuple[dict, dict[str, int]]:
    """Latency summaries per mode and page over the fixed query set, and hit counts."""
    measured = measure_queries(run_one, repeats=repeats, operators=False)
    summary, hits = measured.latency(), measured.hits
    return summary, hits


# --- SQLite FTS5 -----------------------------------------------------------------------
def _fts_match(query: str) -> str | None:
    words, phrase = query_terms(query)
    tokens = segment_query(" ".join(words))
    if not tokens:
        return None
    quoted = [f'"{t.replace(chr(34), "")}"' for t in tokens]
    return '"' + " ".join(t.strip('"') for t in quoted) + '"' if phrase else " AND ".join(quoted)


def fts5_run(*, docs: list[PeerDoc], work_dir: Path, repeats: int) -> dict:
    """Build an FTS5 index over the docs, then time the query set; facets by GROUP BY."""
    path = work_dir / "fts5.sqlite3"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript(
        """
        PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
        CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='unicode61');
        CREATE TABLE meta(rowid INTEGER PRIMARY KEY, source TEXT, language TEXT, year TEXT);
        CREATE TABLE topics(rowid INTEGER, topic TEXT);
        """
    )
    start = time.perf_counter()
    with db:
        db.executemany(
            "INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)",
            ((d.doc_id, d.title, d.body) for d in docs),
        )
        db.executemany(
            "INSERT INTO meta VALUES (?, ?, ?, ?)",
            ((d.doc_id, d.source, d.language, d.year) for d in docs),
        )
        db.executemany(
            "INSERT INTO topics VALUES (?, ?)", ((d.doc_id, t) for d in docs for t in d.topics)
        )
        db.execute("CREATE INDEX topics_rowid ON topics(rowid)")
    db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    db.commit()
    build_s = time.perf_counter() - start

    def run_one(query: str, mode: str, page: int) -> int:
        match = _fts_match(query)
        if match is None:
            return 0
        offset = (page - 1) * PAGE_SIZE
        cols = "rowid"
        if mode in ("highlight", "faceted_highlighted"):
            cols = "rowid, highlight(docs, 0, '<mark>', '</mark>'), snippet(docs, 1, '<mark>', '</mark>', '…', 24)"
        db.execute(
            f"SELECT {cols} FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ? OFFSET ?",  # noqa: S608 - columns are constants; values are bound
            (match, PAGE_SIZE, offset),
        ).fetchall()
        if mode in ("facets", "faceted_highlighted"):
            db.execute("DROP TABLE IF EXISTS temp.hits")
            db.execute(
                "CREATE TEMP TABLE hits AS SELECT rowid AS id FROM docs WHERE docs MATCH ?",
                (match,),
            )
            total = db.execute("SELECT count(*) FROM temp.hits").fetchone()[0]
            for column in ("source", "language", "year"):
                db.execute(
                    f"SELECT m.{column}, count(*) FROM temp.hits h JOIN meta m ON m.rowid = h.id "  # noqa: S608 - column from a constant tuple
                    f"GROUP BY m.{column} ORDER BY 2 DESC LIMIT 50"
                ).fetchall()
            db.execute(
                "SELECT t.topic, count(*) FROM temp.hits h JOIN topics t ON t.rowid = h.id "
                "GROUP BY t.topic ORDER BY 2 DESC LIMIT 50"
            ).fetchall()
            return total
        return db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (match,)).fetchone()[0]

    latency, hits = _measure(run_one, repeats=repeats)
    db.close()
    return {
        "engine": f"SQLite {sqlite3.sqlite_version} FTS5 (unicode61 over pre-segmented text)",
        "docs": len(docs),
        "build_seconds": round(build_s, 2),
        "build_docs_per_s": round(len(docs) / build_s, 1) if build_s else None,
        "index_mb": round(path.stat().st_size / 1e6, 1),
        "latency": latency,
        "hits": hits,
    }


# --- Tantivy -------------------------------------------------------------------------------
def tantivy_run(*, docs: list[PeerDoc], work_dir: Path, repeats: int) -> dict:
    """Build a Tantivy index over the docs, then time the query set; facets by terms aggregation."""
    try:
        import tantivy
    except ImportError:
        return {"engine": "tantivy", "skipped": "the tantivy package is not installed"}
    path = work_dir / "tantivy"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("doc_id", stored=True, indexed=True)
    builder.add_text_field("title", stored=True)
    builder.add_text_field("body", stored=True)
    for name in FACETS:
        builder.add_text_field(name, stored=False, fast=True, tokenizer_name="raw")
    schema = builder.build()
    index = tantivy.Index(schema, path=str(path))
    start = time.perf_counter()
    writer = index.writer(heap_size=256_000_000, num_threads=2)
    for d in docs:
        writer.add_document(
            tantivy.Document(
                doc_id=d.doc_id,
                title=d.title,
                body=d.body,
                source=d.source,
                language=d.language,
                year=d.year,
                topic=d.topics or [""],
            )
        )
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    build_s = time.perf_counter() - start
    searcher = index.searcher()
    aggs = {name: {"terms": {"field": name, "size": 50}} for name in FACETS}

    def run_one(query: str, mode: str, page: int) -> int:
        words, phrase = query_terms(query)
        tokens = segment_query(" ".join(words))
        if not tokens:
            return 0
        expr = '"' + " ".join(tokens) + '"' if phrase else " AND ".join(tokens)
        parsed = index.parse_query(expr, ["title", "body"])
        result = searcher.search(parsed, PAGE_SIZE, count=True, offset=(page - 1) * PAGE_SIZE)
        if mode in ("highlight", "faceted_highlighted"):
            title_gen = tantivy.SnippetGenerator.create(searcher, parsed, schema, "title")
            body_gen = tantivy.SnippetGenerator.create(searcher, parsed, schema, "body")
            for _score, address in result.hits:
                doc = searcher.doc(address)
                title_gen.snippet_from_doc(doc).to_html()
                body_gen.snippet_from_doc(doc).to_html()
        if mode in ("facets", "faceted_highlighted"):
            searcher.aggregate(parsed, aggs)
        return result.count

    latency, hits = _measure(run_one, repeats=repeats)
    return {
        "engine": f"Tantivy (tantivy-py {getattr(tantivy, '__version__', '')}) over pre-segmented text".replace(
            " ()", ""
        ),
        "docs": len(docs),
        "build_seconds": round(build_s, 2),
        "build_docs_per_s": round(len(docs) / build_s, 1) if build_s else None,
        "index_mb": dir_size_mb(path),
        "latency": latency,
        "hits": hits,
    }
