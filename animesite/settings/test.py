"""Tests talk to the real MariaDB, Redis and search server; only names are kept apart."""

from animesite.settings.base import *  # noqa: F403
from animesite.settings.base import CACHES, ELASTICSEARCH_INDEX_PREFIX, REST_FRAMEWORK, env_float, env_str

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES["default"]["KEY_PREFIX"] = "animesite-test"
ELASTICSEARCH_INDEX_PREFIX = env_str("ELASTICSEARCH_INDEX_PREFIX", f"{ELASTICSEARCH_INDEX_PREFIX}-test")
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "cache+memory://"
REDIS_URL = env_str("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CACHES["default"]["LOCATION"] = REDIS_URL
MODELS_DIR = env_str("TEST_MODELS_DIR", "var/test-models")
REST_FRAMEWORK = {**REST_FRAMEWORK}
# The search emulator can take seconds per query on a busy 2-core machine; tests that need a real
# answer wait for it, and the degraded-path tests set their own short timeout.
SEARCH_TIMEOUT_SECONDS = env_float("SEARCH_TIMEOUT_SECONDS", 30.0)
