"""Search engines behind ``archive.search.backend.SearchBackend``, one package each."""
