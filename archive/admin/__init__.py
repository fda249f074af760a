"""Editorial screens: articles, topics, sources, glossary, the index queue.

The admin only saves models: signals and ``archive.editorial`` queue index
updates, and the indexer process applies them.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from archive.admin import articles, queue, vocabulary  # noqa: F401  (registers the screens)

admin.site.site_header = _("News archive")
admin.site.site_title = _("News archive admin")
