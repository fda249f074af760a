"""The research charts in templates: ``{% timeline_chart months params=… query=… as chart %}``."""

from django import template

from archive.web import charts

register = template.Library()


@register.simple_tag
def timeline_chart(months, *, params=None, query=None):
    """The timeline of ``months`` (``charts.timeline_chart``); None without counts.

    ``params`` and ``query`` are the search's; leave them out for the whole archive.
    """
    if not months:
        return None
    return charts.timeline_chart(months, params=params or None, query=query or None)
