"""Display helpers: dates by precision, names in the interface language."""

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import get_language

from archive.models import Article, DatePrecision, Language, Source, Tag

register = template.Library()


def _interface_is_chinese() -> bool:
    return (get_language() or "").startswith("zh")


@register.simple_tag
def article_date(article: Article) -> str:
    """``<time>`` with the date in the archive time zone; day-only dates show only the day."""
    when = article.published_at
    if when is None:
        return ""
    local = timezone.localtime(when)
    if article.date_precision == DatePrecision.DAY:
        return format_html(
            '<time datetime="{}">{}</time>',
            local.date().isoformat(),
            date_format(local, "DATE_FORMAT"),
        )
    return format_html(
        '<time datetime="{}">{}</time>',
        local.isoformat(timespec="minutes"),
        date_format(local, "DATETIME_FORMAT"),
    )


@register.filter
def topic_name(tag: Tag) -> str:
    """The topic's name in the interface language (``Tag.name_for``)."""
    return tag.name_for()


@register.filter
def source_name(source: Source | None) -> str:
    """The source as it names itself; its English name too on the English interface."""
    if source is None:
        return ""
    if not _interface_is_chinese() and source.name_en and source.name_en != source.name:
        return f"{source.name_en} ({source.name})"
    return source.name


@register.filter
def language_label(code: str) -> str:
    """'zh-Hant' → 'Chinese (traditional)' in the interface language."""
    return str(dict(Language.choices).get(code, code))


@register.filter
def safe_url(url: str) -> str:
    """The URL if it is http(s), else nothing (never a javascript: link)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else ""


@register.filter
def note_text(note) -> str:
    """A quality note, whether stored as text or as a small mapping."""
    if isinstance(note, dict):
        return "; ".join(f"{k}: {v}" for k, v in note.items())
    return str(note)
