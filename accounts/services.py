"""Account writes: registration, login and logout, and dropping a cached user row."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import user_cache_key
from animesite.exceptions import ApplicationError
from animesite.redis import redis_client

logger = logging.getLogger(__name__)

USERNAME_MIN_LENGTH = 3
USERNAME_MAX_LENGTH = 30
# Letters (any script), digits, underscore and hyphen.
_USERNAME_RE = re.compile(r"^[\w-]+$")


def _invalid(fields: dict[str, list[str]]) -> ApplicationError:
    return ApplicationError(_("Invalid input."), code="invalid", extra={"fields": fields})


def username_normalize(username: str) -> str:
    return User.normalize_username(username.strip())


def username_errors(username: str) -> list[str]:
    """Why ``username`` cannot be registered (an empty list when it can)."""
    if not USERNAME_MIN_LENGTH <= len(username) <= USERNAME_MAX_LENGTH:
        return [
            _("A username has between %(min)d and %(max)d characters.")
            % {"min": USERNAME_MIN_LENGTH, "max": USERNAME_MAX_LENGTH}
        ]
    if not _USERNAME_RE.match(username):
        return [_("A username may contain only letters, digits, underscores and hyphens.")]
    if User.objects.filter(username__iexact=username).exists():
        return [_("This username is already taken.")]
    return []


def user_register(*, username: str, password: str, password_confirm: str, email: str = "") -> User:
    """Create a site account after checking the username rules and the password validators."""
    username = username_normalize(username)
    email = User.objects.normalize_email(email.strip()) if email else ""
    errors: dict[str, list[str]] = {}

    name_errors = username_errors(username)
    if name_errors:
        errors["username"] = name_errors
    if password != password_confirm:
        errors["password_confirm"] = [_("The two passwords do not match.")]
    try:
        validate_password(password, user=User(username=username, email=email))
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise _invalid(errors)

    user = User(username=username, email=email, source=User.Source.SITE)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        # Another request registered the same name (the column's collation ignores case).
        raise _invalid({"username": [_("This username is already taken.")]}) from exc
    return user


def _invalid_credentials() -> ApplicationError:
    return ApplicationError(
        _("Invalid username or password"),
        code="invalid_credentials",
        extra={"fields": {"non_field_errors": [_("Invalid username or password")]}},
    )


def user_authenticate(*, request: HttpRequest | None, username: str, password: str) -> User:
    """The site account with these credentials; accounts from the data set never authenticate."""
    username = username_normalize(username)
    candidate = User.objects.filter(username__iexact=username).only("id", "username", "source").first()
    if candidate is None or candidate.source != User.Source.SITE:
        # Hash anyway so that unknown names and wrong passwords take the same time.
        User().set_password(password)
        raise _invalid_credentials()
    user = authenticate(request, username=candidate.username, password=password)
    if not isinstance(user, User) or user.source != User.Source.SITE:
        raise _invalid_credentials()
    return user


def user_login(*, request: HttpRequest, username: str, password: str) -> User:
    user = user_authenticate(request=request, username=username, password=password)
    login(request, user)
    return user


def user_register_and_login(
    *, request: HttpRequest, username: str, password: str, password_confirm: str, email: str = ""
) -> User:
    user = user_register(username=username, password=password, password_confirm=password_confirm, email=email)
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    return user


def user_logout(*, request: HttpRequest) -> None:
    logout(request)


def user_cache_drop(*, user_id: Any) -> None:
    """Forget the cached user now and again after the surrounding transaction commits (a request
    reading the old row in between would otherwise cache it again)."""

    def drop() -> None:
        try:
            redis_client().delete(user_cache_key(user_id))
        except redis.RedisError:
            logger.warning("cache unreachable: cached user %s not dropped", user_id, exc_info=True)

    drop()
    transaction.on_commit(drop, robust=True)


@dataclass(frozen=True)
class DatasetUsers:
    ids: dict[int, int]  # data-set user id -> user pk
    created: int
    unchanged: int


def dataset_users_ensure(*, dataset_ids: Sequence[int], batch_size: int = 2000) -> DatasetUsers:
    """Make sure every data-set user has a login-less account (``User.Source.DATASET``).

    Existing accounts are kept as they are; a username taken by a site user gets the ``-dataset``
    suffix.
    """
    existing = _dataset_users()
    missing = [d for d in dataset_ids if d not in existing]
    unchanged = len(dataset_ids) - len(missing)
    if not missing:
        return DatasetUsers(ids=existing, created=0, unchanged=unchanged)
    # One unusable password for every data-set account: they can never log in.
    password = make_password(None)
    wanted_names = {f"mal_{d}" for d in missing}
    taken = set(User.objects.filter(username__in=wanted_names).values_list("username", flat=True))
    new = [
        User(
            username=f"mal_{d}" if f"mal_{d}" not in taken else f"mal_{d}-dataset",
            password=password,
            source=User.Source.DATASET,
            dataset_user_id=d,
        )
        for d in missing
    ]
    for start in range(0, len(new), batch_size):
        User.objects.bulk_create(new[start : start + batch_size], ignore_conflicts=True)
    found = _dataset_users()
    created = len([d for d in missing if d in found])
    if created < len(missing):
        logger.warning("%d data-set users could not be created", len(missing) - created)
    return DatasetUsers(ids=found, created=created, unchanged=unchanged)


def _dataset_users() -> dict[int, int]:
    rows = User.objects.filter(dataset_user_id__isnull=False).values_list("dataset_user_id", "id")
    return {int(dataset_id): pk for dataset_id, pk in rows if dataset_id is not None}
