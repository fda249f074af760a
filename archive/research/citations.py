"""How to cite one article: GB/T 7714-2015 and APA 7 text, RIS and BibTeX files.

Pure functions of the article's ``Record`` (``archive.research.export``). Titles are
cited as published; when the reader converted the characters (``?script=``) the
converted title follows, in full-width parentheses in GB/T and in square brackets
in APA (APA's place for a title the citer supplies). Each citation comes as plain
text and as HTML (APA italicises the newspaper).

The access date GB/T asks of online sources ([引用日期]) is a parameter: the article
page is cached for days, so its citation leaves it out and says so, while the
downloads, made afresh each time, carry the day they were made.
"""

from dataclasses import dataclass
from datetime import date

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from archive.research.export import Labels, Record, bibtex_entry, labels, ris_record

GBT_MAX_AUTHORS = 3  # more: the first three, then 等 / et al
APA_MAX_AUTHORS = 20  # more: the first nineteen, an ellipsis, the last
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_CLOSING = (".", "?", "!", "。", "？", "！")


@dataclass(frozen=True)
class Citation:
    text: str
    html: SafeString


@dataclass(frozen=True)
class Citations:
    permalink: str
    gbt: Citation
    apa: Citation


@dataclass(frozen=True)
class Converted:
    """The title in the characters the reader chose, and their language tag."""

    title: str
    lang: str


def _join(parts: list[tuple[str, str]]) -> Citation:
    """``(text, kind)`` parts as text and as HTML: ``source`` italic, ``lang:…`` tagged."""
    html = []
    for text, kind in parts:
        if kind == "source":
            html.append(format_html("<i>{}</i>", text))
        elif kind.startswith("lang:"):
            html.append(format_html('<span lang="{}">{}</span>', kind[5:], text))
        else:
            html.append(escape(text))
    joined = format_html_join("", "{}", ((part,) for part in html))
    return Citation("".join(text for text, _kind in parts), joined)


def _sentence(text: str) -> str:
    """``text`` ending with a full stop (none added after ? ! or 。)."""
    return text if text.endswith(_CLOSING) else text + "."


def gbt7714(
    record: Record, *, converted: Converted | None = None, accessed: date | None = None
) -> Citation:
    """An online newspaper article after GB/T 7714-2015:
    ``作者. 题名[N/OL]. 报纸名, 出版日期[引用日期]. URL.`` — without an author it starts
    with the title; without a date the date is left out."""
    parts: list[tuple[str, str]] = []
    if record.authors:
        names = ", ".join(record.authors[:GBT_MAX_AUTHORS])
        if len(record.authors) > GBT_MAX_AUTHORS:
            names += ", 等" if record.language.startswith("zh") else ", et al"
        parts.append((_sentence(names) + " ", ""))
    parts.append((record.full_title, ""))
    if converted:
        parts += [("（", ""), (converted.title, f"lang:{converted.lang}"), ("）", "")]
    parts.append(("[N/OL]. ", ""))
    where = ", ".join(p for p in (record.source, record.day and record.day.isoformat()) if p)
    if accessed:
        where += f"[{accessed.isoformat()}]"
    if where:
        parts.append((f"{where}. ", ""))
    parts.append((f"{record.url}.", ""))
    return _join(parts)


def _apa_authors(names: list[str]) -> str:
    if len(names) > APA_MAX_AUTHORS:
        return ", ".join(names[: APA_MAX_AUTHORS - 1]) + ", . . . " + names[-1]
    if len(names) <= 2:
        return " & ".join(names)
    return ", ".join(names[:-1]) + ", & " + names[-1]


def apa7(record: Record, *, converted: Converted | None = None) -> Citation:
    """APA 7 for a newspaper article online: ``Author. (Year, Month Day). Title.
    *Source*. URL`` — without an author the title comes first; ``(n.d.)`` without a date.
    Months are English, as the style is."""
    day = record.day
    when = f"({day.year}, {MONTHS[day.month - 1]} {day.day})." if day else "(n.d.)."
    title: list[tuple[str, str]] = [(record.full_title, "")]
    if converted:
        title += [(" [", ""), (converted.title, f"lang:{converted.lang}"), ("]", "")]
    title_end = "" if record.full_title.endswith(_CLOSING) and not converted else "."
    parts: list[tuple[str, str]] = []
    if record.authors:
        parts.append((_sentence(_apa_authors(record.authors)) + f" {when} ", ""))
        parts += title + [(title_end + " ", "")]
    else:
        parts += title + [(f"{title_end} {when} ", "")]
    if record.source:
        parts += [(record.source, "source"), (". ", "")]
    parts.append((record.url, ""))
    return _join(parts)


def citations(record: Record, *, converted: Converted | None = None) -> Citations:
    """What the article page's "Cite" block shows (no access date: the page is cached)."""
    return Citations(
        permalink=record.url,
        gbt=gbt7714(record, converted=converted),
        apa=apa7(record, converted=converted),
    )


def ris_file(record: Record, *, accessed: date, text: Labels | None = None) -> str:
    """The article as one RIS record, accessed on ``accessed``."""
    return ris_record(record, text or labels(), accessed=accessed)


def bibtex_file(record: Record, *, accessed: date, text: Labels | None = None) -> str:
    """The article as one BibTeX entry, accessed on ``accessed``."""
    return bibtex_entry(record, text or labels(), accessed=accessed)
