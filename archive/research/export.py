"""Search results as files: CSV, JSON Lines, RIS and BibTeX, written as they stream.

``records(ids, ...)`` reads the articles of a result list from the database 500 at
a time (as rows, not models), in the list's order, as plain ``Record``s; each
format's writer (``FORMATS``, declared once) turns records into text chunks, so
10,000 rows never sit in memory at once. Nothing here reads a request: the view passes the article
URLs in (``permalink``), and translated text as plain strings (``Labels``), because
a streamed file is written after the view has returned.
"""

import csv
import html
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from archive.models import Article, ArticleTag, DatePrecision, Tag, topic_label
from archive.search import highlight
from archive.search.params import SearchParamError
from archive.text import has_chinese

DEFAULT_LIMIT = 10_000
CHUNK = 500  # articles read from the database at a time
FLUSH_EVERY = 100  # records per chunk of the streamed response


def export_limit() -> int:
    """The most results one export holds (``ARCHIVE_EXPORT_LIMIT``)."""
    return int(getattr(settings, "ARCHIVE_EXPORT_LIMIT", DEFAULT_LIMIT))


@dataclass(frozen=True)
class Record:
    """One article as every export and citation format sees it (text as published)."""

    id: int
    url: str  # the article's page on this site, absolute
    title: str
    subtitle: str
    source: str
    published: str  # ISO 8601 in the archive's time zone, YYYY-MM-DD for a day; "" unknown
    day: date | None  # the local publication day
    language: str
    topics: list[str] = field(default_factory=list)  # names, Chinese first (as the API)
    source_url: str = ""  # where the source published it (http/https only)
    snippet: str = ""  # plain text
    authors: list[str] = field(default_factory=list)

    @property
    def full_title(self) -> str:
        """Title and subtitle, as citations give them ("Title: Subtitle")."""
        return f"{self.title}: {self.subtitle}" if self.subtitle else self.title


@dataclass(frozen=True)
class Labels:
    """Translated words a file may contain, resolved before it streams."""

    archive: str  # this archive's name (RIS ``DB``)
    original: str  # "Original address" before a source URL in notes
    notice: str | None = None  # set when the limit cut the file: what it holds
    limit: int = 0
    total: int = 0


def labels(*, total: int = 0, limit: int = 0) -> Labels:
    """The words of a file of ``total`` results cut at ``limit`` (a notice if it is cut)."""
    notice = None
    if limit and total > limit:
        notice = _(
            "This file holds the first %(limit)s of %(total)s results (the export limit); "
            "narrow the search to export the rest."
        ) % {"limit": limit, "total": total}
    return Labels(
        archive=_("News archive"),
        original=_("Original address"),
        notice=notice,
        limit=limit,
        total=total,
    )


def _dates(item) -> tuple[str, date | None]:
    """``item``'s publication as the API writes it (ISO 8601 in the archive's time zone,
    a day as YYYY-MM-DD) and as a local day, with one time-zone conversion."""
    if item.published_at is None:
        return "", None
    local = timezone.localtime(item.published_at)
    if item.date_precision == DatePrecision.DAY:
        return local.date().isoformat(), local.date()
    return local.isoformat(), local.date()


def _http_url(url: str) -> str:
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else ""


def plain_snippet(body: str, runs: set[str], words: set[str]) -> str:
    """The passage of ``body`` the results page shows (matches first), as plain text.

    ``highlight.snippet`` escapes the text and adds only its own ``<mark>`` tags, so
    removing those and unescaping gives back the article's characters exactly.
    Paragraph breaks become spaces, as they do around a match.
    """
    marked = highlight.snippet(body or "", runs, words)
    text = html.unescape(marked.replace("<mark>", "").replace("</mark>", ""))
    return text.replace("\n", " ")


def _record(item, *, source: str, topics: list[str], permalink: str, snippet: str) -> Record:
    """A ``Record`` of an Article, or of a row with an Article's field names."""
    published, day = _dates(item)
    return Record(
        id=item.id,
        url=permalink,
        title=item.title,
        subtitle=item.subtitle,
        source=source or item.original_source,
        published=published,
        day=day,
        language=item.language,
        topics=topics,
        source_url=_http_url(item.url),
        snippet=snippet,
        authors=[str(a).strip() for a in item.authors or [] if str(a).strip()],
    )


