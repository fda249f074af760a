"""The addresses of pages named by a slug (sources, topics), each worked out once.

A search page links each of its results to its source and topics: dozens of
``reverse()`` calls of about 40 µs each, for a handful of distinct answers.
"""

from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=4096)
def _reverse(view: str, slug: str, prefix: str, urlconf) -> str:
    return reverse(view, kwargs={"slug": slug}, urlconf=urlconf)


def slug_url(view: str, slug: str) -> str:
    """``reverse(view, kwargs={"slug": slug})``, remembered per script prefix and URLconf."""
    return _reverse(view, slug, get_script_prefix(), get_urlconf())


@receiver(setting_changed)
def _forget(*, setting: str, **_kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _reverse.cache_clear()
