"""The site starts only when its environment makes sense, and sets itself up once."""

import os
import subprocess
import sys
from io import StringIO

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from archive.models import Article

pytestmark = pytest.mark.django_db


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


def test_an_unknown_search_engine_stops_startup_with_the_choices():
    result = _run_check({"DJANGO_DEBUG": "1", "ARCHIVE_SEARCH_ENGINE": "elastic"})
    assert result.returncode != 0
    assert "ARCHIVE_SEARCH_ENGINE='elastic' is not one of opensearch, whoosh" in result.stderr


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

    settings.STATIC_ROOT = tmp_path / "static"
    for _ in range(2):
        out = StringIO()
        call_command("prepare_site", stdout=out)
    assert "created 0, updated 0, unchanged 5" in out.getvalue()
    assert Article.objects.count() == 5
    from archive.search.service import SearchParams, search

    assert search(SearchParams(q="")).total == 5
