from animesite.settings.base import *  # noqa: F403
from animesite.settings.base import env_bool, env_str

DEBUG = env_bool("DJANGO_DEBUG", True)

# The local search server is an emulator that needs more than production's short timeout.
SEARCH_TIMEOUT_SECONDS = float(env_str("SEARCH_TIMEOUT_SECONDS", "6"))
