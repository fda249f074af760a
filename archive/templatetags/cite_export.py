"""Citations and export links in templates.

``{% article_citations article reading permalink as cite %}`` on the article page,
``{% export_links as export %}`` (the formats and the limit) on the results page.
"""

from django import template

from archive.research import citations, export

register = template.Library()


@register.simple_tag
def article_citations(article, reading, permalink: str) -> citations.Citations:
    """The article's GB/T 7714 and APA citations; with the converted title when the
    reader chose the other script (``reading.converted``)."""
    record = export.record_for(article, [], permalink=permalink)
    converted = None
    if reading is not None and reading.converted:
        title = f"{reading.title}: {reading.subtitle}" if reading.subtitle else reading.title
        converted = citations.Converted(title=title, lang=reading.lang)
    return citations.citations(record, converted=converted)


@register.simple_tag
def export_links() -> dict:
    """``formats`` (each with ``name`` and ``label``) and ``limit``, for the export links."""
    return {"formats": export.FORMATS, "limit": export.export_limit()}
