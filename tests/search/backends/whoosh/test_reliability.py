"""Faults a running site meets: a damaged index, a busy or killed indexer, a repeated load.

Covers RELIABILITY.md §8 K4 (corrupt index), C3 and K1 (lock held / holder killed)
and L9 (the index after loading the same files twice) at the level a reader or an
editor notices, where test_indexer.py, test_admin.py and test_ingest_load.py do not.
"""

import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse

from archive.models import Article, IndexTask
from archive.search import locks
from archive.search.backends.whoosh import storage
from archive.search.indexer import drain_queue
from tests.admin.test_admin import change_form_data
from tests.conftest import SEEDS_DIR
from tests.factories import make_article
from tests.search_helpers import find

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_search_state")]

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _new_worker() -> None:
    """Forget this process's open searcher, as a freshly started web worker would."""
    storage._reader.clear()


def _damage(how: str) -> None:
    live = storage.current_dir()
    if how == "truncated toc":
        for toc in live.glob("*.toc"):
            toc.write_bytes(b"")
    else:  # every file of every segment, whether compound (.seg) or separate files
        for segment_file in live.glob("MAIN_*"):
            if segment_file.suffix != ".toc" and segment_file.name != "MAIN_WRITELOCK":
                segment_file.unlink()
    _new_worker()


# --- K4: a corrupt index ---------------------------------------------------------------
@pytest.mark.parametrize("how", ["truncated toc", "deleted segment"])
def test_corrupt_index_search_is_503_but_site_and_admin_work(boss_client, how, caplog):
    article = make_article("稀土交易中心", "包头稀土交易所升级。")
    drain_queue()
    assert find("稀土") == [article.pk]
    _damage(how)
    with caplog.at_level(logging.ERROR, logger="archive.web.views"):
        pages = [boss_client.get("/search/", {"q": "稀土"}, **EN) for _ in range(3)]
    for page in pages:
        assert page.status_code == 503
        html = page.content.decode()
        assert "Search temporarily unavailable" in html and "Traceback" not in html
    unavailable = [r for r in caplog.records if "search unavailable" in r.getMessage()]
    assert len(unavailable) == 1  # logged once, not once per request

    api = boss_client.get("/api/search", {"q": "稀土"})
    assert api.status_code == 503 and "unavailable" in api.json()["error"]
    assert boss_client.get("/feeds/search/", {"q": "稀土"}).status_code == 503
    assert boss_client.get("/healthz").status_code == 503
    assert boss_client.get(article.get_absolute_url(), **EN).status_code == 200
    assert boss_client.get("/", **EN).status_code == 200
    changelist = boss_client.get(reverse("admin:archive_article_changelist"))
    assert changelist.status_code == 200


def test_corrupt_index_recovers_after_rebuild(client):
    article = make_article("稀土交易中心", "包头稀土交易所升级。")
    drain_queue()
    _damage("truncated toc")
    assert client.get("/search/", {"q": "稀土"}).status_code == 503
    call_command("rebuild_index", stdout=StringIO())
    response = client.get("/search/", {"q": "稀土"})
    assert response.status_code == 200
    assert [hit.article.pk for hit in response.context["results"].hits] == [article.pk]


# --- C3 / K1: another process holds the index lock, then dies --------------------------
HOLD_LOCK = """
import fcntl, sys, time
handle = open(sys.argv[1], "a+b")
fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
if len(sys.argv) > 2:  # also Whoosh's own writer lock on the live generation, as a writer has
    from whoosh import index
    writer = index.open_dir(sys.argv[2]).writer()
print("locked", flush=True)
time.sleep(120)
"""


@contextmanager
def lock_held_elsewhere(*, whoosh_writer: bool = False):
    """A separate process holding the index writer lock, as a long rebuild would.

    With ``whoosh_writer`` it also keeps a Whoosh writer open on the live
    generation, so Whoosh's own ``MAIN_WRITELOCK`` is taken too.
    """
    root = locks.index_root()
    root.mkdir(parents=True, exist_ok=True)
    args = [str(root / locks.LOCK_FILE)]
    if whoosh_writer:
        args.append(str(storage.current_dir()))
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()


def _whoosh_writer_is_held() -> bool:
    """Whether another process holds Whoosh's write lock on the live generation."""
    from whoosh import index
    from whoosh.index import LockError

    try:
        index.open_dir(str(storage.current_dir())).writer(timeout=0).cancel()
    except LockError:
        return True
    return False


