"""Full-text search: the Whoosh index, the indexer that writes it, and queries."""
