"""K3: the loader killed with ``kill -9`` mid-file and mid-batch leaves nothing half-written.

Real processes on their own SQLite file (tests.processes.Site). Each loader works on
generated articles and is killed once some rows are committed; then every stored article
must be whole (body, topics, index queue entry), and the re-run must end with exactly the
rows that a clean load into a fresh site gives (run alongside, in its own site).
"""

import json

import pytest

from tests.processes import Site, kill_hard, wait_for

pytestmark = pytest.mark.slow

FILES = 150  # each file is its own transaction: some 15-30 files a second
RECORDS = 2000
BATCH = 100


def article_text(number: int) -> tuple[str, str]:
    """A title and body that automatic tagging gives topics (rare earths, magnets, Baotou)."""
    title = f"稀土永磁新闻第{number}号"
    body = (
        f"包头市稀土永磁电机产业园第{number}期今日开工建设，稀土永磁产业发展迅速。\n"
        f"第二段：园区第{number}批企业签约，稀土永磁材料产能扩大。"
    )
    return title, body


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A folder of article files and a JSON Lines file, generated once."""
    root = tmp_path_factory.mktemp("loader-input")
    folder = root / "files"
    for number in range(FILES):
        title, body = article_text(number)
        part = folder / f"part{number % 10}"
        part.mkdir(parents=True, exist_ok=True)
        (part / f"{number:05d}.txt").write_text(f"{title}\n\n{body}", encoding="utf-8")
    jsonl = root / "records.jsonl"
    with jsonl.open("w", encoding="utf-8") as handle:
        for number in range(RECORDS):
            title, body = article_text(100_000 + number)
            handle.write(
                json.dumps(
                    {"id": f"rec-{number}", "title": title, "body": body, "source": "新华社"},
                    ensure_ascii=False,
                )
                + "\n"
            )
    return folder, jsonl


def rows(site: Site, like: str) -> set[tuple]:
    """(external id, title, body, fingerprint, topic slugs) of the articles whose id is LIKE."""
    found = site.query(
        """
        SELECT a.external_id, a.title, a.body, a.fingerprint,
               COALESCE((SELECT GROUP_CONCAT(slug, ',') FROM (
                   SELECT t.slug FROM archive_articletag at JOIN archive_tag t ON t.id = at.tag_id
                   WHERE at.article_id = a.id ORDER BY t.slug)), '')
        FROM archive_article a WHERE a.external_id LIKE ?
        """,
        (like,),
    )
    return set(found)


def count(site: Site, like: str) -> int:
    return site.query("SELECT COUNT(*) FROM archive_article WHERE external_id LIKE ?", (like,))[0][
        0
    ]


def assert_whole(site: Site, like: str, reference: Site) -> None:
    """Every stored article equals its clean-load twin (topics included) and is queued."""
    clean = {row[0]: row for row in rows(reference, like)}
    stored = rows(site, like)
    assert stored, "nothing committed before the kill"
    for row in stored:
        assert row == clean[row[0]], f"half-written article {row[0]}"
    unqueued = site.query(
        "SELECT COUNT(*) FROM archive_article a WHERE a.external_id LIKE ? AND NOT EXISTS "
        "(SELECT 1 FROM archive_indextask q WHERE q.article_id = a.id)",
        (like,),
    )[0][0]
    assert unqueued == 0, "articles committed without their index queue entry"


def kill_after(site: Site, proc, like: str, at_least: int) -> int:
    """kill -9 the loader once ``at_least`` articles are committed; the count at the kill."""
    wait_for(lambda: count(site, like) >= at_least or proc.poll() is not None, timeout=300)
    kill_hard(proc)
    assert proc.returncode == -9, "the loader finished before it could be killed"
    return count(site, like)


def loaders(tmp_path, *args: str):
    """The same loader started on a site to kill and on a clean reference site."""
    site, reference = Site(tmp_path / "site"), Site(tmp_path / "reference")
    target, clean = site.start(*args), reference.start(*args)
    return site, target, reference, clean


def test_loader_killed_mid_folder_leaves_whole_articles_and_rerun_matches_clean_load(
    tmp_path, inputs
):
    folder, _ = inputs
    args = ("load_seeds", str(folder), "--no-index")
    site, target, reference, clean = loaders(tmp_path, *args)
    at_kill = kill_after(site, target, "file:%", 25)
    assert at_kill < FILES
    assert clean.wait(timeout=600) == 0
    assert_whole(site, "file:%", reference)
    out = site.manage(*args, "-v0", timeout=600).stdout
    assert (
        f"created {FILES - at_kill}, updated 0, unchanged {at_kill}, duplicate 0, failed 0" in out
    )
    assert rows(site, "file:%") == rows(reference, "file:%")
    assert count(site, "file:%") == FILES


def test_import_killed_mid_batch_commits_whole_batches_and_rerun_matches_clean_load(
    tmp_path, inputs
):
    _, jsonl = inputs
    args = ("import_articles", str(jsonl), "--no-index", "--batch-size", str(BATCH))
    site, target, reference, clean = loaders(tmp_path, *args)
    at_kill = kill_after(site, target, "rec-%", 2 * BATCH)
    assert at_kill < RECORDS
    assert at_kill % BATCH == 0, "a batch was committed in part"
    assert clean.wait(timeout=600) == 0
    assert_whole(site, "rec-%", reference)
    out = site.manage(*args, "-v0", timeout=600).stdout
    summary = f"created {RECORDS - at_kill}, updated 0, unchanged {at_kill}, duplicate 0, failed 0"
    assert summary in out
    assert rows(site, "rec-%") == rows(reference, "rec-%")
