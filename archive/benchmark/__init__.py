"""The benchmark: ingest, index and search figures for our stack and its peers.

``manage.py benchmark`` orchestrates; every measurement of our own pipeline runs
in a subprocess pointed at a scratch area (``ARCHIVE_VAR_DIR``), never at the
user's live data. See ``runner.run_benchmark``.
"""
