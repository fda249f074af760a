"""/healthz: the database, the index and the indexer, as a load balancer sees them."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from archive.models import Article, IndexTask, Language
from archive.search import locks

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_index(client):
    Article.objects.create(
        title="稀土",
        body="稀土产业",
        language=Language.SIMPLIFIED,
        external_id="t1",
        fingerprint="x",
    )
    call_command("ensure_index", stdout=StringIO())
    with locks.indexer_presence():  # as a running run_indexer loop holds it
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "index": "ok",
        "indexer": "running",
        "status": "ok",
    }


def test_healthz_is_503_when_no_indexer_runs(client):
    call_command("ensure_index", stdout=StringIO())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["indexer"] == "not running"


def test_healthz_is_503_when_the_oldest_queued_change_is_too_old(client, settings):
    settings.ARCHIVE_INDEX_TASK_MAX_AGE = 60
    call_command("ensure_index", stdout=StringIO())
    task = IndexTask.objects.create(article_id=12345)
    with locks.indexer_presence():
        assert client.get("/healthz").status_code == 200  # just queued: on its way
        IndexTask.objects.filter(pk=task.pk).update(
            created_at=timezone.now() - timedelta(seconds=61)
        )
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["indexer"] == "behind"


def test_healthz_is_503_when_index_is_unreadable(client, index_dir):
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    index_dir.write_text("not a directory")  # the index path is a file: unreadable
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == body["index"] == "unavailable"
    # Names of exceptions and file paths are for the log, not the public body.
    assert not any(word in response.content.decode() for word in ("Error", "Exception", "/"))
