"""Production: no default for secrets; refuse to start without them."""

from animesite.settings.base import *  # noqa: F403
from animesite.settings.base import env_list, env_str

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if SECRET_KEY.startswith("local-dev"):
    raise RuntimeError("DJANGO_SECRET_KEY must be set to a real secret in production")
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
