from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "News archive"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from archive.search import signals  # noqa: F401  (connects index-queue signals)
