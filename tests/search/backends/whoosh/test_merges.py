"""Segment merges over every storage format a live index can hold."""

import pytest
from whoosh.codec.whoosh3 import W3Codec

from archive.search import indexer
from archive.search.backend import get_backend
from archive.search.backends.whoosh import writing
from archive.search.indexer import drain_queue
from tests.factories import make_article
from tests.search_helpers import find

pytestmark = pytest.mark.django_db


def live_ids() -> set[int]:
    return get_backend().indexed_ids()


def test_merge_of_an_old_format_segment_with_packed_ones(monkeypatch):
    """An index from before packed postings, then updated by this version, merges whole."""
    old = [make_article(f"稀土旧{n}", f"包头稀土旧文{n}。") for n in range(4)]
    monkeypatch.setattr(
        writing, "WRITER_OPTIONS", {**writing.WRITER_OPTIONS, "codec": W3Codec(compression=0)}
    )
    drain_queue()  # written in Whoosh's own block format
    monkeypatch.undo()
    new = make_article("稀土新", "包头稀土新文。")
    old[0].delete()
    drain_queue()  # a packed segment beside it, and a delete in the old one

    indexer.optimize(full=True)

    assert live_ids() == {a.pk for a in old[1:]} | {new.pk}
    assert sorted(find("稀土")) == sorted([*(a.pk for a in old[1:]), new.pk])
    assert find("旧文") and find("新文") == [new.pk]
