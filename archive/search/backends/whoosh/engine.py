"""The haystack engine of the embedded Whoosh backend (named in HAYSTACK_CONNECTIONS)."""

from archive.search.backends.whoosh.backend import WhooshBackend
from archive.search.haystack_engine import ArchiveEngine, ArchiveHaystackBackend


class WhooshHaystackBackend(ArchiveHaystackBackend):
    archive_class = WhooshBackend


class WhooshEngine(ArchiveEngine):
    backend = WhooshHaystackBackend
