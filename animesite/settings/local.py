"""What `make run` serves on this machine: DEBUG stays off unless ``DJANGO_DEBUG`` turns it on
(`make dev`); the secret key is this installation's own (see ``animesite.env.install_secret_key``)."""

from animesite.settings.base import *  # noqa: F403
from animesite.settings.base import env_float

# The local search server is an emulator that needs more than production's short timeout.
SEARCH_TIMEOUT_SECONDS = env_float("SEARCH_TIMEOUT_SECONDS", 6.0)
