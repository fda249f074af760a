"""The real ``run_indexer`` loop: merges, busy locks, errors in a batch, and drift.

Drives more changes than ``--optimize-every`` through the command itself, so the
loop's segment merge runs over a mix of packed segments (a fresh build, new and
updated documents, an admin topic edit, deletes).
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from archive.models import IndexTask, Tag
from archive.search import indexer_loop, locks
from archive.search.backend import get_backend
from archive.search.backends.whoosh import storage
from archive.search.indexer import drain_queue
from archive.search.service import SearchParams, search
from tests.admin.test_admin import change_form_data
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def run_loop(*args: str) -> str:
    out = StringIO()
    call_command("run_indexer", "--once", *args, stdout=out, stderr=out)
    return out.getvalue()


def live_ids(*, topic: str | None = None) -> set[int]:
    """Article ids the live index holds, or those it files under ``topic``."""
    if topic is None:
        return get_backend().indexed_ids()
    found = search(SearchParams(topics=[topic], page_size=100, highlight=False))
    return {hit.article.pk for hit in found.hits}


def test_loop_merges_segments_after_many_changes_and_an_admin_topic_edit(boss_client):
    rare = Tag.objects.create(name_zh="稀土", name_en="Rare earths", slug="rare-earths")
    first = [make_article(f"稀土第{n}篇", f"包头稀土第{n}号报道。") for n in range(6)]
    drain_queue()  # a fresh build: one segment
    more = [make_article(f"永磁第{n}篇", f"永磁电机第{n}号。") for n in range(6)]
    drain_queue()  # a second segment of new documents
    change_url = reverse("admin:archive_article_change", args=[first[0].pk])
    data = change_form_data(boss_client.get(change_url))
    data["article_tags-0-tag"] = str(rare.pk)
    data["article_tags-0-article"] = str(first[0].pk)
    assert boss_client.post(change_url, data).status_code == 302
    assert list(first[0].tags.values_list("slug", flat=True)) == ["rare-earths"]
    first[1].title = "稀土改题"
    first[1].save()
    for article in first[2:5]:  # old versions left as deleted documents: a full merge is due
        article.body += "补充。"
        article.save()
    more[0].delete()
    assert IndexTask.objects.count() >= 3

    output = run_loop("--optimize-every", "2")

    assert "index: merged all segments (6 deleted documents dropped)" in output
    assert not IndexTask.objects.exists()
    ix = storage.open_current()
    try:
        assert len(ix._segments()) == 1  # merged into one segment
        assert ix.doc_count_all() == ix.doc_count() == 11
    finally:
        ix.close()
    expected = {a.pk for a in first + more[1:]}
    assert live_ids() == expected
    assert live_ids(topic="rare-earths") == {first[0].pk}
    from tests.search_helpers import find

    assert find("改题") == [first[1].pk]
    assert sorted(find("永磁")) == sorted(a.pk for a in more[1:])


def test_busy_lock_in_every_step_postpones_and_the_loop_goes_on(monkeypatch, caplog):
    from archive.search import indexer

    monkeypatch.setattr(indexer, "LOCK_TIMEOUT", 0.3)
    make_article("稀土", "包头稀土。")
    drain_queue()
    waiting = make_article("永磁", "永磁电机。")
    cycles = {"n": 0}

    def stop_after_three() -> bool:
        cycles["n"] += 1
        return cycles["n"] > 3

    with locks.writer_lock():  # a rebuild or an importer's drain holds the index
        ok = indexer_loop.run(interval=0.01, optimize_every=1, should_stop=stop_after_three)
    assert ok is False
    assert IndexTask.objects.filter(article_id=waiting.pk).exists()  # kept, not lost
    postponed = [r for r in caplog.records if "postponed" in r.getMessage()]
    assert postponed and all(r.levelname == "WARNING" for r in postponed)

    # Lock released: the next cycle applies the change and merges.
    output = run_loop("--optimize-every", "1")
    assert "index: merged" in output
    assert live_ids() == {waiting.pk - 1, waiting.pk}


def test_a_failing_article_is_logged_and_kept_while_the_rest_is_applied(monkeypatch, caplog):
    from archive.search import indexer

    good = [make_article(f"稀土{n}", f"包头稀土{n}。") for n in range(3)]
    bad = make_article("坏文章", "无法索引。")
    original = indexer.article_document

    def failing(article):
        if article.pk == bad.pk:
            raise RuntimeError("analysis failed")
        return original(article)

    drain_queue()  # the first build
    for article in good:
        article.title += "改"
        article.save()
    bad.title += "改"
    bad.save()
    monkeypatch.setattr(indexer, "article_document", failing)

    output = run_loop()

    assert "3 updated" in output
    assert list(IndexTask.objects.values_list("article_id", flat=True)) == [bad.pk]
    logged = [r for r in caplog.records if r.levelname == "ERROR"]
    assert any(f"article {bad.pk} cannot be indexed" in r.getMessage() for r in logged)
    from tests.search_helpers import find

    monkeypatch.setattr(indexer, "article_document", original)
    assert sorted(find("改")) == sorted(a.pk for a in [*good, bad])  # retried, then applied


def test_a_failing_commit_is_logged_with_its_task_ids_and_retried(monkeypatch, caplog):

    make_article("稀土", "包头稀土。")
    drain_queue()
    later = make_article("永磁", "永磁电机。")
    task_ids = list(IndexTask.objects.values_list("pk", flat=True))
    from archive.search.backends.whoosh import writing

    original = writing.live_batch

    def disk_full():
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writing, "live_batch", disk_full)
    cycles = {"n": 0}

    def stop_after_two() -> bool:
        cycles["n"] += 1
        return cycles["n"] > 2

    assert indexer_loop.run(interval=0.01, should_stop=stop_after_two) is False
    messages = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any(f"index tasks {task_ids[0]}" in m for m in messages), messages
    assert any("drain failed; retrying" in m for m in messages)
    assert list(IndexTask.objects.values_list("pk", flat=True)) == task_ids

    monkeypatch.setattr(writing, "live_batch", original)
    assert "1 updated" in run_loop()
    assert later.pk in live_ids()
