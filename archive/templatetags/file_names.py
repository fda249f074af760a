"""File names for public pages: the loader may store a full server path; readers see the name."""

import re

from django import template

register = template.Library()


@register.filter
def file_name(path: str) -> str:
    """The last part of a POSIX or Windows path: ``/srv/corpus/x/a.html`` -> ``a.html``."""
    return re.split(r"[\\/]", str(path).rstrip("\\/"))[-1]
