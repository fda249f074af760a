"""A loader running while editors work (RELIABILITY.md §8 C5, second half).

Real processes on one SQLite file (tests.processes.Site): ``load_seeds`` on a
few hundred files while separate processes give articles a topic through the
editorial service, as the admin's "add topic" action does. Nobody may crash
with "database is locked", and nothing either side wrote may be lost.
"""

import random
import subprocess
import sys

import pytest

from tests.processes import MANAGE, Site, kill_hard, wait_for

pytestmark = pytest.mark.slow

WORDS = (
    "经济 改革 发展 城市 农村 交通 教育 科技 文化 医疗 环境 能源 市场 企业 政府 政策 "
    "人民 新闻 报道 铁路 港口 农业 工业 金融 银行 保险 旅游 体育 气候 水利"
).split()
EARLY = 5
LOADED = 200

EDIT = """
from archive.editorial import add_topic
from archive.models import Tag
changed = add_topic(articles=[{pk}], tag=Tag.objects.get(slug={slug!r}))
print("changed", changed)
"""


def _write_articles(folder, count: int, *, prefix: str, seed: int) -> None:
    """Plain-text Chinese articles: a title line, a blank line, the body."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for n in range(count):
        title = f"{prefix}第{n}号报道：{rng.choice(WORDS)}{rng.choice(WORDS)}"
        paragraphs = ["".join(rng.choice(WORDS) for _ in range(120)) + "。" for _ in range(20)]
        text = title + "\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / f"{prefix}-{n:03d}.txt").write_text(text, encoding="utf-8")


def _article_count(site: Site) -> int:
    return site.query("SELECT COUNT(*) FROM archive_article")[0][0]


def test_editors_save_while_the_loader_runs(tmp_path):
    site = Site(tmp_path / "var")
    early, batch = tmp_path / "early", tmp_path / "batch"
    _write_articles(early, EARLY, prefix="早", seed=1)
    _write_articles(batch, LOADED, prefix="新", seed=2)
    site.manage("load_seeds", str(early), "--no-index")
    targets = [pk for (pk,) in site.query("SELECT id FROM archive_article ORDER BY id")]
    assert len(targets) == EARLY
    slugs = [slug for (slug,) in site.query("SELECT slug FROM archive_tag ORDER BY slug")][:EARLY]
    assert len(slugs) == EARLY, "load_seeds creates the topics (archive/ingest/data/topics.json)"

    loader = site.start("load_seeds", str(batch), "--no-index")
    try:
        # The loader is writing: some of its articles are committed, not all.
        wait_for(lambda: _article_count(site) > EARLY, timeout=120, what="the loader's first rows")
        editors = [
            subprocess.Popen(
                [sys.executable, MANAGE, "shell", "-c", EDIT.format(pk=pk, slug=slug)],
                env=site.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for pk, slug in zip(targets, slugs, strict=True)
        ]
        outputs = [editor.communicate(timeout=120)[0] for editor in editors]
        # The edits overlapped the load: it is still going after all five finished.
        still_loading = loader.poll() is None
        for editor, out in zip(editors, outputs, strict=True):
            assert editor.returncode == 0, out
            assert "database is locked" not in out and "changed 1" in out, out
        assert still_loading, "the loader finished before the edits; give it more files"
        assert loader.wait(timeout=300) == 0
    finally:
        kill_hard(loader)
    log = (site.var / "load_seeds.log").read_text(encoding="utf-8", errors="replace")
    assert "database is locked" not in log and "Traceback" not in log, log[-3000:]
    assert f"created {LOADED}," in log and "failed 0" in log, log[-3000:]

    # Every edit is there, as the editor's own decision...
    saved = set(
        site.query(
            "SELECT at.article_id, t.slug FROM archive_articletag at "
            "JOIN archive_tag t ON t.id = at.tag_id WHERE at.origin = 'editor'"
        )
    )
    assert set(zip(targets, slugs, strict=True)) <= saved
    # ...and so is every article of the loader, once each.
    titles = [t for (t,) in site.query("SELECT title FROM archive_article WHERE title LIKE '新%'")]
    assert len(titles) == len(set(titles)) == LOADED
    assert _article_count(site) == EARLY + LOADED
