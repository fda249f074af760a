"""Every change a search document shows queues its articles; nothing else does."""

import pytest
from django.db import transaction

from archive.models import Article, ArticleTag, IndexTask, Source, Tag
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def queued() -> list[int]:
    ids = list(IndexTask.objects.values_list("article_id", flat=True))
    IndexTask.objects.all().delete()
    return sorted(ids)


def test_saving_and_deleting_an_article_queue_it():
    article = make_article("稀土", "包头。")
    assert queued() == [article.pk]
    article.title = "稀土价格"
    article.save()
    assert queued() == [article.pk]
    pk = article.pk
    article.delete()
    assert queued() == [pk]  # the indexer removes what the database no longer has


def test_topic_assignments_and_renames_queue_the_articles_that_show_them():
    tag = Tag.objects.create(name_zh="稀土", name_en="Rare earths", slug="rare-earths")
    tagged, other = make_article("一", "一。"), make_article("二", "二。")
    queued()
    link = ArticleTag.objects.create(article=tagged, tag=tag)
    assert queued() == [tagged.pk]
    tag.name_en = "Rare-earth elements"
    tag.save()
    assert queued() == [tagged.pk]
    link.delete()
    assert queued() == [tagged.pk]
    assert other.pk not in queued()


def test_a_source_rename_queues_its_articles_and_a_new_source_queues_nothing():
    source = Source.objects.create(name="新华社", slug="xinhua")
    assert queued() == []
    mine = make_article("稀土", "包头。", source=source)
    make_article("别的", "别的。")
    queued()
    source.name = "新华通讯社"
    source.save()
    assert queued() == [mine.pk]


def test_a_rolled_back_change_queues_nothing():
    article = make_article("稀土", "包头。")
    queued()
    with pytest.raises(RuntimeError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(title="x")
        article.save()
        raise RuntimeError("rolled back")
    assert queued() == []
