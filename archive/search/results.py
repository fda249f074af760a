"""What a search answers: hits, facet values, how the query was understood."""

from dataclasses import dataclass, field

from archive.models import Article, Tag
from archive.search.params import SearchParams


@dataclass
class Understood:
    segments: list[str]
    folded: str
    also_searched: list[str]


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Hit:
    article: Article
    title_html: str
    snippet_html: str
    score: float | None
    topics: list[Tag] = field(default_factory=list)


@dataclass
class SearchResults:
    params: SearchParams
    understood: Understood
    total: int
    page: int
    page_size: int
    num_pages: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = None
    message: str | None = None
