"""The editorial admin, driven as an editor would: pages, forms, actions, login."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from archive.editorial import EDITORS_GROUP
from archive.models import (
    Article,
    ArticleTag,
    GlossaryTerm,
    IndexTask,
    Language,
    Source,
    Tag,
    TagExclusion,
    TagOrigin,
)
from archive.search import locks
from archive.search.backends.whoosh import storage
from archive.search.indexer import drain_queue
from tests.factories import make_article, make_tag, topics

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple-7"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hashing at production strength only slows these tests down."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("boss", "boss@example.org", PASSWORD)


@pytest.fixture
def editor():
    call_command("create_editor", "ed", "--noinput", stdout=StringIO())
    return get_user_model().objects.get(username="ed")


@pytest.fixture
def boss_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def changelist_titles(response) -> set[str]:
    return {obj.title for obj in response.context["cl"].result_list}


def change_form_data(response) -> dict:
    """The POST a browser would send for an admin change form, unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            if isinstance(value, list | tuple):
                value = [str(v) for v in value]
            elif not isinstance(value, str):
                value = str(value)
            data[form.add_prefix(name)] = value
    return data


def action(client, url, name, ids, **extra):
    return client.post(
        url, {"action": name, "_selected_action": [str(pk) for pk in ids], "index": 0, **extra}
    )


# --- Article list -------------------------------------------------------------


def test_article_search_finds_traditional_title_by_simplified_words(boss_client):
    make_article("衛生福利部公布長照統計", language=Language.TRADITIONAL)
    make_article("包头稀土产业发展")
    make_article("Rare earth exports rise", language=Language.ENGLISH)
    url = reverse("admin:archive_article_changelist")

    assert changelist_titles(boss_client.get(url, {"q": "卫生福利部"})) == {
        "衛生福利部公布長照統計"
    }
    assert changelist_titles(boss_client.get(url, {"q": "稀土"})) == {"包头稀土产业发展"}
    assert changelist_titles(boss_client.get(url, {"q": "稀土產業"})) == {"包头稀土产业发展"}
    assert changelist_titles(boss_client.get(url, {"q": "RARE exports"})) == {
        "Rare earth exports rise"
    }
    assert changelist_titles(boss_client.get(url, {"q": "exports 稀土"})) == set()


def test_article_filters_topic_language_year_and_quality_notes(boss_client):
    tag = make_tag("economy")
    a = make_article(
        "经济", published_at=timezone.now().replace(year=2023), quality_notes=["mojibake repaired"]
    )
    make_article(
        "English", language=Language.ENGLISH, published_at=timezone.now().replace(year=2024)
    )
    ArticleTag.objects.create(article=a, tag=tag)
    url = reverse("admin:archive_article_changelist")

    assert changelist_titles(boss_client.get(url, {"topic": "economy"})) == {"经济"}
    assert changelist_titles(boss_client.get(url, {"language": "en"})) == {"English"}
    assert changelist_titles(boss_client.get(url, {"year": "2023"})) == {"经济"}
    assert changelist_titles(boss_client.get(url, {"notes": "yes"})) == {"经济"}
    assert changelist_titles(boss_client.get(url, {"notes": "no"})) == {"English"}
    assert changelist_titles(boss_client.get(url, {"year": "x"})) == {"经济", "English"}


def test_article_changelist_shows_topics_without_a_query_per_row(
    boss_client, django_assert_max_num_queries
):
    source = Source.objects.create(name="新华社", slug="xinhua")
    tags = [make_tag(f"t{i}") for i in range(3)]
    url = reverse("admin:archive_article_changelist")

    def page_queries(n: int) -> int:
        for i in range(n):
            article = make_article(f"第{i}篇 of {n}", source=source)
            ArticleTag.objects.bulk_create([ArticleTag(article=article, tag=t) for t in tags])
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = boss_client.get(url)
        assert response.status_code == 200
        return len(captured)

    assert page_queries(2) == page_queries(20)
    assert "t0 / t0, t1 / t1, t2 / t2" in boss_client.get(url).content.decode()


