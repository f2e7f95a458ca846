"""Settings shared by every environment. Addresses and secrets come from ``animesite.env``."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from animesite.env import (
    BASE_DIR,
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    install_secret_key,
    secret_key_problem,
)
from animesite.redis import CACHE_CONNECTION_OPTIONS

# From the environment when it is a real secret, else this installation's own generated key
# (``var/secret_key``); production settings accept only the former.
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if secret_key_problem(SECRET_KEY) is not None:
    SECRET_KEY = install_secret_key()
# Off unless asked for (`make dev`): a traceback page would show settings and local variables.
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_celery_beat",
    "django_elasticsearch_dsl",
    "accounts",
    "activity",
    "catalog",
    "favorites",
    "rankings",
    "recsys",
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
    # Innermost: sees the view's answer (a 503 for an unreachable database) with the user known.
    "animesite.middleware.StaleIfDatabaseDownMiddleware",
]
# A signed-in visitor's stored answers on these paths are keyed by this state token as well (see
# animesite.middleware): their answers follow the user's collection and "not interested" list.
STALE_STATE_TOKEN = "activity.state.user_state_token_for"
STALE_STATE_PATHS = ("/api/recommendations/", "/api/collection/", "/api/home/")

ROOT_URLCONF = "animesite.urls"
WSGI_APPLICATION = "animesite.wsgi.application"

FRONTEND_DIST = BASE_DIR / "frontend" / "dist"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "animesite" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", "mysql://animesite:animesite@127.0.0.1:3306/animesite")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Sessions resolve their user from the cache (``accounts.backends``); passwords are checked in the
# database as usual.
AUTHENTICATION_BACKENDS = ["accounts.backends.CachedModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.NotOnlyWhitespaceValidator"},
    {"NAME": "accounts.validators.CharacterVarietyValidator", "OPTIONS": {"min_unique": 5}},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [p for p in [FRONTEND_DIST] if p.is_dir()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Redis: cache, Celery broker, online feature store ---------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "animesite"),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
            # A cache outage degrades to cache misses instead of errors.
            "IGNORE_EXCEPTIONS": True,
            # No retries, and a short fail-fast pause after a timeout (animesite.redis).
            **CACHE_CONNECTION_OPTIONS,
        },
    }
}
# Login and registration throttles: the same Redis, but errors are raised so that the throttle
# falls back to a per-process counter instead of silently allowing everything.
CACHES["throttle"] = {
    **CACHES["default"],
    "OPTIONS": {**CACHES["default"]["OPTIONS"], "IGNORE_EXCEPTIONS": False},
}
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Celery --------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/1")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/2")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"recsys.tasks.train_recsys_task": {"queue": "training"}}
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A hung broker must hold neither a request nor the worker: a publish gives up after the socket
# timeout (an import is then refused with 503, never left pending), and the worker drops a
# silent BRPOP connection within brpop timeout + 2 health checks (about 11 s) and reconnects.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 3,
    "socket_connect_timeout": 2,
    "socket_keepalive": True,
    "health_check_interval": 5,
}
CELERY_REDIS_SOCKET_TIMEOUT = 3
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
# Seeded into django-celery-beat by `manage.py setup_schedules`; operators edit them in the admin
# (kept out of CELERY_BEAT_SCHEDULE, which the database scheduler would re-apply on every start).
PERIODIC_TASK_DEFAULTS = {
    "nightly-retrain": {
        "task": "recsys.tasks.train_recsys_task",
        "schedule": crontab(hour=3, minute=30),
        "options": {"queue": "training"},
    },
    "rankings-refresh": {
        "task": "rankings.tasks.rankings_refresh_task",
        "schedule": 10 * 60,
        "options": {"queue": "default", "expires": 9 * 60},
    },
    "mal-imports-requeue": {
        "task": "favorites.tasks.mal_imports_requeue_task",
        "schedule": 5 * 60,
        "options": {"queue": "default", "expires": 4 * 60},
    },
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# --- Search -----------------------------------------------------------------------------
ELASTICSEARCH_URL = env_str("ELASTICSEARCH_URL", "http://127.0.0.1:9200")
ELASTICSEARCH_INDEX_PREFIX = env_str("ELASTICSEARCH_INDEX_PREFIX", "animesite")
ELASTICSEARCH_DSL = {
    "default": {"hosts": ELASTICSEARCH_URL, "request_timeout": 2, "max_retries": 0},
}
# Index updates go through a Celery task after commit, never inside the request.
ELASTICSEARCH_DSL_AUTOSYNC = False
ELASTICSEARCH_DSL_AUTO_REFRESH = False
# User-facing searches give up after this and answer from the database ("degraded": true).
SEARCH_TIMEOUT_SECONDS = env_float("SEARCH_TIMEOUT_SECONDS", 1.5)
# Engine requests in flight per web process; a request waits this long for a slot, and a failed or
# timed-out engine is skipped this long before one request probes it (catalog.search.client).
SEARCH_MAX_CONCURRENCY = env_int("SEARCH_MAX_CONCURRENCY", 3)
SEARCH_QUEUE_SECONDS = env_float("SEARCH_QUEUE_SECONDS", 1.0)
SEARCH_BREAKER_SECONDS = env_float("SEARCH_BREAKER_SECONDS", 2.0)
# Searches waiting for a slot per process (in arrival order); more answer from the database at once,
# so waiting searches never hold every thread of a web worker.
SEARCH_MAX_WAITING = env_int("SEARCH_MAX_WAITING", 4)
# Search answers (hit ids, counts, facets) are reused for this long within one catalogue generation.
SEARCH_CACHE_SECONDS = env_int("SEARCH_CACHE_SECONDS", 600)
# Titles are matched in the web process and sent to the engine as ids (catalog.search.titles);
# false: the engine matches them with its own text clauses (for comparisons).
SEARCH_TITLE_STAGE = env_bool("SEARCH_TITLE_STAGE", True)
# Bulk loads and index writes from Celery tasks and commands.
SEARCH_INDEXING_TIMEOUT_SECONDS = 120

# --- Spark, data, models -----------------------------------------------------------------
SPARK_MASTER = env_str("SPARK_MASTER", "local[2]")
# The recommender's item graphs: with a local master, fewer positive rows than this are built in
# the training process (the same edges, tested; about 4 s and 265 MB per 0.5 M rows, where the
# Spark job takes a minute), more by the Spark job; a cluster master always runs the Spark job.
SPARK_GRAPH_MIN_ROWS = env_int("SPARK_GRAPH_MIN_ROWS", 2_000_000)
# Size of the catalogue ETL's Spark session (raise both on a cluster).
SPARK_SHUFFLE_PARTITIONS = env_int("SPARK_SHUFFLE_PARTITIONS", 4)
SPARK_DRIVER_MEMORY = env_str("SPARK_DRIVER_MEMORY", "1g")
DATA_DIR = env_str("DATA_DIR", str(BASE_DIR.parent / "shared" / "data" / "anime"))
ETL_OUTPUT_DIR = env_str("ETL_OUTPUT_DIR", str(BASE_DIR / "var" / "etl"))
# The data load (``manage.py load_catalog``) runs these steps in order, each writing its own app's
# rows through that app's services: the catalogue first (it resolves MyAnimeList ids), then the
# data-set users and their lists.
DATA_LOAD_STEPS = (
    "catalog.loading.catalogue.catalogue_load",
    "favorites.loading.dataset_lists_load",
)
# Paths or URIs (file://, hdfs://, s3://): recsys/registry/storage.py, README "Scale".
MODELS_DIR = env_str("MODELS_DIR", str(BASE_DIR / "var" / "models"))
MODELS_CACHE_DIR = env_str("MODELS_CACHE_DIR", str(BASE_DIR / "var" / "model-cache"))

# --- REST framework --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "animesite.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "animesite.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Proxies in front of the site that append to X-Forwarded-For; 0 = use the socket address
    # (a client cannot choose its own address for the login and registration throttles).
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "animesite.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login_ip": env_str("LOGIN_THROTTLE_IP", "30/min"),
        "login_username": env_str("LOGIN_THROTTLE_USERNAME", "5/min"),
        "register": env_str("REGISTER_THROTTLE", "20/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Anime recommendation site API",
    "DESCRIPTION": "Catalogue, search, recommendations, collection and rankings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "animesite.openapi.add_error_responses",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"cache_errors": {"()": "animesite.redis.CacheErrorLogFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "cache_errors": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["cache_errors"]},
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        # Errors the cache ignores (Redis down): one line a second, no traceback.
        "django_redis": {"handlers": ["cache_errors"], "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "elastic_transport": {"level": "WARNING"},
        "py4j": {"level": "WARNING"},
    },
}

SERVE_PORT = env_int("PORT", 8000)
