"""The index follows the database through the queue, and survives rebuilds and damage."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from archive.models import ArticleTag, IndexTask, Source, Tag
from archive.search import locks
from archive.search.backends.whoosh import storage
from archive.search.indexer import drain_queue, rebuild
from archive.search.service import SearchParams, SearchUnavailable, search
from tests.factories import make_article
from tests.search_helpers import find, run

pytestmark = pytest.mark.django_db


def _topic_counts(q=""):
    return {fv.value: fv.count for fv in run(q).facets["topic"]}


def test_indexer_tag_added_and_removed_reaches_search_and_facets():
    economy = Tag.objects.create(name_zh="经济", name_en="Economy", slug="economy")
    politics = Tag.objects.create(name_zh="政治", name_en="Politics", slug="politics")
    article = make_article("稀土", "稀土产业", tags=[economy])
    make_article("稀土价格", "稀土价格上涨", tags=[economy])
    assert _topic_counts("稀土") == {"economy": 2}
    ArticleTag.objects.filter(article=article, tag=economy).delete()
    ArticleTag.objects.create(article=article, tag=politics)
    assert _topic_counts("稀土") == {"economy": 1, "politics": 1}
    assert find("稀土", topics=["politics"]) == [article.pk]


def test_indexer_source_rename_updates_facet_label():
    source = Source.objects.create(name="Old Name", slug="paper")
    make_article("稀土", "稀土", source=source)
    assert run("").facets["source"][0].label == "Old Name"
    source.name = "New Name"
    source.save()
    assert run("").facets["source"][0].label == "New Name"


def test_indexer_deleted_article_leaves_search():
    article = make_article("稀土", "稀土")
    assert find("稀土") == [article.pk]
    article.delete()
    assert find("稀土") == []
    assert IndexTask.objects.count() == 0


def test_indexer_rolled_back_change_queues_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        make_article("回滚", "这篇文章被回滚")
        raise RuntimeError("abort")
    assert IndexTask.objects.count() == 0
    assert find("回滚") == []


def test_indexer_rows_stay_queued_until_applied():
    make_article("稀土", "稀土")
    drain_queue()
    article = make_article("永磁", "永磁电机")
    assert IndexTask.objects.filter(article_id=article.pk).exists()
    assert drain_queue() >= 1
    assert not IndexTask.objects.exists()


def test_rebuild_keeps_old_index_readable_until_swap():
    first = make_article("稀土", "稀土")
    drain_queue()
    old_dir = storage.current_dir()
    make_article("稀土二", "稀土二")
    # A rebuild that dies half-way must leave the live index serving.
    from archive.search import indexer

    original = indexer.article_document

    def failing(article):
        if article.pk != first.pk:
            raise RuntimeError("killed")
        return original(article)

    indexer.article_document = failing
    try:
        with pytest.raises(RuntimeError):
            rebuild()
    finally:
        indexer.article_document = original
    assert storage.current_dir() == old_dir
    assert search(SearchParams(q="稀土")).total == 1
    assert list(locks.index_root().glob("gen-*")) == [old_dir]
    rebuild()
    assert storage.current_dir() != old_dir
    assert search(SearchParams(q="稀土")).total == 2


def test_corrupt_index_is_unavailable_and_healthz_503(client):
    make_article("稀土", "稀土")
    drain_queue()
    for toc in storage.current_dir().glob("*.toc"):
        toc.write_bytes(b"")
    storage._reader.clear()
    with pytest.raises(SearchUnavailable):
        search(SearchParams(q="稀土"))
    assert client.get("/healthz").status_code == 503


def test_missing_index_is_unavailable():
    with pytest.raises(SearchUnavailable):
        search(SearchParams(q="稀土"))


def test_commands_build_update_and_ensure(capsys):
    make_article("稀土", "稀土")
    out = StringIO()
    call_command("ensure_index", stdout=out)
    assert "built" in out.getvalue()
    call_command("rebuild_index", "--noinput", stdout=out)
    call_command("update_index", stdout=out)
    assert "1/1" in out.getvalue()
    call_command("ensure_index", stdout=out)
    assert find("稀土")
    call_command("run_indexer", "--once", stdout=out)
    assert "stopped" in out.getvalue()