def test_admin_edit_and_delete_while_index_locked_only_enqueue(boss_client):
    kept = make_article("稀土交易中心", "包头稀土交易所升级。")
    gone = make_article("稀土永磁电机", "稀土永磁电机产业园开工。")
    assert sorted(find("稀土")) == sorted([kept.pk, gone.pk])
    with lock_held_elsewhere(whoosh_writer=True) as holder:
        assert _whoosh_writer_is_held()
        _edit_and_delete_in_admin(boss_client, kept=kept, gone=gone, holder=holder)
    assert not IndexTask.objects.exists()
    assert find("稀土") == [kept.pk]
    assert find("挂牌") == [kept.pk]


def _edit_and_delete_in_admin(boss_client, *, kept, gone, holder) -> None:

    delete_url = reverse("admin:archive_article_delete", args=[gone.pk])
    assert boss_client.post(delete_url, {"post": "yes"}).status_code == 302
    change_url = reverse("admin:archive_article_change", args=[kept.pk])
    data = {**change_form_data(boss_client.get(change_url)), "title": "稀土交易中心挂牌"}
    assert boss_client.post(change_url, data).status_code == 302

    # The admin answered while the other process still holds the lock: it only queued.
    assert holder.poll() is None
    assert set(IndexTask.objects.values_list("article_id", flat=True)) == {kept.pk, gone.pk}
    assert not Article.objects.filter(pk=gone.pk).exists()
    assert find_in_live_index("挂牌") == []  # the edit is not applied yet...
    assert find_in_live_index("稀土") == [kept.pk]  # ...yet no result links to the deleted one

    # The holder dies without unlocking (kill -9); the OS releases the lock and the
    # indexer applies both changes on its next cycle.
    assert _whoosh_writer_is_held()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert not _whoosh_writer_is_held()
    drain_queue()


def find_in_live_index(q: str) -> list[int]:
    """Ids the live index returns, without applying the queue first."""
    from archive.search.service import SearchParams, search

    with_docs = search(SearchParams(q=q, page_size=100, facets=False, highlight=False))
    return [hit.article.pk for hit in with_docs.hits if hit.article is not None]


def test_search_keeps_serving_while_index_locked(client):
    article = make_article("稀土交易中心", "包头稀土交易所升级。")
    drain_queue()
    # Readers never take the writer lock: searching works while a writer holds it.
    with lock_held_elsewhere(whoosh_writer=True) as holder:
        response = client.get("/search/", {"q": "稀土"})
        assert response.status_code == 200
        assert [hit.article.pk for hit in response.context["results"].hits] == [article.pk]
        assert holder.poll() is None


# --- L9: loading the same files twice leaves the index as it was -----------------------
GOOD = "包头稀土永磁产业园开工\n\n包头市稀土永磁电机产业园今日开工建设。\n\n第二段内容。"


def test_loading_twice_changes_neither_rows_nor_index(tmp_path):
    folder = tmp_path / "files"  # tmp_path also holds this test's index
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD, encoding="utf-8")
    (folder / "b.txt").write_text(GOOD.replace("今日", "昨日"), encoding="utf-8")
    (folder / "c.txt").write_text(GOOD, encoding="utf-8")  # same article, second name

    def load() -> str:
        out = StringIO()
        call_command("load_seeds", str(folder), "--no-index", stdout=out)
        drain_queue()
        return out.getvalue()

    first = load()
    assert "created 2" in first and "duplicate 1" in first
    ids, docs = sorted(Article.objects.values_list("pk", flat=True)), _doc_count()
    second = load()
    assert "created 0, updated 0, unchanged 2" in second
    assert sorted(Article.objects.values_list("pk", flat=True)) == ids
    assert _doc_count() == docs == 2
    assert sorted(find("稀土", versions="all")) == ids
    assert len(find("稀土")) == 1  # a and b differ by a word: versions of one story


def _doc_count() -> int:
    return storage.get_searcher().doc_count()


# --- C5: two loaders at once on the same files -----------------------------------------
def test_two_loaders_at_once_make_no_duplicates(tmp_path):
    """Two real processes share one SQLite file: both finish, each article exists once."""
    files = tmp_path / "files"
    files.mkdir()
    for seed in sorted(SEEDS_DIR.iterdir())[:5]:
        shutil.copy(seed, files / seed.name)
    for n in range(30):
        (files / f"extra{n}.txt").write_text(GOOD.replace("今日", f"第{n}日"), encoding="utf-8")
    env = {**os.environ, "ARCHIVE_VAR_DIR": str(tmp_path / "var"), "DJANGO_DEBUG": "1"}
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(django_settings.BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, timeout=120)
    loaders = [
        subprocess.Popen(
            [*manage, "load_seeds", str(files), "--no-index"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in loaders]
    for proc, out in zip(loaders, outputs, strict=True):
        assert proc.returncode == 0, out
        assert "database is locked" not in out
    with sqlite3.connect(tmp_path / "var" / "archive.sqlite3") as db:
        total, distinct = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM archive_article"
        ).fetchone()
    assert total == distinct == 35
