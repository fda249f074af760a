"""The OpenSearch engine's own tests: each runs the site on the local cluster."""

import pytest

from tests.search.backends.opensearch.support import opensearch_site


@pytest.fixture
def opensearch(settings, fresh_search_state):
    """The site on the cluster, with fresh index names (deleted afterwards)."""
    with opensearch_site(settings) as prefix:
        yield prefix