def test_article_change_page_links_to_site_and_keeps_provenance_read_only(boss_client):
    article = make_article("稀土", quality_notes=["encoding: gb18030"], raw_content="<p>稀土</p>")
    response = boss_client.get(reverse("admin:archive_article_change", args=[article.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{article.get_absolute_url()}"' in html
    form = response.context["adminform"].form
    assert "title" in form.fields
    for name in ("raw_content", "quality_notes", "fingerprint", "external_id"):
        assert name not in form.fields
    assert "encoding: gb18030" in html
    assert "&lt;p&gt;稀土&lt;/p&gt;" in html


# --- Topics on an article ------------------------------------------------------


def test_editor_adds_and_removes_topics_in_the_article_form(editor_client):
    article = make_article("稀土")
    auto, other, new = make_tag("auto-topic"), make_tag("other"), make_tag("new-topic")
    ArticleTag.objects.create(article=article, tag=auto, origin=TagOrigin.AUTO)
    ArticleTag.objects.create(article=article, tag=other, origin=TagOrigin.AUTO)
    url = reverse("admin:archive_article_change", args=[article.pk])
    response = editor_client.get(url)
    assert "title" not in response.context["adminform"].form.fields  # editors curate topics only
    data = change_form_data(response)
    rows = {data[f"article_tags-{i}-tag"]: i for i in range(2)}
    data[f"article_tags-{rows[str(auto.pk)]}-DELETE"] = "on"
    data["article_tags-2-tag"] = str(new.pk)
    data["article_tags-2-article"] = str(article.pk)
    IndexTask.objects.all().delete()

    response = editor_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    assert topics(article) == {"other": "auto", "new-topic": "editor"}
    assert list(TagExclusion.objects.values_list("article_id", "tag__slug")) == [
        (article.pk, "auto-topic")
    ]
    assert set(IndexTask.objects.values_list("article_id", flat=True)) == {article.pk}
    inline = editor_client.get(url).content.decode()
    assert "自动" in inline and "editor" in inline  # who assigned each topic

    # Adding the removed topic back lifts the removal.
    data = change_form_data(editor_client.get(url))
    data["article_tags-2-tag"] = str(auto.pk)
    data["article_tags-2-article"] = str(article.pk)
    assert editor_client.post(url, data).status_code == 302
    assert topics(article)["auto-topic"] == "editor"
    assert not TagExclusion.objects.exists()


def test_article_form_refuses_a_merged_alias(boss_client):
    article = make_article("稀土")
    keep, alias = make_tag("keep"), make_tag("alias")
    alias.merged_into = keep
    alias.save()
    url = reverse("admin:archive_article_change", args=[article.pk])
    data = change_form_data(boss_client.get(url))
    data["article_tags-0-tag"] = str(alias.pk)
    data["article_tags-0-article"] = str(article.pk)

    response = boss_client.post(url, data)

    assert response.status_code == 200
    assert "已并入" in response.content.decode()  # "… was merged into …"
    assert topics(article) == {}


def test_topic_autocomplete_offers_current_topics_in_either_script(editor_client):
    make_tag("taiwan", "臺灣", "Taiwan")
    alias = make_tag("tw", "台湾地区", "Taiwan area")
    alias.merged_into = Tag.objects.get(slug="taiwan")
    alias.save()
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {"term": "台湾", "app_label": "archive", "model_name": "articletag", "field_name": "tag"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["臺灣 / Taiwan"]


# --- Bulk actions --------------------------------------------------------------


def test_bulk_add_topic_goes_through_a_page_to_choose_the_topic(editor_client):
    a, b, c = make_article("一"), make_article("二"), make_article("三")
    tag = make_tag("economy")
    url = reverse("admin:archive_article_changelist")

    page = action(editor_client, url, "add_topic_action", [a.pk, b.pk])
    assert page.status_code == 200
    assert page.templates[0].name == "admin/archive/action_form.html"
    assert 'name="_selected_action"' in page.content.decode()

    done = action(editor_client, url, "add_topic_action", [a.pk, b.pk], apply="1", tag=tag.pk)
    assert done.status_code == 302
    assert topics(a) == topics(b) == {"economy": "editor"}
    assert topics(c) == {}


def test_bulk_add_topic_applies_to_all_matching_when_selected_across(editor_client):
    first = make_article("稀土一")
    make_article("稀土二"), make_article("English", language="en")
    tag = make_tag("rare-earths")
    url = reverse("admin:archive_article_changelist") + "?language=zh-Hans"
    ticked = [first.pk]  # the page's ticked rows; "select all" covers the rest

    page = action(editor_client, url, "add_topic_action", ticked, select_across="1")
    assert 'name="select_across" value="1"' in page.content.decode()
    done = action(
        editor_client, url, "add_topic_action", ticked, select_across="1", apply="1", tag=tag.pk
    )

    assert done.status_code == 302
    assert set(tag.articles.values_list("title", flat=True)) == {"稀土一", "稀土二"}


def test_bulk_remove_topic_remembers_removals(editor_client):
    a, b = make_article("一"), make_article("二")
    tag = make_tag("economy")
    ArticleTag.objects.create(article=a, tag=tag, origin=TagOrigin.AUTO)
    ArticleTag.objects.create(article=b, tag=tag, origin=TagOrigin.EDITOR)
    url = reverse("admin:archive_article_changelist")

    bad = action(editor_client, url, "remove_topic_action", [a.pk, b.pk], apply="1", tag="999")
    assert bad.status_code == 200 and topics(a)  # invalid choice: the page again, nothing done

    done = action(editor_client, url, "remove_topic_action", [a.pk, b.pk], apply="1", tag=tag.pk)
    assert done.status_code == 302
    assert topics(a) == topics(b) == {}
    assert TagExclusion.objects.filter(tag=tag).count() == 2


def test_bulk_retag_keeps_editors_decisions(editor_client):
    tag = Tag.objects.create(
        slug="rare-earths", name_zh="稀土", name_en="Rare earths", keywords="稀土"
    )
    manual = make_tag("manual")
    fresh, removed = make_article("包头稀土产业"), make_article("稀土出口")
    ArticleTag.objects.create(article=fresh, tag=manual, origin=TagOrigin.EDITOR)
    TagExclusion.objects.create(article=removed, tag=tag)
    url = reverse("admin:archive_article_changelist")

    done = action(editor_client, url, "retag_action", [fresh.pk, removed.pk])

    assert done.status_code == 302
    assert topics(fresh) == {"rare-earths": "auto", "manual": "editor"}
    assert topics(removed) == {}


def test_editor_sees_the_curation_screens(editor_client):
    response = editor_client.get(reverse("admin:index"))
    models = {m["object_name"] for app in response.context["app_list"] for m in app["models"]}
    assert {"Article", "Tag", "Source", "GlossaryTerm"} <= models
    assert "User" not in models


def test_editor_cannot_delete_articles(editor_client):
    article = make_article("稀土")
    assert (
        editor_client.get(reverse("admin:archive_article_delete", args=[article.pk])).status_code
        == 403
    )
    response = editor_client.get(reverse("admin:archive_article_changelist"))
    assert "delete_selected" not in dict(response.context["action_form"].fields["action"].choices)
    action(
        editor_client,
        reverse("admin:archive_article_changelist"),
        "delete_selected",
        [article.pk],
        post="yes",
    )
    assert Article.objects.filter(pk=article.pk).exists()
    assert editor_client.get(reverse("admin:archive_glossaryterm_add")).status_code == 200
    assert editor_client.get(reverse("admin:archive_tag_add")).status_code == 200


# --- Topics, sources, glossary --------------------------------------------------


def test_tag_changelist_counts_articles(boss_client, django_assert_max_num_queries):
    tags = [make_tag(f"t{i}") for i in range(30)]
    for i in range(5):
        article = make_article(f"a{i}")
        ArticleTag.objects.create(article=article, tag=tags[0])
    with django_assert_max_num_queries(10):
        response = boss_client.get(reverse("admin:archive_tag_changelist"))
    counts = {t.slug: t.article_count for t in response.context["cl"].result_list}
    assert counts["t0"] == 5 and counts["t1"] == 0


def test_tag_form_rejects_a_name_colliding_after_folding(editor_client):
    make_tag("taiwan", "台湾", "Taiwan")
    response = editor_client.post(
        reverse("admin:archive_tag_add"),
        {
            "name_zh": "臺灣",
            "name_en": "Formosa",
            "slug": "formosa",
            "description": "",
            "keywords": "",
        },
    )
    assert response.status_code == 200
    assert "已是主题" in response.content.decode()  # "… is already the name of the topic …"
    assert not Tag.objects.filter(slug="formosa").exists()


def test_tag_merge_action_moves_articles_and_keeps_alias(editor_client):
    keep, dup = make_tag("rare-earths"), make_tag("rare-earth")
    a = make_article("稀土")
    ArticleTag.objects.create(article=a, tag=dup, origin=TagOrigin.AUTO)
    url = reverse("admin:archive_tag_changelist")

    page = action(editor_client, url, "merge_action", [keep.pk, dup.pk])
    assert page.status_code == 200 and 'name="keep"' in page.content.decode()
    done = action(editor_client, url, "merge_action", [keep.pk, dup.pk], apply="1", keep=keep.pk)

    assert done.status_code == 302
    assert topics(a) == {"rare-earths": "auto"}
    dup.refresh_from_db()
    assert dup.merged_into == keep
    kept_page = editor_client.get(reverse("admin:archive_tag_change", args=[keep.pk]))
    assert "rare-earth / rare-earth" in kept_page.content.decode()  # listed as an alias


def test_tag_rename_action_validates_and_renames(editor_client):
    tag = make_tag("economy", "经济", "Economy")
    make_tag("taiwan", "台湾", "Taiwan")
    url = reverse("admin:archive_tag_changelist")

    clash = action(
        editor_client,
        url,
        "rename_action",
        [tag.pk],
        apply="1",
        name_zh="臺灣",
        name_en="X",
        slug="economy",
    )
    assert clash.status_code == 200 and "已是主题" in clash.content.decode()
    done = action(
        editor_client,
        url,
        "rename_action",
        [tag.pk],
        apply="1",
        name_zh="经济发展",
        name_en="Economic development",
        slug="economy",
    )
    assert done.status_code == 302
    tag.refresh_from_db()
    assert (tag.name_zh, tag.name_en) == ("经济发展", "Economic development")


def test_source_merge_action_moves_articles(editor_client):
    keep = Source.objects.create(name="新华社", slug="xinhua")
    dup = Source.objects.create(name="新華社", slug="xinhua-tw")
    a = make_article("稀土", source=dup)
    url = reverse("admin:archive_source_changelist")

    done = action(editor_client, url, "merge_action", [keep.pk, dup.pk], apply="1", keep=keep.pk)

    assert done.status_code == 302
    a.refresh_from_db()
    assert a.source == keep
    dup.refresh_from_db()
    assert dup.merged_into == keep


def test_glossary_form_validates_terms(editor_client):
    GlossaryTerm.objects.all().delete()  # the starting pairs from the data migration
    url = reverse("admin:archive_glossaryterm_add")
    bad = editor_client.post(url, {"zh": "rare earth", "en": "稀土", "note": ""})
    assert bad.status_code == 200
    assert not GlossaryTerm.objects.exists()
    good = editor_client.post(url, {"zh": " 稀土 ", "en": "rare earths", "note": ""})
    assert good.status_code == 302
    assert GlossaryTerm.objects.get().zh == "稀土"


def test_names_with_markup_are_escaped_in_changelists(boss_client):
    source = Source.objects.create(name='"><img src=x onerror=alert(1)>', slug="evil")
    tag = make_tag("evil", "<script>alert(1)</script>", "<b>bold</b>")
    article = make_article("<script>alert(2)</script>", source=source)
    ArticleTag.objects.create(article=article, tag=tag)
    for name in ("article", "tag", "source"):
        html = boss_client.get(reverse(f"admin:archive_{name}_changelist")).content.decode()
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "<b>bold" not in html
    html = boss_client.get(reverse("admin:archive_article_changelist")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_tag_change_without_a_valid_csrf_token_is_refused(superuser):
    tag = make_tag("economy", "经济", "Economy")
    client, stranger = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    stranger.force_login(superuser)
    url = reverse("admin:archive_tag_change", args=[tag.pk])
    data = {
        "name_zh": "改",
        "name_en": "Changed",
        "slug": "economy",
        "description": "",
        "keywords": "",
    }

    assert client.post(url, data).status_code == 403
    client.get(url)  # the client has its own CSRF cookie now
    theirs = str(stranger.get(url).context["csrf_token"])
    assert client.post(url, {**data, "csrfmiddlewaretoken": theirs}).status_code == 403
    token = str(client.get(url).context["csrf_token"])
    evil = client.post(
        url,
        {**data, "csrfmiddlewaretoken": token},
        secure=True,
        headers={"Origin": "https://evil.example"},
    )
    assert evil.status_code == 403
    tag.refresh_from_db()
    assert tag.name_en == "Economy"

    assert client.post(url, {**data, "csrfmiddlewaretoken": token}).status_code == 302
    tag.refresh_from_db()
    assert tag.name_en == "Changed"


def test_failed_merge_changes_nothing_and_queues_nothing():
    from django.db import transaction

    from archive import editorial

    keep, dup = make_tag("keep"), make_tag("dup")
    a = make_article("稀土")
    ArticleTag.objects.create(article=a, tag=dup)
    IndexTask.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        editorial.merge_tags(keep=keep, merge=[dup])
        raise RuntimeError("a later step of the same request fails")
    assert topics(a) == {"dup": "auto"}
    assert not IndexTask.objects.exists()


def test_admin_edit_only_queues_while_the_index_is_locked(editor_client):
    tag = make_tag("economy")
    a = make_article("经济")
    drain_queue()
    IndexTask.objects.all().delete()
    live = storage.open_current()
    whoosh_writer = live.writer()  # Whoosh's own lock on the live index...
    try:
        with locks.writer_lock():  # ...and ours, as a long rebuild holds both
            url = reverse("admin:archive_article_changelist")
            done = action(editor_client, url, "add_topic_action", [a.pk], apply="1", tag=tag.pk)
            assert done.status_code == 302
            assert list(IndexTask.objects.values_list("article_id", flat=True)) == [a.pk]
            assert _search(editor_client, topic="economy")["total"] == 0  # not applied yet
    finally:
        whoosh_writer.cancel()
        live.close()
    drain_queue()
    assert [r["id"] for r in _search(editor_client, topic="economy")["results"]] == [a.pk]


# --- Accounts -------------------------------------------------------------------


def test_create_editor_makes_a_staff_member_of_editors(monkeypatch):
    monkeypatch.setenv("ARCHIVE_EDITOR_PASSWORD", PASSWORD)
    out = StringIO()
    call_command("create_editor", "wang", "--email", "wang@example.org", "--noinput", stdout=out)
    user = get_user_model().objects.get(username="wang")
    assert user.is_staff and not user.is_superuser
    assert user.check_password(PASSWORD)
    assert list(user.groups.values_list("name", flat=True)) == [EDITORS_GROUP]
    assert user.has_perm("archive.change_tag") and not user.has_perm("archive.delete_article")
    call_command("create_editor", "wang", "--noinput", stdout=out)  # again: updated, not doubled
    assert get_user_model().objects.filter(username="wang").count() == 1
    assert "Updated editor" in out.getvalue()


def test_create_editor_rejects_a_weak_password(monkeypatch):
    from django.core.management.base import CommandError

    monkeypatch.setenv("ARCHIVE_EDITOR_PASSWORD", "123")
    with pytest.raises(CommandError):
        call_command("create_editor", "weak", "--noinput", stdout=StringIO())
    assert not get_user_model().objects.filter(username="weak").exists()


def _login(client, username, password):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )


def test_login_locks_out_after_repeated_failures(client, superuser, settings, caplog):
    from axes.models import AccessAttempt

    caplog.set_level("WARNING", logger="axes")

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login(client, "boss", "wrong")
        assert response.status_code == 200  # the form again, with an error
    unknown = _login(Client(), "nobody", "wrong")
    assert unknown.status_code == 200
    assert unknown.context["form"].errors == response.context["form"].errors  # no user probing

    locked = _login(client, "boss", "wrong")
    assert locked.status_code == 429
    assert _login(client, "boss", PASSWORD).status_code == 429  # even the right password
    assert "_auth_user_id" not in client.session
    # Each failure is recorded (admin: Axes → access attempts) with user and IP, no password;
    # the log says so too, with user and IP masked (axes' AXES_SENSITIVE_PARAMETERS).
    attempt = AccessAttempt.objects.get(username="boss")
    assert (attempt.ip_address, attempt.failures_since_start) == ("127.0.0.1", 6)
    assert PASSWORD not in str(list(AccessAttempt.objects.values()))
    assert "wrong" not in attempt.post_data
    assert "AXES: Locking out" in caplog.text
    assert "login failure" in caplog.text and PASSWORD not in caplog.text

    # After the cool-off the right password works again.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    )
    assert _login(client, "boss", PASSWORD).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


# --- What search and a reload make of editors' work ---------------------------------


def _drain() -> None:
    drain_queue()


def _search(client, **params) -> dict:
    response = client.get("/api/search", params)
    assert response.status_code == 200, response.content
    return response.json()


def _facet(data: dict, name: str) -> dict[str, int]:
    return {f["value"]: f["count"] for f in data["facets"][name]}


def test_admin_edits_reach_search_results_and_facets(editor_client):
    _drain()
    source = Source.objects.create(name="South China Morning Post", slug="scmp")
    economy, trade = make_tag("economy", "经济", "Economy"), make_tag("trade", "贸易", "Trade")
    commerce = make_tag("commerce", "商业", "Commerce")
    a = make_article("包头稀土产业", source=source)
    b = make_article("Rare earth exports rise", language=Language.ENGLISH, source=source)
    c = make_article("衛生福利部公布統計", language=Language.TRADITIONAL, source=source)
    for article, tag in [(a, economy), (b, economy), (c, commerce)]:
        ArticleTag.objects.create(article=article, tag=tag, origin=TagOrigin.AUTO)
    _drain()
    assert _facet(_search(editor_client), "topic") == {"economy": 2, "commerce": 1}

    # Remove "economy" from a in its form; add "trade" to a and b; merge commerce into trade.
    url = reverse("admin:archive_article_change", args=[a.pk])
    data = change_form_data(editor_client.get(url))
    data["article_tags-0-DELETE"] = "on"
    assert editor_client.post(url, data).status_code == 302
    changelist = reverse("admin:archive_article_changelist")
    action(editor_client, changelist, "add_topic_action", [a.pk, b.pk], apply="1", tag=trade.pk)
    tags = reverse("admin:archive_tag_changelist")
    action(editor_client, tags, "merge_action", [trade.pk, commerce.pk], apply="1", keep=trade.pk)
    rename = reverse("admin:archive_source_change", args=[source.pk])
    editor_client.post(rename, {"name": "SCMP Media", "name_en": "", "slug": "scmp"})
    _drain()

    assert not IndexTask.objects.exists()
    everything = _search(editor_client)
    assert _facet(everything, "topic") == {"economy": 1, "trade": 3}
    assert _facet(everything, "source") == {"scmp": 3}
    assert {r["source"]["name"] for r in everything["results"]} == {"SCMP Media"}
    found = _search(editor_client, topic="trade")
    assert found["total"] == 3
    assert _search(editor_client, topic="commerce")["total"] == 0
    assert [r["id"] for r in _search(editor_client, topic="economy")["results"]] == [b.pk]


def test_editors_decisions_survive_a_reload_of_the_seeds(editor_client):
    from archive.ingest import topics as topics_module

    out = StringIO()
    call_command("load_seeds", stdout=out)
    articles = list(Article.objects.order_by("pk"))
    assert articles, out.getvalue()
    tagged = [a for a in articles if a.article_tags.filter(origin=TagOrigin.AUTO).exists()]
    assert tagged, "the seeds get automatic topics"
    article = tagged[0]
    removed = article.article_tags.filter(origin=TagOrigin.AUTO).first().tag
    added = Tag.objects.create(slug="editors-pick", name_zh="编辑推荐", name_en="Editors' pick")
    keep = Tag.objects.create(slug="kept-topic", name_zh="保留主题", name_en="Kept topic")
    merged = next(
        (
            row.tag
            for a in tagged
            for row in a.article_tags.exclude(tag=removed)
            if row.origin == TagOrigin.AUTO
        ),
        None,
    )
    old_source = article.source
    assert merged is not None and old_source is not None, "seeds with several topics and a source"
    changelist = reverse("admin:archive_article_changelist")
    action(
        editor_client, changelist, "remove_topic_action", [article.pk], apply="1", tag=removed.pk
    )
    action(editor_client, changelist, "add_topic_action", [article.pk], apply="1", tag=added.pk)
    tags = reverse("admin:archive_tag_changelist")
    action(editor_client, tags, "merge_action", [keep.pk, merged.pk], apply="1", keep=keep.pk)
    source_keep = Source.objects.create(name="Kept source", slug="kept-source")
    sources = reverse("admin:archive_source_changelist")
    action(
        editor_client,
        sources,
        "merge_action",
        [source_keep.pk, old_source.pk],
        apply="1",
        keep=source_keep.pk,
    )

    def check() -> None:
        article.refresh_from_db()
        assert Article.objects.count() == len(articles)
        assert topics(article).get(added.slug) == "editor"
        assert removed.slug not in topics(article)
        assert not ArticleTag.objects.filter(tag=merged).exists()
        assert ArticleTag.objects.filter(tag=keep).exists()
        assert article.source == source_keep

    check()
    call_command("load_seeds", stdout=StringIO())
    check()
    topics_module.apply_auto_topics(Article.objects.all())  # tagging rules run again
    check()

    _drain()
    assert article.pk in [r["id"] for r in _search(editor_client, topic=added.slug)["results"]]
    assert article.pk not in [
        r["id"] for r in _search(editor_client, topic=removed.slug)["results"]
    ]
    assert _search(editor_client, topic=merged.slug)["total"] == 0
    assert _search(editor_client, topic=keep.slug)["total"] >= 1
    assert article.pk in [r["id"] for r in _search(editor_client, source="kept-source")["results"]]
