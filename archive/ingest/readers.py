"""Article files to article data. The shape is detected from the content, never the name."""

import datetime as dt
import re
from dataclasses import dataclass, field

import yaml

from archive.ingest.decode import RejectedFile
from archive.ingest.furniture import Cleaned, clean_lines, html_to_lines, looks_like_html
from archive.ingest.metadata import (
    byline,
    detect_language,
    lookup_source,
    name_credit,
    parse_any_date,
    parse_text_date,
    reporter_credit,
)
from archive.ingest.repair import (
    fix_mojibake,
    lost_text_marks,
    remove_glued_pinyin,
    repair_gbk_shift,
)
from archive.text import chinese_chars

MAX_FRONT_MATTER = 64 * 1024
_FRONT_MATTER = re.compile(r"\A\s*---[ \t]*\n(?P<yaml>.*?)\n---[ \t]*(\n|\Z)", re.S)
_SENTENCE_END = tuple("。.!?！？…；;”\"」')）")

DATE_KEYS = ("date", "published", "pubDate")
_SITE_DATE_LABEL = re.compile(r"(发布)?(时间|時間|日期|来源|來源|发布于|發佈於)\s*[:：]?\s*$")


@dataclass
class ParsedArticle:
    title: str
    body: str
    language: str
    subtitle: str = ""
    published_at: dt.datetime | None = None
    date_precision: str = ""
    source_name: str = ""
    original_source: str = ""
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    url: str = ""
    tags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _safe_url(value: object) -> str:
    text = str(value or "").strip()
    return text if re.match(r"https?://[^\s<>\"']+$", text) and len(text) <= 1000 else ""


def _fix_title(title: str) -> str:
    """`推动_稀交所_升级` (quotes lost in a file name) → `推动“稀交所”升级`."""
    # Titles are cut to 500 characters anyway; the pattern backtracks quadratically, so a
    # 5 MB first line with an underscore would take hours (ASVS 1.3.12).
    title = title[:1000]
    title = re.sub(
        r"(?<![A-Za-z0-9])_([^\s_]*[\u4e00-\u9fff][^\s_]*)_(?![A-Za-z0-9])", r"“\1”", title
    )
    return re.sub(r"\s+", " ", title).strip()[:500]


def _as_list(value: object) -> list[str]:
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value).strip()] if str(value).strip() else []


