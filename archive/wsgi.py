"""WSGI entry point: gunicorn serves ``archive.wsgi:application``.

With ``preload_app`` the master imports this once, so the warm-up below (URL
configuration, views, the segmenter's dictionary, OpenCC) is shared by every
forked worker and a worker's first search does not pay for it. Index files are
opened in the workers, never before the fork.
"""

import os

from django.core.wsgi import get_wsgi_application

from archive import long_lived

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")

application = get_wsgi_application()


def _warm_up() -> None:
    from django.urls import get_resolver

    from archive.text import fold, segment

    get_resolver().resolve("/")  # imports the URL configuration and every view module
    segment(fold("包頭稀土，warm-up"))  # the full-width comma builds the NFKC table


_warm_up()
long_lived.start_serving()  # in the master, before the fork
