"""The real ``run_indexer`` loop: merges, busy locks, errors in a batch, and drift.

Drives more changes than ``--optimize-every`` through the command itself, so the
loop's segment merge runs over a mix of packed segments (a fresh build, new and
updated documents, an admin topic edit, deletes).
"""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from archive.models import IndexTask, Tag
from archive.search import storage
from archive.search.indexer import drain_queue
from tests.search_helpers import make_article
from tests.test_admin import change_form_data

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple-7"


@pytest.fixture
def boss_client(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    boss = get_user_model().objects.create_superuser("boss", "boss@example.org", PASSWORD)
    client.force_login(boss)
    return client


def run_loop(*args: str) -> str:
    out = StringIO()
    call_command("run_indexer", "--once", *args, stdout=out, stderr=out)
    return out.getvalue()


def live_ids(**filters) -> set[int]:
    """Article ids the live index holds (read with a fresh searcher), optionally by field."""
    storage._reader.clear()
    searcher = storage.get_searcher()
    if not filters:
        return {int(v) for v in searcher.reader().column_reader("id") if v}
    from whoosh.query import And, Term

    query = And([Term(name, value) for name, value in filters.items()])
    return {int(fields["id"]) for fields in searcher.search(query, limit=None)}


def test_loop_merges_segments_after_many_changes_and_an_admin_topic_edit(boss_client):
    rare = Tag.objects.create(name_zh="稀土", name_en="Rare earths", slug="rare-earths")
    first = [make_article(f"稀土第{n}篇", f"包头稀土第{n}号报道。") for n in range(6)]
    drain_queue()  # a fresh build: one segment
    more = [make_article(f"永磁第{n}篇", f"永磁电机第{n}号。") for n in range(6)]
    drain_queue()  # a second segment of new documents
    change_url = reverse("admin:archive_article_change", args=[first[0].pk])
    data = change_form_data(boss_client.get(change_url))
    data["article_tags-0-tag"] = str(rare.pk)
    data["article_tags-0-article"] = str(first[0].pk)
    assert boss_client.post(change_url, data).status_code == 302
    assert list(first[0].tags.values_list("slug", flat=True)) == ["rare-earths"]
    first[1].title = "稀土改题"
    first[1].save()
    more[0].delete()
    assert IndexTask.objects.count() >= 3

    output = run_loop("--optimize-every", "2")

    assert "index: optimized" in output
    assert not IndexTask.objects.exists()
    ix = storage.open_current()
    try:
        assert len(ix._segments()) == 1  # merged into one segment
    finally:
        ix.close()
    expected = {a.pk for a in first + more[1:]}
    assert live_ids() == expected
    assert live_ids(topics="rare-earths") == {first[0].pk}
    from tests.search_helpers import find

    assert find("改题") == [first[1].pk]
    assert sorted(find("永磁")) == sorted(a.pk for a in more[1:])
