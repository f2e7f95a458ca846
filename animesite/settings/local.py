from animesite.settings.base import *  # noqa: F403
from animesite.settings.base import env_bool, env_float

DEBUG = env_bool("DJANGO_DEBUG", True)

# The local search server is an emulator that needs more than production's short timeout.
SEARCH_TIMEOUT_SECONDS = env_float("SEARCH_TIMEOUT_SECONDS", 6.0)