def record_for(
    article: Article, topics: Iterable[Tag], *, permalink: str, snippet: str = ""
) -> Record:
    """The ``Record`` of one article (its source and topics already loaded)."""
    return _record(
        article,
        source=article.source.name if article.source else "",
        topics=[tag.name_for("zh") for tag in topics],
        permalink=permalink,
        snippet=snippet,
    )


# What an export reads of each article: rows, not models (10,000 of them).
_ROW_FIELDS = (
    "id",
    "title",
    "subtitle",
    "body",
    "language",
    "published_at",
    "date_precision",
    "url",
    "authors",
    "original_source",
    "source__name",
)


def _load(ids: list[int]) -> tuple[dict[int, tuple], dict[int, list[str]]]:
    """Rows of ``ids`` by id, and each one's topic names (Chinese first), in two queries."""
    rows = Article.objects.filter(pk__in=ids).order_by().values_list(*_ROW_FIELDS, named=True)
    names: dict[int, list[str]] = {}
    tags = (
        ArticleTag.objects.filter(article_id__in=ids)
        .order_by("tag__slug")
        .values_list("article_id", "tag__name_zh", "tag__name_en")
    )
    for article_id, name_zh, name_en in tags:
        names.setdefault(article_id, []).append(topic_label(name_zh, name_en, "zh"))
    return {row.id: row for row in rows}, names


def records(
    ids: Iterable[int],
    *,
    permalink: Callable[[int], str],
    runs: set[str] = frozenset(),
    words: set[str] = frozenset(),
    chunk: int = CHUNK,
) -> Iterator[Record]:
    """The articles of ``ids`` in that order, read ``chunk`` at a time.

    Articles deleted since the index was written are left out, as on the results page.
    """
    ids = [int(pk) for pk in ids]
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        rows, topics = _load(part)
        for pk in part:
            row = rows.get(pk)
            if row is None:
                continue
            yield _record(
                row,
                source=row.source__name or "",
                topics=topics.get(pk, []),
                permalink=permalink(pk),
                snippet=plain_snippet(row.body, runs, words),
            )


# --- CSV -----------------------------------------------------------------------------

CSV_COLUMNS = [
    "id",
    "url",
    "title",
    "source",
    "published_at",
    "language",
    "topics",
    "source_url",
    "snippet",
    "authors",
]
# A cell starting with one of these is a formula to a spreadsheet program
# (OWASP "CSV injection"): such text cells get a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_row(record: Record) -> list[str]:
    return [
        str(record.id),
        record.url,
        _cell(record.title),
        _cell(record.source),
        record.published,
        record.language,
        _cell("; ".join(record.topics)),
        record.source_url,
        _cell(record.snippet),
        _cell("; ".join(record.authors)),
    ]


