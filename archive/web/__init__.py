"""The site over HTTP: pages, JSON API, feeds, sitemaps, health."""
