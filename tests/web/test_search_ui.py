"""archive.web.search_ui: the links, chips and labels around the search results."""

import pytest
from django.http import QueryDict
from django.utils import translation

from archive.models import Tag
from archive.search import service
from archive.search.service import FacetValue
from archive.web import search_ui

pytestmark = pytest.mark.django_db


def links_of(groups, key):
    return {link.value: link for group in groups if group.key == key for link in group.links}


def test_facet_link_adds_a_value_and_goes_back_to_page_one():
    query = QueryDict("q=rare&topic=economy&page=3")
    facets = {"topic": [FacetValue("health", "Health", 4, False)]}
    links = links_of(search_ui.facet_groups(query=query, facets=facets), "topic")
    assert links["health"].url == "?q=rare&topic=economy&topic=health"
    assert (links["health"].label, links["health"].count) == ("Health", 4)


def test_selected_facet_link_removes_only_that_value():
    query = QueryDict("q=rare&topic=economy&topic=health&source=xinhua")
    facets = {"topic": [FacetValue("economy", "Economy", 2, True)]}
    link = links_of(search_ui.facet_groups(query=query, facets=facets), "topic")["economy"]
    assert link.selected
    assert link.url == "?q=rare&topic=health&source=xinhua"


def test_single_value_filter_link_replaces_the_value():
    query = QueryDict("date=2024")
    facets = {"date": [FacetValue("2025-03", "2025-03", 7, False)]}
    with translation.override("en"):
        link = links_of(search_ui.facet_groups(query=query, facets=facets), "date")["2025-03"]
    assert link.url == "?date=2025-03"
    assert link.label == "March 2025"


def test_long_facet_lists_are_cut_but_keep_selected_values():
    values = [FacetValue(f"s{n:02d}", f"S{n}", 100 - n, n == 20) for n in range(25)]
    [group] = [
        g
        for g in search_ui.facet_groups(query=QueryDict(), facets={"source": values})
        if g.key == "source"
    ]
    shown = [link.value for link in group.links]
    assert len(shown) == search_ui.FACET_LIMIT + 1 and "s20" in shown and "s16" not in shown
    assert group.hidden == 25 - len(shown)


def test_chips_remove_one_filter_each_and_name_gone_topics_from_the_database():
    Tag.objects.create(name_zh="卫生", name_en="Health", slug="health")
    query = QueryDict("q=x&topic=health&language=en&start=2024-01-01")
    groups = search_ui.facet_groups(query=query, facets={})  # no facet values left
    with translation.override("en"):
        chips = search_ui.chips(query=query, groups=groups)
    by_label = {chip.label: chip for chip in chips}
    assert by_label["Health"].remove_url == "?q=x&language=en&start=2024-01-01"
    assert by_label["English"].remove_url == "?q=x&topic=health&start=2024-01-01"
    assert by_label["2024-01-01"].remove_url == "?q=x&topic=health&language=en"
    with translation.override("zh-hans"):
        labels = [chip.label for chip in search_ui.chips(query=query, groups=groups)]
    assert "卫生" in labels


def test_canonical_query_uses_main_names_and_drops_empty_values():
    query = QueryDict("lang=en&date_from=2024-01-01&date_to=&q=rare")
    canonical = search_ui.canonical_query(query)
    assert canonical.urlencode() == "language=en&start=2024-01-01&q=rare"


def test_search_query_splits_commas_and_drops_repeats_and_page_last():
    cleaned, wants_last = search_ui.search_query(QueryDict("topic=a,b&topic=a&lang=en&page=last"))
    assert cleaned.getlist("topic") == ["a", "b"]
    assert cleaned.getlist("language") == ["en"]
    assert wants_last and "page" not in cleaned


def test_a_search_refuses_too_many_values_of_one_filter_however_they_are_written():
    values = [f"t{n}" for n in range(service.MAX_VALUES + 1)]
    comma = QueryDict(f"topic={','.join(values)}")
    repeated = QueryDict("&".join(f"topic={v}" for v in values))
    for query in (comma, repeated):
        with (
            translation.override("en"),
            pytest.raises(service.SearchParamError, match="at most 50"),
        ):
            search_ui.run_search(query)  # refused before the index is read
    assert search_ui.search_query(comma)[0].getlist("topic") == values


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("en", "2025-03", "March 2025"),
        ("zh-hans", "2025-03", "2025年3月"),
        ("en", "2025", "2025"),
        ("en", "2025-13", "2025-13"),
        ("en", "undated", "Undated"),
    ],
)
def test_date_labels(language, value, expected):
    with translation.override(language):
        assert search_ui.date_label(value, value.capitalize()) == expected
