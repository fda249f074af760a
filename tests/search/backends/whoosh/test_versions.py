"""An index written by an older version of the archive is rebuilt, never misread."""

from io import StringIO

import pytest
from django.core.management import call_command
from whoosh import index as whoosh_index
from whoosh.formats import Positions

from archive.search import locks
from archive.search.backends.whoosh import storage
from archive.search.backends.whoosh.schema import build_schema
from archive.text import ANALYSIS_VERSION
from tests.factories import make_article
from tests.search_helpers import find

pytestmark = pytest.mark.django_db


def test_an_index_from_an_older_version_is_rebuilt_at_start_up():
    """An index whose fields store positions the old way is replaced, not misread."""
    old_article = make_article("稀土交易中心", "包头稀土交易所升级。")
    schema = build_schema()
    for name in ("title", "body", "grams", "tgrams"):
        schema[name].format = Positions(field_boost=1.0)
    path = locks.index_root() / "gen-old"
    path.mkdir(parents=True)
    whoosh_index.create_in(str(path), schema).close()
    storage.publish(path)
    out = StringIO()
    call_command("ensure_index", stdout=out)
    assert "older version" in out.getvalue()
    assert find("稀土") == [old_article.pk]


def test_an_index_from_an_older_text_analysis_is_rebuilt_at_start_up():
    """Terms written by another analysis (other stems, hyphenated words whole) are not misread."""
    article = make_article("Shanghai-based rare-earth traders", "Re-election talk.")
    out = StringIO()
    call_command("ensure_index", stdout=out)
    live = storage.current_dir()
    assert storage.analysis_version(live) == ANALYSIS_VERSION
    (live / storage.ANALYSIS_FILE).unlink()  # as a generation written before it was recorded
    out = StringIO()
    call_command("ensure_index", stdout=out)
    assert "older version" in out.getvalue()
    assert storage.current_dir() != live
    assert find("shanghai") == [article.pk]
