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

    connections.reload("default")
    yield path
    connections.reload("default")


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