def write_csv(items: Iterable[Record], text: Labels) -> Iterator[str]:
    """UTF-8 CSV text with a byte-order mark (spreadsheet programs then read Chinese
    right), a header row, one row per record. A cut file ends with one row holding
    the notice in its first cell, starting with ``#`` (``pandas.read_csv(comment="#")``
    and R's ``comment.char`` skip it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        out = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return out

    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + flush()
    for record in items:
        writer.writerow(csv_row(record))
        yield flush()
    if text.notice:
        writer.writerow([f"# {text.notice}"] + [""] * (len(CSV_COLUMNS) - 1))
        yield flush()


# --- JSON Lines ----------------------------------------------------------------------


def json_record(record: Record) -> dict:
    return {
        "id": record.id,
        "url": record.url,
        "title": record.title,
        "source": record.source,
        "published_at": record.published or None,
        "language": record.language,
        "topics": record.topics,
        "source_url": record.source_url,
        "snippet": record.snippet,
        "authors": record.authors,
    }


def write_jsonl(items: Iterable[Record], text: Labels) -> Iterator[str]:
    """One JSON object per line; a cut file ends with
    ``{"notice": …, "limit": …, "total": …}`` (it has no ``id``)."""
    for record in items:
        yield json.dumps(json_record(record), ensure_ascii=False) + "\n"
    if text.notice:
        cut = {"notice": text.notice, "limit": text.limit, "total": text.total}
        yield json.dumps(cut, ensure_ascii=False) + "\n"


# --- RIS -----------------------------------------------------------------------------

RIS_NEWLINE = "\r\n"  # as the RIS specification writes lines
# Everything a line reader may take for the end of a line, and other control characters.
_RIS_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def ris_value(text: str) -> str:
    """A value on one line: line breaks and control characters become one space."""
    return " ".join(_RIS_BREAKS.sub(" ", text or "").split())


def ris_record(record: Record, text: Labels, *, accessed: date | None = None) -> str:
    """One ``TY  - NEWS`` … ``ER  - `` record, tags as Zotero's RIS translator maps them
    to a newspaper article (``T2`` publication, ``DB`` archive, ``AN`` its record id,
    ``Y2`` access date)."""
    lines = [("TY", "NEWS"), ("TI", record.full_title)]
    lines += [("AU", name) for name in record.authors]
    lines.append(("T2", record.source))
    if record.day:
        lines += [("PY", f"{record.day.year:04d}"), ("DA", record.day.strftime("%Y/%m/%d/"))]
    lines += [
        ("LA", record.language),
        ("AB", record.snippet),
        ("UR", record.url),
        ("DB", text.archive),
        ("AN", str(record.id)),
    ]
    if accessed:
        lines.append(("Y2", accessed.strftime("%Y/%m/%d/")))
    if record.source_url:
        lines.append(("N1", f"{text.original}: {record.source_url}"))
    lines += [("KW", topic) for topic in record.topics]
    out = [f"{tag}  - {ris_value(value)}" for tag, value in lines if ris_value(value)]
    out.append("ER  - ")
    return RIS_NEWLINE.join(out) + RIS_NEWLINE


def write_ris(items: Iterable[Record], text: Labels) -> Iterator[str]:
    """RIS records separated by a blank line. A cut file starts with the notice on a
    line of its own: readers skip what comes before the first ``TY`` (Zotero,
    rispy), and the notice never looks like a tag."""
    if text.notice:
        yield ris_value(text.notice) + RIS_NEWLINE + RIS_NEWLINE
    for record in items:
        yield ris_record(record, text) + RIS_NEWLINE


# --- BibTeX --------------------------------------------------------------------------

# Escapes that are themselves brace-balanced: BibTeX counts every brace, escaped or
# not, so ``\{`` alone would end a field early; ``\textbraceleft{}`` cannot.
_BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_BIBTEX_SPECIAL = re.compile("|".join(re.escape(c) for c in _BIBTEX_ESCAPES))
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def bibtex_value(text: str) -> str:
    """Text for a braced field: one line, LaTeX's special characters escaped,
    everything else (Chinese included) kept as UTF-8."""
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_ESCAPES[m.group()], ris_value(text))


def bibtex_url(url: str) -> str:
    """A URL for ``url``, which biblatex and the url package read verbatim: only what
    could end the field (braces, backslash, spaces) is percent-encoded."""
    return (
        ris_value(url)
        .replace("\\", "%5C")
        .replace("{", "%7B")
        .replace("}", "%7D")
        .replace(" ", "%20")
    )


def bibtex_name(name: str) -> str:
    """One author. A Chinese name, or one with the word "and" in it, is braced so BibTeX
    takes it whole instead of splitting it into first and last names."""
    value = bibtex_value(name)
    if has_chinese(name) or re.search(r"\band\b", name, re.IGNORECASE):
        return "{" + value + "}"
    return value


def bibtex_key(record: Record) -> str:
    """Unique and ASCII whatever the title: the article's id."""
    return f"archive{record.id}"


