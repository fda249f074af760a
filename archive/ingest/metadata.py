"""Metadata found in article text: dates, language and script, credits, source names."""

import datetime as dt
import email.utils
import json
import re
import zoneinfo
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.text import slugify
from pypinyin import lazy_pinyin

from archive.text import chinese_chars, fold, to_simplified, to_traditional

DATA_DIR = Path(__file__).resolve().parent / "data"

_DATETIME = re.compile(
    r"(?P<y>(19|20)\d\d)\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)日?"
    r"(?:[ T]*(?P<H>\d{1,2})[:：](?P<M>\d\d)(?:[:：](?P<S>\d\d))?)?"
)


@dataclass(frozen=True)
class KnownSource:
    name: str
    name_en: str
    domain: str


def local_zone() -> dt.tzinfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def parse_text_date(text: str) -> tuple[dt.datetime | None, str]:
    """A date found in a line: `2025-03-11 01:11:43` (archive-local) or `2024-05-05` (day)."""
    match = _DATETIME.search(text)
    if not match:
        return None, ""
    try:
        day = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
        if match["H"] is None:
            return dt.datetime.combine(day, dt.time(0, 0), tzinfo=local_zone()), "day"
        moment = dt.time(int(match["H"]), int(match["M"]), int(match["S"] or 0))
    except ValueError:
        return None, ""
    return dt.datetime.combine(day, moment, tzinfo=local_zone()), "minute"


def parse_any_date(value: object) -> tuple[dt.datetime | None, str]:
    """Front matter or JSON dates: datetime/date objects, RFC 2822, ISO 8601, or none."""
    if value is None or value == "" or isinstance(value, bool):
        return None, ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=local_zone())
        return value, "minute"
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0, 0), tzinfo=local_zone()), "day"
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return parse_any_date(dt.date.fromisoformat(text))
        except ValueError:
            return None, ""
    try:
        return parse_any_date(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None:
        return parse_any_date(parsed)
    return parse_text_date(text)


def detect_language(text: str) -> str:
    """zh-Hans, zh-Hant or en, from the characters themselves."""
    sample = text[:5000]
    han = chinese_chars(sample)
    letters = sum(1 for c in sample if c.isascii() and c.isalpha())
    if len(han) * 3 < letters or not han:
        return "en"
    joined = "".join(han)
    simp, trad = to_simplified(joined), to_traditional(joined)
    traditional_only = sum(1 for a, b in zip(joined, simp, strict=False) if a != b)
    simplified_only = sum(1 for a, b in zip(joined, trad, strict=False) if a != b)
    return "zh-Hant" if traditional_only > simplified_only else "zh-Hans"


@cache
def known_sources() -> dict[str, KnownSource]:
    """Folded name or alias → the publisher's own name, English name and domain."""
    entries = json.loads((DATA_DIR / "sources.json").read_text(encoding="utf-8"))
    table: dict[str, KnownSource] = {}
    for entry in entries:
        known = KnownSource(entry["name"], entry.get("name_en", ""), entry.get("domain", ""))
        for name in [entry["name"], *entry.get("aliases", [])]:
            table[fold(name).strip()] = known
    return table


def lookup_source(name: str) -> KnownSource | None:
    return known_sources().get(fold(name).strip())


def ascii_slug(name: str, *, max_length: int = 180) -> str:
    """An ASCII slug; Chinese names are spelled in pinyin."""
    spelled = " ".join(lazy_pinyin(name, errors="default"))
    slug = slugify(spelled)[:max_length].strip("-")
    return slug or "source"


# (中国工业报记者 孟凡君) / （记者 张三 李四）at the end of a paragraph
_REPORTER_CREDIT = re.compile(
    r"[(（](?P<org>[^()（）\s]{0,20}?)(记者|記者|通讯员|通訊員)\s*(?P<names>[^()（）]{2,30})[)）]\s*$"
)
# (張海芳) at the end of the last paragraph: a byline
_NAME_CREDIT = re.compile(r"[(（](?P<name>[\u4e00-\u9fff]{2,4})[)）]\s*$")
# 21世纪经济报道记者彭强 北京报道
_BYLINE = re.compile(
    r"^(?P<org>[^\s,，。]{2,20}?)(记者|記者)\s*(?P<names>[\u4e00-\u9fff]{2,4}(?:[\s、,，](?![\u4e00-\u9fff]{0,4}报道)[\u4e00-\u9fff]{2,4})*)(\s+\S{2,6}报道)?$"
)


def split_names(names: str) -> list[str]:
    return [n for n in re.split(r"[\s,，、/]+", names.strip()) if n]


def reporter_credit(paragraph: str) -> tuple[str, list[str], str] | None:
    """(organisation, reporters, paragraph without the credit) for a closing reporter credit."""
    match = _REPORTER_CREDIT.search(paragraph)
    if not match:
        return None
    return match["org"], split_names(match["names"]), paragraph[: match.start()].rstrip()


def name_credit(paragraph: str) -> str | None:
    match = _NAME_CREDIT.search(paragraph)
    if match and not re.search(r"\d", match["name"]):
        return match["name"]
    return None


def byline(paragraph: str) -> tuple[str, list[str]] | None:
    match = _BYLINE.match(paragraph.strip())
    if not match:
        return None
    return match["org"], split_names(match["names"])
