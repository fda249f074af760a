"""Real processes killed with ``kill -9``: the supervised indexer, a drain, a rebuild.

Each test runs a separate installation (tests.processes.Site): gunicorn as
``make run`` starts it, or the index commands on their own, then kills a
process mid-work and checks what a reader would see.
"""

import fcntl
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from archive.search import locks
from tests.processes import Site, free_port, kill_hard, wait_for

pytestmark = pytest.mark.slow

GUNICORN = str(Path(sys.executable).parent / "gunicorn")

CREATE_ARTICLES = """
import sys
from archive.models import Article
prefix, count = sys.argv[1], int(sys.argv[2])
Article.objects.bulk_create(
    Article(title=f"{prefix}第{n}篇", body=f"{prefix}报道第{n}号。稀土。", language="zh-Hans",
            external_id=f"{prefix}-{n}", fingerprint=f"{prefix}-{n}")
    for n in range(count)
)
from archive.models import IndexTask
IndexTask.objects.bulk_create(
    IndexTask(article_id=pk)
    for pk in Article.objects.filter(external_id__startswith=prefix + "-").values_list("pk", flat=True)
)
"""


def get(port: int, path: str) -> tuple[int, dict | str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    except (urllib.error.URLError, ConnectionError) as error:  # not listening (yet)
        return 0, str(error)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def children(pid: int) -> dict[int, str]:
    """Child pids of ``pid`` and their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def is_zombie(pid: int) -> bool:
    """Dead but not yet reaped: its open files, and so its locks, are released."""
    return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()


def indexer_pid(master: int) -> int | None:
    return next((pid for pid, cmd in children(master).items() if "run_indexer" in cmd), None)


def add_articles(site: Site, prefix: str, count: int) -> None:
    site.manage(
        "shell", "-c", f"import sys; sys.argv=['x','{prefix}','{count}']\n{CREATE_ARTICLES}"
    )


@pytest.fixture
def site(tmp_path):
    return Site(tmp_path / "var")


@pytest.fixture
def served(site):
    """gunicorn started as ``make run`` starts it (it supervises the indexer)."""
    port = free_port()
    site.extra_env.update(PORT=str(port), HOST="127.0.0.1", WEB_CONCURRENCY="2")
    site.extra_env.update(ARCHIVE_START_INDEXER="1")
    master = site.start(
        program=[GUNICORN, "archive.wsgi:application", "-c", "archive/gunicorn_conf.py"]
    )
    try:
        wait_for(lambda: get(port, "/healthz")[0] == 200, timeout=120, what="a healthy site")
        yield site, port, master
    finally:
        master.send_signal(signal.SIGTERM)
        try:
            master.wait(timeout=30)
        except Exception:  # noqa: BLE001 - whatever state it is in, it must go
            kill_hard(master)


def search_total(port: int, q: str) -> int:
    status, body = get(port, f"/api/search?q={urllib.request.quote(q)}")
    assert status == 200, body
    return body["total"]


def test_killed_indexer_is_restarted_and_edits_reach_search_again(served):
    site, port, master = served
    first = wait_for(lambda: indexer_pid(master.pid), what="the indexer process")
    os.kill(first, signal.SIGKILL)
    # While it is down /healthz says so; the master starts a new one within seconds.
    second = wait_for(
        lambda: (pid := indexer_pid(master.pid)) not in (None, first) and pid, what="a new indexer"
    )
    assert second != first
    add_articles(site, "重启后", 3)
    wait_for(lambda: search_total(port, "重启后") == 3, what="the new articles in search")
    assert get(port, "/healthz") == (
        200,
        {"database": "ok", "index": "ok", "indexer": "running", "status": "ok"},
    )


def test_healthz_is_503_while_no_indexer_runs(served):
    site, port, master = served
    master.send_signal(signal.SIGSTOP)  # the master cannot restart it while stopped
    try:
        pid = indexer_pid(master.pid)
        os.kill(pid, signal.SIGKILL)
        # Within moments of its death (all its threads gone) health names the missing part.
        status, body = wait_for(
            lambda: (reply := get(port, "/healthz"))[0] == 503 and reply,
            timeout=30,
            what="/healthz to notice",
        )
        assert (body["indexer"], body["status"]) == ("not running", "unavailable")
        assert is_zombie(pid)  # and nothing restarted it meanwhile
        # The workers still answer searches.
        assert search_total(port, "稀土") == 0
    finally:
        master.send_signal(signal.SIGCONT)
    wait_for(lambda: get(port, "/healthz")[0] == 200, what="health back after the restart")


CHECK_INDEX = """
import json
from archive.models import Article, IndexTask
from archive.search.backends.whoosh import storage
from archive.search import locks
from archive.search.indexer import index_drift
missing, extra = index_drift()
searcher = storage.get_searcher()
reader = searcher.reader()
column = reader.column_reader("topics")
ids = reader.column_reader("id")
indexed_topics = {int(ids[d]): sorted(column[d].split()) for d in reader.all_doc_ids()}
db_topics = {a.pk: sorted(t.slug for t in a.tags.all()) for a in Article.objects.prefetch_related("tags")}
print(json.dumps({
    "missing": len(missing), "extra": len(extra), "queued": IndexTask.objects.count(),
    "topics_differ": sum(indexed_topics.get(pk) != slugs for pk, slugs in db_topics.items()),
    "live": storage.current_dir().name,
    "generations": sorted(p.name for p in locks.index_root().glob("gen-*")),
}))
"""

RETAG = """
from archive.models import Article, ArticleTag, IndexTask, Tag
tag, _ = Tag.objects.get_or_create(slug="retagged", defaults={"name_zh": "重标", "name_en": "Retagged"})
ids = list(Article.objects.order_by("pk").values_list("pk", flat=True)[:COUNT])
ArticleTag.objects.bulk_create([ArticleTag(article_id=pk, tag=tag) for pk in ids], ignore_conflicts=True)
Article.objects.filter(pk__in=ids).update(title="重标后的标题")
IndexTask.objects.bulk_create(IndexTask(article_id=pk) for pk in ids)
"""


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())


def writer_lock_held(site: Site) -> bool:
    """Does another process hold the site's index writer lock right now?"""
    path = site.var / "index" / locks.LOCK_FILE
    if not path.exists():
        return False
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def index_report(site: Site) -> dict:
    return json.loads(site.manage("shell", "-c", CHECK_INDEX).stdout.strip().splitlines()[-1])


def log_text(site: Site, name: str) -> str:
    return (site.var / f"{name}.log").read_text(errors="replace")


@pytest.fixture
def indexed_site(site):
    """2,000 articles, indexed."""
    add_articles(site, "稀土", 2000)
    site.manage("ensure_index")
    return site


def test_indexer_killed_mid_drain_loses_no_change(indexed_site):
    site = indexed_site
    site.manage("shell", "-c", RETAG.replace("COUNT", "900"))
    indexer = site.start("run_indexer")
    # Killed as soon as its drain holds the writer lock: inside the batch of 900
    # changes, before their rows are deleted (a fixed sleep raced a fast drain).
    wait_for(lambda: writer_lock_held(site), interval=0.005, what="the drain")
    kill_hard(indexer)
    assert index_report(site)["queued"] > 0  # killed before the end: the rows are still there

    restarted = site.start("run_indexer", "--optimize-every", "1")
    try:
        wait_for(lambda: index_report(site)["queued"] == 0, timeout=120, what="the queue drained")
        wait_for(lambda: "index: merged" in log_text(site, "run_indexer"), what="the segment merge")
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)
    report = index_report(site)
    assert (report["missing"], report["extra"], report["topics_differ"]) == (0, 0, 0)
    # The killed writer's leftover files went with the merge: the folder is about
    # the size of a fresh build of the same articles.
    merged = folder_size(site.var / "index" / report["live"])
    site.manage("rebuild_index")
    fresh = folder_size(site.var / "index" / index_report(site)["live"])
    assert abs(merged - fresh) <= fresh * 0.10, (merged, fresh)


