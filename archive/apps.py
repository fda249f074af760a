from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "News archive"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from archive import editorial
        from archive.search import signals  # noqa: F401  (connects index-queue signals)

        post_migrate.connect(
            editorial.editors_group_after_migrate, sender=self, dispatch_uid="archive_editors_group"
        )
