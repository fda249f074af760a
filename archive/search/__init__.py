"""Search, engine-neutral: the query language, the service, and the single writer.

Reading: ``service`` (what pages, API and feeds call) → ``params`` (URL parameters,
a Django form) and ``query`` (the query tree) → ``backend.get_backend().search``
→ ``hits``, ``highlight``, ``facet_values``; with ``facets`` (each facet declared
once), ``glossary``, ``suggest`` and ``related``.

Writing: model ``signals`` → ``queue`` (IndexTask rows) → ``indexer`` (the only
writer, under ``locks``; run by ``indexer_loop``) → ``documents`` → the backend.

Engines live in ``backends/`` (Whoosh, the embedded default); ``haystack_engine``
gives haystack's API (``SearchQuerySet``, its commands, ``{% more_like_this %}``)
over whichever one ``HAYSTACK_CONNECTIONS`` names.
"""
