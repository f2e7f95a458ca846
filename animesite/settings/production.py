"""Production: no default for secrets or hosts; refuse to start without them.

HTTPS: the site expects to sit behind a TLS-terminating proxy that sets ``X-Forwarded-Proto``.
``DJANGO_SECURE_SSL_REDIRECT`` (default on) redirects plain HTTP to HTTPS and
``DJANGO_SECURE_HSTS_SECONDS`` (default one year) sends Strict-Transport-Security; turn them off
only when the proxy already does it (then `manage.py check --deploy` reports W008 / W004, which is
expected). ``NUM_PROXIES`` says how many proxies append to ``X-Forwarded-For``.
"""

from django.core.exceptions import ImproperlyConfigured

from animesite.env import secret_key_problem
from animesite.settings.base import *  # noqa: F403
from animesite.settings.base import env_bool, env_int, env_list, env_str

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
_problem = secret_key_problem(SECRET_KEY)
if _problem is not None:
    raise ImproperlyConfigured(f"{_problem}: set a long random secret in production")
DEBUG = False
if env_bool("DJANGO_DEBUG", False):
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name the site's host names in production")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
