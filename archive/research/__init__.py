"""What researchers do after a search, as plain functions the web layer calls.

``timeline`` (matches over time) and ``coverage`` (articles per source per
month) count; ``concordance`` and ``matches`` find occurrences; ``export`` and
``citations`` write results and references. The pages that show them live in
``archive.web``.
"""
