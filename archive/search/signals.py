"""Queue index work whenever something a search document shows changes.

Saving or deleting an article, adding or removing a topic of one (the ArticleTag
through model), and renaming a topic or a source (which changes every document
that shows it) queue the articles concerned; the indexer applies the queue.
haystack's own signal processor stays the do-nothing ``BaseSignalProcessor``:
web processes never write the index.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from archive.models import Article, ArticleTag, Source, Tag
from archive.search.queue import enqueue


@receiver(post_save, sender=Article, dispatch_uid="index_article_saved")
def article_saved(sender, instance: Article, raw: bool = False, **kwargs) -> None:
    if not raw:
        enqueue([instance.pk])


@receiver(post_delete, sender=Article, dispatch_uid="index_article_deleted")
def article_deleted(sender, instance: Article, **kwargs) -> None:
    enqueue([instance.pk])


@receiver(post_save, sender=ArticleTag, dispatch_uid="index_articletag_saved")
@receiver(post_delete, sender=ArticleTag, dispatch_uid="index_articletag_deleted")
def article_tag_changed(sender, instance: ArticleTag, raw: bool = False, **kwargs) -> None:
    if not raw:
        enqueue([instance.article_id])


@receiver(post_save, sender=Tag, dispatch_uid="index_tag_saved")
def tag_saved(sender, instance: Tag, created: bool, raw: bool = False, **kwargs) -> None:
    if not raw and not created:
        enqueue(instance.article_tags.values_list("article_id", flat=True))


@receiver(post_save, sender=Source, dispatch_uid="index_source_saved")
def source_saved(sender, instance: Source, created: bool, raw: bool = False, **kwargs) -> None:
    if not raw and not created:
        enqueue(instance.articles.values_list("pk", flat=True))
