"""The site starts, answers its health check and follows the environment."""

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
import yaml
from django.conf import settings
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


def _run_check(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_overrides}
    for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # set by browser tests
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_secret_key_with_debug_off_stops_startup():
    result = _run_check({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_deploy_check_is_clean_with_production_variables():
    result = _run_check(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "x7!kP2@qL9#vB4$mN8%tR1^wZ6&yC3*hJ5(sD0)fG-uE+aQ=oI",
            "DJANGO_ALLOWED_HOSTS": "archive.example.org",
            "DJANGO_HTTPS": "1",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _manage_commands(command) -> list[str]:
    """The manage.py sub-commands a compose ``command`` runs."""
    text = command if isinstance(command, str) else " ".join(command)
    words = text.replace("&&", " ").replace('"', " ").split()
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word.endswith("manage.py")]


def test_docker_compose_names_real_commands_and_variables():
    from django.core.management import get_commands

    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "db", "init", "indexer"} <= set(services)
    readme = (settings.BASE_DIR / "README.md").read_text()
    known = get_commands()
    named = [
        c for service in services.values() for c in _manage_commands(service.get("command", ""))
    ]
    assert {"migrate", "load_seeds", "ensure_index", "run_indexer"} <= set(named)
    for command in named:
        assert command in known, f"docker-compose runs unknown command {command!r}"
    for variable in services["web"]["environment"]:
        if variable.startswith(("DJANGO_", "ARCHIVE_", "DATABASE_")):
            assert variable in readme, f"{variable} is not documented in README.md"
    assert "archive.wsgi:application" in services["web"]["command"]
    assert "index" in compose["volumes"]


def test_prepare_site_twice_loads_the_seeds_once_and_leaves_the_index_ready(
    client, settings, tmp_path
):
    from io import StringIO

    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path / "static"
    for _ in range(2):
        out = StringIO()
        call_command("prepare_site", stdout=out)
    assert "created 0, updated 0, unchanged 5" in out.getvalue()
    assert Article.objects.count() == 5
    from archive.search.service import SearchParams, search

    assert search(SearchParams(q="")).total == 5