def bibtex_entry(record: Record, text: Labels, *, accessed: date | None = None) -> str:
    """One entry.

    ``@article`` with the source as ``journal`` rather than ``@misc``: ``journal`` is
    where Zotero (publication) and JabRef (journal column) look for the name of a
    periodical, and Zotero itself exports newspaper articles as ``@article``; a
    ``@misc`` has no standard field for the newspaper, so the source would be lost or
    end up in a note. ``entrysubtype = {newspaper}`` tells biblatex what it is
    (BibTeX ignores it). The title is double-braced so styles keep it as published.
    """
    fields: list[tuple[str, str]] = []
    if record.authors:
        fields.append(("author", " and ".join(bibtex_name(a) for a in record.authors)))
    fields.append(("title", "{" + bibtex_value(record.full_title) + "}"))
    if record.source:
        fields.append(("journal", bibtex_value(record.source)))
    fields.append(("entrysubtype", "newspaper"))
    if record.day:
        fields += [("date", record.day.isoformat()), ("year", f"{record.day.year:04d}")]
        fields.append(("month", _MONTHS[record.day.month - 1]))  # BibTeX's own macro
    fields += [("language", bibtex_value(record.language)), ("url", bibtex_url(record.url))]
    if accessed:
        fields.append(("urldate", accessed.isoformat()))
    if record.topics:
        fields.append(("keywords", bibtex_value(", ".join(record.topics))))
    if record.snippet:
        fields.append(("abstract", bibtex_value(record.snippet)))
    if record.source_url:
        fields.append(("note", bibtex_value(f"{text.original}: {record.source_url}")))
    lines = [f"@article{{{bibtex_key(record)},"]
    for name, value in fields:
        if value:  # macros (the month) unbraced, text braced
            lines.append(f"  {name} = {value}," if name == "month" else f"  {name} = {{{value}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_bibtex(items: Iterable[Record], text: Labels) -> Iterator[str]:
    """BibTeX entries; a cut file starts with the notice as a ``%`` comment, which
    BibTeX, biblatex and the parsers read as text outside any entry."""
    if text.notice:
        yield "% " + ris_value(text.notice) + "\n\n"
    for record in items:
        yield bibtex_entry(record, text) + "\n"


# --- The formats ---------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    name: str  # the ``format=`` value
    label: str  # what the link says (the format's own name: not translated)
    extension: str
    content_type: str
    write: Callable[[Iterable[Record], Labels], Iterator[str]]


FORMATS = [
    ExportFormat("csv", "CSV", "csv", "text/csv; charset=utf-8", write_csv),
    ExportFormat(
        "jsonl", "JSON Lines", "jsonl", "application/x-ndjson; charset=utf-8", write_jsonl
    ),
    ExportFormat(
        "ris", "RIS", "ris", "application/x-research-info-systems; charset=utf-8", write_ris
    ),
    ExportFormat("bibtex", "BibTeX", "bib", "application/x-bibtex; charset=utf-8", write_bibtex),
]
BY_NAME = {f.name: f for f in FORMATS}


class UnknownFormat(SearchParamError):
    """``format=`` names no export format (a 400, like any bad search parameter)."""


def format_named(name: str) -> ExportFormat:
    """The format called ``name``; UnknownFormat with a readable message otherwise."""
    found = BY_NAME.get((name or "").strip().lower())
    if found is None:
        raise UnknownFormat(
            _("Unknown export format “%(value)s”; use one of %(valid)s.")
            % {"value": (name or "")[:20], "valid": ", ".join(BY_NAME)}
        )
    return found


def file_name(fmt: ExportFormat, *, q: str, day: date) -> str:
    """``archive-search-<query>-<day>.<ext>``: the query as a short slug (any script)."""
    slug = slugify(q, allow_unicode=True)[:40].strip("-_") or "all"
    return f"archive-search-{slug}-{day.isoformat()}.{fmt.extension}"


def stream(fmt: ExportFormat, items: Iterable[Record], text: Labels) -> Iterator[bytes]:
    """The file as UTF-8 chunks of about ``FLUSH_EVERY`` records."""
    pending: list[str] = []
    for piece in fmt.write(items, text):
        pending.append(piece)
        if len(pending) >= FLUSH_EVERY:
            yield "".join(pending).encode()
            pending = []
    if pending:
        yield "".join(pending).encode()
