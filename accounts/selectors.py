"""Account reads."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser

from accounts.models import User


def user_profile(user: User | AnonymousUser) -> dict[str, Any]:
    """What the site shows about the current visitor."""
    if not isinstance(user, User) or not user.is_authenticated:
        return {"is_authenticated": False}
    return {
        "is_authenticated": True,
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "is_staff": user.is_staff,
        "preferred_language": user.preferred_language,
        "date_joined": user.date_joined,
    }
