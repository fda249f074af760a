"""The haystack engine of the OpenSearch backend (named in HAYSTACK_CONNECTIONS)."""

from archive.search.backends.opensearch.backend import OpenSearchBackend
from archive.search.haystack_engine import ArchiveEngine, ArchiveHaystackBackend


class OpenSearchHaystackBackend(ArchiveHaystackBackend):
    archive_class = OpenSearchBackend


class OpenSearchEngine(ArchiveEngine):
    backend = OpenSearchHaystackBackend