def parse_front_matter(text: str) -> tuple[dict | None, str]:
    """(front matter dict or None, rest of the text). Raises RejectedFile on broken YAML."""
    match = _FRONT_MATTER.match(text)
    if not match:
        if re.match(r"\A\s*---[ \t]*\n", text) and re.search(r"^\w+:", text[:2000], re.M):
            raise RejectedFile("front matter opened with --- but never closed")
        return None, text
    block = match["yaml"]
    if len(block) > MAX_FRONT_MATTER:
        raise RejectedFile("front matter larger than 64 KB")
    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise RejectedFile(f"broken front matter{where}: {problem}") from None
    except Exception as error:  # noqa: BLE001 - PyYAML raises ValueError on bad dates
        raise RejectedFile(f"broken front matter{_bad_value_line(block)}: {error}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RejectedFile("front matter is not a mapping")
    return data, text[match.end() :]


def _bad_value_line(block: str) -> str:
    """` at line N (key: value)` for the first line PyYAML cannot build a value from.

    Its ValueError (a date such as 2024-13-01) carries no position; each line alone
    that parses as YAML but raises ValueError is the culprit. Lines count from the file's
    first line, the opening ---.
    """
    for number, line in enumerate(block.split("\n"), start=2):
        try:
            yaml.safe_load(line)
        except ValueError:
            return f" at line {number} ({line.strip()[:80]})"
        except yaml.YAMLError:
            continue  # part of a value spread over several lines
    return ""


def _front_matter_date(meta: dict, notes: list[str]) -> tuple[dt.datetime | None, str]:
    """The first date field given; a value that is not a date is noted and left unknown."""
    for key in DATE_KEYS:
        value = meta.get(key)
        if value is None or value == "":
            continue
        try:
            found = parse_any_date(value)
        except Exception:  # noqa: BLE001 - a bad date leaves the date unknown
            found = (None, "")
        if found[0] is None:
            hint = " (YAML reads yes/no as true/false)" if isinstance(value, bool) else ""
            notes.append(f"unreadable date {key}: {value!r}{hint}: left unknown")
        return found
    return None, ""


def _note_lost_text(article: ParsedArticle, notes: list[str]) -> None:
    """Note `锟斤拷` (text lost before the file was saved); reject a file that is mostly that."""
    text = article.title + "\n" + article.body
    lost, context = lost_text_marks(text)
    if not lost:
        return
    chinese = len(chinese_chars(text))
    if lost * 3 > chinese:
        raise RejectedFile(
            f"irrecoverable encoding damage: {lost} of {chinese} Chinese characters "
            "are 锟斤拷 (replacement characters read as GBK)"
        )
    notes.append(
        f"irrecoverable encoding damage: {lost} characters of 锟斤拷 (replacement "
        f"characters read as GBK; the original text is lost), first at “{context}”"
    )


def _repair(text: str, notes: list[str], *, shifted_gbk: bool = True) -> str:
    if shifted_gbk:
        text, repaired = repair_gbk_shift(text)
        notes.extend(repaired)
    text, count = remove_glued_pinyin(text)
    if count:
        notes.append(f"removed {count} pinyin readings glued after characters")
    return text


def _body_lines(text: str, notes: list[str]) -> Cleaned:
    if looks_like_html(text):
        lines, removed = html_to_lines(text)
        notes.extend(removed)
        notes.append("converted HTML to plain paragraphs")
    else:
        lines = text.split("\n")
    return clean_lines(lines)


def _apply_credits(article: ParsedArticle, cleaned: Cleaned) -> None:
    paragraphs = cleaned.paragraphs
    article.editors.extend(e for e in cleaned.editors if e not in article.editors)
    if cleaned.original_source:
        article.original_source = cleaned.original_source
    hints: list[str] = []
    if paragraphs and (credit := reporter_credit(paragraphs[-1])):
        org, names, _ = credit
        article.authors.extend(n for n in names if n not in article.authors)
        if org:
            hints.append(org)
    elif paragraphs and (name := name_credit(paragraphs[-1])):
        if name not in article.authors:
            article.authors.append(name)
    if paragraphs and (line := byline(paragraphs[0])):
        org, names = line
        article.authors.extend(n for n in names if n not in article.authors)
        if org:
            hints.append(org)
    for org in hints:
        known = lookup_source(org)
        name = known.name if known else org
        if not article.source_name:
            article.source_name = name
        elif name != article.source_name and not article.original_source:
            article.original_source = name


def _from_front_matter(
    meta: dict, rest: str, notes: list[str], *, shifted_gbk: bool = True
) -> ParsedArticle:
    title = _fix_title(str(meta.get("title") or "").strip())
    cleaned = _body_lines(_repair(rest, notes, shifted_gbk=shifted_gbk), notes)
    if not title and cleaned.paragraphs:
        title = _fix_title(cleaned.paragraphs.pop(0))
    article = ParsedArticle(title=title, body="", language="")
    article.published_at, article.date_precision = _front_matter_date(meta, notes)
    article.url = _safe_url(meta.get("url") or meta.get("link") or meta.get("permalink"))
    candidates = (
        _as_list(meta.get("source"))
        + _as_list(meta.get("author"))
        + _as_list(meta.get("categories"))
    )
    for name in candidates:
        if known := lookup_source(name):
            article.source_name = known.name
            break
    if not article.source_name and meta.get("source"):
        article.source_name = str(meta["source"]).strip()[:200]
    for author in _as_list(meta.get("author")) + _as_list(meta.get("authors")):
        if not lookup_source(author) and author != article.source_name:
            article.authors.append(author[:100])
    article.subtitle = str(meta.get("subtitle") or "").strip()[:500]
    article.tags = _as_list(meta.get("tags"))
    _apply_credits(article, cleaned)
    article.body = "\n".join(cleaned.paragraphs)
    notes.extend(cleaned.removed)
    return article


def _header_line_date(line: str) -> tuple[dt.datetime | None, str, str]:
    """(date, precision, site name before the date) for a header line carrying a date."""
    published, precision = parse_text_date(line)
    if not published:
        return None, "", ""
    match = re.search(r"(19|20)\d\d\s*[-/.年]", line)
    before = line[: match.start()] if match else ""
    site = _SITE_DATE_LABEL.sub("", before.strip()).strip(" |:：-")
    return published, precision, site


def _from_plain(text: str, notes: list[str], *, shifted_gbk: bool = True) -> ParsedArticle:
    text = _repair(text, notes, shifted_gbk=shifted_gbk)
    lines = [
        line.replace("\u00a0", " ").replace("\u3000", " ").strip() for line in text.split("\n")
    ]
    nonempty = [i for i, line in enumerate(lines) if line]
    if not nonempty:
        raise RejectedFile("no text")
    title_index = nonempty[0]
    article = ParsedArticle(title=_fix_title(lines[title_index]), body="", language="")
    header: list[int] = []
    for index in nonempty[1:6]:
        line = lines[index]
        if len(line) > 60 or line.endswith(_SENTENCE_END):
            break
        header.append(index)
    body_start = title_index + 1
    for position, index in enumerate(header):
        line = lines[index]
        published, precision, site = _header_line_date(line)
        if published and len(line) <= 60:
            article.published_at, article.date_precision = published, precision
            if site:
                known = lookup_source(site)
                article.source_name = known.name if known else site[:200]
            body_start = index + 1
        elif re.fullmatch(r"\d{1,6}", line):
            notes.append(f"dropped comment count line “{line}”")
            body_start = index + 1
        elif (
            len(line) <= 12
            and position + 1 < len(header)
            and _header_line_date(lines[header[position + 1]])[0]
        ):
            notes.append(f"dropped site user name line “{line}”")
            body_start = index + 1
        elif position == 0 and not article.published_at and len(line) <= 40:
            article.subtitle = line[:500]
            body_start = index + 1
        else:
            break
    cleaned = clean_lines(lines[body_start:])
    _apply_credits(article, cleaned)
    article.body = "\n".join(cleaned.paragraphs)
    notes.extend(cleaned.removed)
    return article


def parse_article_text(text: str, *, damaged: bool = False) -> ParsedArticle:
    """Article data from decoded file text. Raises RejectedFile for unusable files.

    ``damaged``: the decoder marked lost bytes with U+FFFD; those marks are not GBK text
    decoded out of step, so that repair is skipped.
    """
    text, notes = fix_mojibake(text.lstrip("\ufeff"))
    shifted_gbk = not damaged
    meta, rest = parse_front_matter(text)
    if meta is not None:
        article = _from_front_matter(meta, rest, notes, shifted_gbk=shifted_gbk)
    elif looks_like_html(text[:5000]):
        cleaned_text = "\n".join(html_to_lines(text)[0])
        article = _from_plain(cleaned_text, notes, shifted_gbk=shifted_gbk)
        notes.append("converted HTML to plain paragraphs")
    else:
        article = _from_plain(text, notes, shifted_gbk=shifted_gbk)
    if not article.title:
        raise RejectedFile("no title")
    if not article.body.strip():
        raise RejectedFile("no article text after cleaning")
    _note_lost_text(article, notes)
    article.language = detect_language(article.title + "\n" + article.body)
    article.notes = notes
    return article
