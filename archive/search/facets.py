"""The facets, declared once: what each filters and counts, its URL parameter, its name.

Everything that lists facets (the parameters, the engines' filters and counts,
the labels of their values, the search page) reads ``FACETS``; adding a facet
starts here.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Facet:
    name: str  # its key in results and counts, and the search page's URL parameter
    field: str  # the document field (``archive.search.documents``) it filters and counts
    label: Promise  # its heading on the search page
    aliases: tuple[str, ...] = ()  # other URL parameters read as this one
    several_per_article: bool = False  # an article has any number of values (topics)
    by_date: bool = False  # years, or the months of a selected year; not a value list
    params_attr: str = ""  # the list of chosen values on ``SearchParams``
    closed_values: bool = False  # values are the model's choices, not slugs (languages)


FACETS: tuple[Facet, ...] = (
    Facet("topic", "topics", _("Topic"), several_per_article=True, params_attr="topics"),
    Facet("source", "source", _("Source"), params_attr="sources"),
    Facet(
        "language",
        "language",
        _("Language"),
        aliases=("lang",),
        params_attr="languages",
        closed_values=True,
    ),
    Facet("date", "year", _("Date"), by_date=True),
)
BY_NAME = {facet.name: facet for facet in FACETS}
VALUE_FACETS = tuple(facet for facet in FACETS if not facet.by_date)  # chosen by value


@dataclass(frozen=True)
class Filters:
    """What a search is narrowed to. Several values of one facet OR together;
    different facets AND."""

    values: dict[str, frozenset[str]] = field(default_factory=dict)  # facet name -> values
    year: str | None = None  # "2025" or UNDATED
    month: str | None = None  # "2025-09" (with its year)
    pub_from: int | None = None  # seconds since the epoch, inclusive
    pub_to: int | None = None  # exclusive

    def selected(self, facet_name: str) -> frozenset[str]:
        return self.values.get(facet_name, frozenset())


# Counts per facet name: values (or years, or months of the selected year) -> articles.
FacetCounts = dict[str, Counter]
