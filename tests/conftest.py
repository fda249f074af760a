"""Shared fixtures: every test gets its own Whoosh index directory on disk."""

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def index_dir(tmp_path, settings):
    """Point the search index at a fresh folder for each test."""
    path = tmp_path / "index"
    settings.ARCHIVE_INDEX_DIR = path
    settings.HAYSTACK_CONNECTIONS = {
        "default": {**settings.HAYSTACK_CONNECTIONS["default"], "PATH": str(path)}
    }
    from haystack import connections

    from archive.search import suggestions

    connections.reload("default")
    # A large index's suggestion tables answer while newer ones build: never another test's.
    suggestions.reset()
    yield path
    connections.reload("default")
    suggestions.reset()


@pytest.fixture(autouse=True)
def _static_storage(settings):
    """Tests render templates without running collectstatic."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


SEEDS_DIR = settings.BASE_DIR / "seeds"
SHARED_DIR = settings.BASE_DIR.parent / "shared"


@pytest.fixture(autouse=True)
def _page_cache(tmp_path, settings):
    """Each test caches rendered pages in its own folder."""
    settings.CACHES = {
        **settings.CACHES,
        "pages": {**settings.CACHES["pages"], "LOCATION": str(tmp_path / "pages")},
    }


PASSWORD = "correct-horse-battery-staple-7"


@pytest.fixture
def boss_client(client, settings):
    """A client signed in as a superuser (fast password hashing)."""
    from django.contrib.auth import get_user_model

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    boss = get_user_model().objects.create_superuser("boss", "boss@example.org", PASSWORD)
    client.force_login(boss)
    return client


@pytest.fixture
def fresh_search_state(monkeypatch):
    """No cached results or related articles, and "search unavailable" not yet logged."""
    from django.core.cache import cache

    from archive.web import search_errors

    cache.clear()
    monkeypatch.setattr(search_errors, "_unavailable_logged", {})
    yield
    cache.clear()
