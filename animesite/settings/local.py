"""What `make run` serves on this machine: DEBUG stays off unless ``DJANGO_DEBUG`` turns it on
(`make dev`); the secret key is this installation's own (see ``animesite.env.install_secret_key``)."""

from animesite.settings.base import *  # noqa: F403
from animesite.settings.base import env_float, env_int

# The local search server is an emulator that needs more than production's short timeout.
SEARCH_TIMEOUT_SECONDS = env_float("SEARCH_TIMEOUT_SECONDS", 6.0)
# It also answers one search at a time: more requests in flight only queue inside it, where their
# timeouts run and nobody can tell who waited longest. One per web process, and up to 6 others
# wait here, in arrival order, for up to 4 s (catalog.search.client.EngineGate; measured in
# catalog/search/README.md, "Performance").
SEARCH_MAX_CONCURRENCY = env_int("SEARCH_MAX_CONCURRENCY", 1)
SEARCH_QUEUE_SECONDS = env_float("SEARCH_QUEUE_SECONDS", 4.0)
SEARCH_MAX_WAITING = env_int("SEARCH_MAX_WAITING", 6)
