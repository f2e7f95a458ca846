"""Every external address and secret comes from the environment, with a local default.

A `.env` file in the project root (see `.env.example`) is read first; real environment
variables win over it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent


def _load_dotenv(path: Path) -> None:
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


_load_dotenv(BASE_DIR / ".env")


class ImproperlyConfiguredEnv(RuntimeError):
    pass


# Keys that ship in this repository or in Django's templates: never a real secret.
KNOWN_WEAK_SECRET_KEYS = frozenset({"change-me", "changeme", "secret", "local-dev-only-insecure-key"})
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5


def secret_key_problem(key: str | None) -> str | None:
    """Why ``key`` is not fit for production, or None. The length and variety rules are Django's
    own (``security.W009``); keys published with the code are refused too."""
    if not key:
        return "DJANGO_SECRET_KEY is not set"
    if key.strip().lower() in KNOWN_WEAK_SECRET_KEYS or key.startswith(("local-dev", "django-insecure-")):
        return "DJANGO_SECRET_KEY is a published example key"
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return (
            f"DJANGO_SECRET_KEY must have at least {SECRET_KEY_MIN_LENGTH} characters and "
            f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones"
        )
    return None


def install_secret_key(path: Path | None = None) -> str:
    """This installation's own secret key: generated once into ``var/secret_key`` (mode 0600,
    never committed) and read from there afterwards."""
    import secrets
    import string

    path = path or BASE_DIR / "var" / "secret_key"
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        key = ""
    if secret_key_problem(key) is None:
        return key
    alphabet = string.ascii_letters + string.digits + "!#%&()*+,-./:;<=>?@[]^_{|}~"
    key = "".join(secrets.choice(alphabet) for _ in range(64))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    try:
        # Another process may have written its key first: keep the first one.
        os.link(tmp, path)
    except FileExistsError:
        key = path.read_text(encoding="utf-8").strip()
    finally:
        tmp.unlink(missing_ok=True)
    return key


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfiguredEnv(f"Environment variable {name} is required")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None or value == "" else int(value)


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value is None or value == "" else float(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict[str, object]:
    """Turn ``mysql://user:password@host:port/name`` into a Django DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme not in {"mysql", "mariadb"}:
        raise ImproperlyConfiguredEnv(f"DATABASE_URL must be mysql://..., got {parsed.scheme!r}")
    name = parsed.path.lstrip("/")
    return {
        "ENGINE": "django.db.backends.mysql",
        "NAME": name,
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "127.0.0.1",
        "PORT": str(parsed.port or 3306),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "charset": "utf8mb4",
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
            "isolation_level": "read committed",
            # An unreachable server fails a request in seconds (then 503), not after the default.
            "connect_timeout": 3,
        },
        "TEST": {
            "NAME": os.environ.get("TEST_DATABASE_NAME") or f"test_{name}",
            "CHARSET": "utf8mb4",
            "COLLATION": "utf8mb4_unicode_ci",
        },
    }
