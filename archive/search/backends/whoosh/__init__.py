"""The embedded search engine: Whoosh. The only package that imports Whoosh."""
