"""The benchmark's figures about the cluster: searches are timed once the replicas are
copied, and the report shows how long that took and what the JVMs hold."""

from io import StringIO

import pytest
from django.core.management import call_command

from archive.benchmark.report import HEADLINE_ROWS, headline
from archive.benchmark.runner import seconds_to_green
from tests.factories import make_archive
from tests.search.backends.opensearch.support import opensearch_site


@pytest.mark.django_db
@pytest.mark.opensearch
def test_search_waits_until_every_replica_of_the_new_index_is_copied(settings):
    from archive.search.backends.opensearch.client import get_client

    make_archive()
    with opensearch_site(settings) as prefix:
        call_command("rebuild_index", "--noinput", stdout=StringIO())
        waited = seconds_to_green(prefix)
        health = get_client().cluster.health(index=f"{prefix}-articles-*")
        # A replica more than the two nodes can hold: never green, so not "waited".
        get_client().indices.put_settings(
            index=f"{prefix}-articles-*", body={"index": {"number_of_replicas": 2}}
        )
        never = seconds_to_green(prefix, limit_s=1)
    assert waited is not None and waited >= 0
    assert health["status"] == "green"
    assert health["active_shards"] == health["active_primary_shards"] * (
        1 + settings.OPENSEARCH_REPLICAS
    )
    assert never is None


def test_the_report_shows_the_replica_copy_and_each_node_s_memory():
    entry = {
        "corpus": {"articles": 250_000},
        "ours": {
            "index": {"docs_per_s": 300.0, "replicas_seconds": 288.4},
            "cluster_rss_mb": {"node-1": 1524.7, "node-2": 1862.4},
        },
    }
    row = headline(entry)
    labels = dict(HEADLINE_ROWS)
    assert row[labels["  replicas copied after the build, s (cluster)"]] == 288.4
    assert row[labels["JVM RSS per node, MB (cluster)"]] == "1,525 / 1,862"
    assert headline({"ours": {"index": {}}})["jvm_rss_mb"] is None
