"""Admin search boxes that find a name in either script and any case."""

from functools import reduce
from operator import and_, or_

from django.db.models import Q, QuerySet

from archive.text import fold, normalize, traditional_variants


def script_variants(word: str) -> list[str]:
    """The spellings a title may use for ``word``: as typed, simplified, traditional."""
    folded = fold(word)
    variants = {word, normalize(word), folded}
    variants.update(traditional_variants(folded))
    return sorted(v for v in variants if v)


def search_in_scripts(queryset: QuerySet, *, term: str, fields: list[str]) -> QuerySet:
    """Each word of ``term`` must appear in one of ``fields``, in any script or case."""
    words = term.split()
    if not words:
        return queryset
    conditions = [
        reduce(
            or_, (Q(**{f"{field}__icontains": v}) for v in script_variants(w) for field in fields)
        )
        for w in words
    ]
    return queryset.filter(reduce(and_, conditions))