def test_rebuild_killed_mid_way_keeps_the_old_index_serving(indexed_site):
    site = indexed_site
    before = index_report(site)
    # Two writer processes, as for a large archive: its children must not outlive it
    # holding the index lock (the next rebuild would wait for them forever).
    rebuild = site.start("rebuild_index", "--procs", "2")
    wait_for(
        lambda: "rebuild: 1000/2000" in log_text(site, "rebuild_index"), what="rebuild progress"
    )
    kill_hard(rebuild)

    after = index_report(site)
    assert after["live"] == before["live"]  # the old generation still serves, complete
    assert (after["missing"], after["extra"]) == (0, 0)
    assert len(after["generations"]) == len(before["generations"]) + 1  # the partial one
    assert search_count(site, "稀土") == 2000

    site.manage("rebuild_index", timeout=150)  # waits forever if the lock outlived the kill
    final = index_report(site)
    assert final["live"] not in (before["live"],) and final["missing"] == final["extra"] == 0
    # Only the live generation and the one before it are kept: the partial one is gone.
    assert final["generations"] == sorted([before["live"], final["live"]])
    assert search_count(site, "稀土") == 2000


def search_count(site: Site, q: str) -> int:
    script = (
        "from archive.search.service import SearchParams, search\n"
        f"print(search(SearchParams(q={q!r})).total)"
    )
    return int(site.manage("shell", "-c", script).stdout.strip().splitlines()[-1])


