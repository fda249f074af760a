"""Settings for the news archive, configured from the environment.

Local defaults: SQLite and the Whoosh index live under ``var/``. Debug is off
unless ``DJANGO_DEBUG=1`` asks for it, and then only does a missing
``DJANGO_SECRET_KEY`` fall back to a development key. Production sets
``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS`` and, behind TLS, ``DJANGO_HTTPS=1``.
Every variable is listed in README.md.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no environment variable (1/0, true/false, yes/no, on/off)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ARCHIVE_VAR_DIR", BASE_DIR / "var"))

# Fail closed: debug pages only when asked for.
DEBUG = env_bool("DJANGO_DEBUG", default=False)
# pytest-django imports these settings before any conftest could set the
# environment, and a test run signs nothing that outlives it.
TESTING = "pytest" in sys.modules

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. The site needs a secret key unless DJANGO_DEBUG=1: "
            "set DJANGO_SECRET_KEY to a long random string (README.md, 'Environment')."
        )
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "archive",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "haystack",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "archive.web.request_limits.RequestLineLimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "archive.urls"
WSGI_APPLICATION = "archive.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "archive.web.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'archive.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # One writer at a time without "database is locked": wait, and take the
    # write lock when a transaction starts rather than on its first write.
    # Connections persist (conn_max_age above): opening one and setting its
    # pragmas costs more than serving a cached page.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Search index ---------------------------------------------------------------
ARCHIVE_INDEX_DIR = Path(os.environ.get("ARCHIVE_INDEX_DIR", VAR_DIR / "index"))
# The search engine, chosen by ARCHIVE_SEARCH_ENGINE: haystack's connection names
# our engine class, and the whole site (pages, API, feeds, the indexer, haystack's
# SearchQuerySet and commands) uses the backend behind it (archive.search.backend).
SEARCH_ENGINES = {
    "whoosh": "archive.search.backends.whoosh.engine.WhooshEngine",  # embedded, the default
    "opensearch": "archive.search.backends.opensearch.engine.OpenSearchEngine",  # a cluster
}
ARCHIVE_SEARCH_ENGINE = os.environ.get("ARCHIVE_SEARCH_ENGINE", "whoosh")
if ARCHIVE_SEARCH_ENGINE not in SEARCH_ENGINES:
    raise ImproperlyConfigured(
        f"ARCHIVE_SEARCH_ENGINE={ARCHIVE_SEARCH_ENGINE!r} is not one of "
        f"{', '.join(sorted(SEARCH_ENGINES))} (README.md, 'Environment')."
    )
HAYSTACK_CONNECTIONS = {
    "default": {
        "ENGINE": SEARCH_ENGINES[ARCHIVE_SEARCH_ENGINE],
        "PATH": str(ARCHIVE_INDEX_DIR),
    }
}
# The OpenSearch engine: every node the client may ask, the prefix of its index and
# alias names (several sites can share a cluster), and a new index's shards and replicas.
OPENSEARCH_HOSTS = env_list("OPENSEARCH_HOSTS", "http://127.0.0.1:9200,http://127.0.0.1:9201")
OPENSEARCH_INDEX_PREFIX = os.environ.get("OPENSEARCH_INDEX_PREFIX", "archive")
OPENSEARCH_SHARDS = int(os.environ.get("OPENSEARCH_SHARDS", "2"))
OPENSEARCH_REPLICAS = int(os.environ.get("OPENSEARCH_REPLICAS", "1"))
OPENSEARCH_TIMEOUT = float(os.environ.get("OPENSEARCH_TIMEOUT", "10"))
# Web processes never write the index: model signals only queue work
# (archive.search.signals) and one indexer process drains the queue.
HAYSTACK_SIGNAL_PROCESSOR = "haystack.signals.BaseSignalProcessor"
HAYSTACK_LIMIT_TO_REGISTERED_MODELS = False
# /healthz answers 503 when the oldest queued index change is older than this
# (seconds), or when no run_indexer loop holds the index folder's running lock.
ARCHIVE_INDEX_TASK_MAX_AGE = int(os.environ.get("ARCHIVE_INDEX_TASK_MAX_AGE", "60"))

# --- Auth and admin protection ------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", default=False)


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind our proxy the one it reports.

    Only with ``DJANGO_BEHIND_PROXY=1`` is ``X-Forwarded-For`` read, and then only
    its last entry, the one our proxy (deploy/nginx) wrote: anything a client
    sends in that header comes before it. Without the flag a client cannot pose
    as many addresses to escape the lock-out below.
    """
    from django.conf import settings

    remote = request.META.get("REMOTE_ADDR")
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        return forwarded or remote
    return remote


def login_lockout_parameters(request_or_attempt, credentials=None) -> list:
    """What axes counts failed logins by: user name and address, or the address alone.

    Axes compares one failure limit with its counts, so the limit per address
    (``ARCHIVE_LOGIN_ADDRESS_FAILURE_LIMIT``, failures across any user names) is
    applied here: below it, a user name is locked from this address after
    ``AXES_FAILURE_LIMIT`` failures; from it on, the address is locked for all names.
    """
    from axes.helpers import get_client_ip_address
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.db.models import Sum
    from django.utils import timezone

    address = getattr(request_or_attempt, "axes_ip_address", None) or (
        request_or_attempt.ip_address
        if isinstance(request_or_attempt, AccessAttempt)
        else get_client_ip_address(request_or_attempt)
    )
    failures = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
    ).aggregate(total=Sum("failures_since_start"))["total"]
    if (failures or 0) >= settings.ARCHIVE_LOGIN_ADDRESS_FAILURE_LIMIT:
        return ["ip_address"]
    return [["username", "ip_address"]]


AXES_FAILURE_LIMIT = int(os.environ.get("ARCHIVE_LOGIN_FAILURE_LIMIT", "5"))
ARCHIVE_LOGIN_ADDRESS_FAILURE_LIMIT = int(
    os.environ.get("ARCHIVE_LOGIN_ADDRESS_FAILURE_LIMIT", "20")
)
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("ARCHIVE_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = login_lockout_parameters
AXES_CLIENT_IP_CALLABLE = client_address
AXES_RESET_ON_SUCCESS = True
# Sessions exist only for signed-in staff (the public site stores none): each
# request they make restarts the clock, and idle ones end after the timeout.
SESSION_COOKIE_AGE = 60 * int(os.environ.get("ARCHIVE_ADMIN_IDLE_MINUTES", "30"))
SESSION_SAVE_EVERY_REQUEST = True

# --- Internationalization -------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "archive" / "locale"]
TIME_ZONE = os.environ.get("ARCHIVE_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "archive",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
    # Rendered pages, shared by all web workers and kept across their restarts.
    "pages": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("ARCHIVE_PAGE_CACHE_DIR", str(VAR_DIR / "cache" / "pages")),
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 10000},
    },
}

# --- Security headers -----------------------------------------------------------
HTTPS = env_bool("DJANGO_HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True  # only the server reads it
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Archive behaviour --------------------------------------------------------------
# Largest article file the loader accepts, in bytes (bigger files are skipped).
ARCHIVE_MAX_FILE_BYTES = int(os.environ.get("ARCHIVE_MAX_FILE_BYTES", str(5 * 1024 * 1024)))
# The most one .gz file may decompress to before its import stops (a gzip bomb).
ARCHIVE_MAX_UNPACKED_BYTES = int(os.environ.get("ARCHIVE_MAX_UNPACKED_BYTES", str(1024**3)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "jieba": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
