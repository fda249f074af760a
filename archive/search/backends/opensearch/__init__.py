"""The distributed engine: an OpenSearch cluster (``ARCHIVE_SEARCH_ENGINE=opensearch``)."""