def test_importer_rebuild_and_indexer_at_once_all_finish(indexed_site, tmp_path):
    site = indexed_site
    feed = tmp_path / "new.jsonl"
    feed.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"feed-{n}",
                    "title": f"永磁电机第{n}篇",
                    "body": f"永磁电机产业第{n}号报道。",
                    "date": "2024-05-06",
                    "source": "测试来源",
                    "lang": "zh-Hans",
                    "tags": ["经济"],
                },
                ensure_ascii=False,
            )
            + "\n"
            for n in range(600)
        ),
        encoding="utf-8",
    )
    indexer = site.start("run_indexer", "--interval", "0.2", "--optimize-every", "100")
    try:
        importer = site.start("import_articles", str(feed))
        rebuild = site.start("rebuild_index", "--procs", "1")
        for proc, name in ((importer, "import_articles"), (rebuild, "rebuild_index")):
            assert proc.wait(timeout=300) == 0, log_text(site, name)
        wait_for(lambda: index_report(site)["queued"] == 0, timeout=120, what="the queue drained")
        assert indexer.poll() is None, log_text(site, "run_indexer")  # still running
    finally:
        indexer.terminate()
        indexer.wait(timeout=30)
    report = index_report(site)
    assert (report["missing"], report["extra"], report["topics_differ"]) == (0, 0, 0)
    assert search_count(site, "永磁电机") == 600
    assert "Traceback" not in log_text(site, "run_indexer")


def test_update_index_waits_for_a_busy_index_instead_of_failing(site):
    """A bulk edit being drained holds the index for minutes; an update asked for waits."""
    from tests.search.backends.whoosh.test_reliability import HOLD_LOCK

    add_articles(site, "等待", 20)
    site.manage("ensure_index")
    holder = site.start(
        program=[sys.executable, "-c", HOLD_LOCK, str(site.var / "index" / "indexer.lock")]
    )
    try:
        wait_for(
            lambda: "locked" in log_text(site, sys.executable.replace("/", "_")), what="the lock"
        )
        update = site.start("update_index")
        wait_for(
            lambda: "waiting for it to finish" in log_text(site, "update_index"), what="a wait"
        )
        time.sleep(2)
        assert update.poll() is None  # still waiting, not failed
    finally:
        kill_hard(holder)
    assert update.wait(timeout=120) == 0, log_text(site, "update_index")
    assert "search index updated: 20 written" in log_text(site, "update_index")
