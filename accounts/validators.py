"""Password validators beyond Django's own (listed in ``AUTH_PASSWORD_VALIDATORS``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class NotOnlyWhitespaceValidator:
    """Refuses a password made only of spaces, tabs or other blank characters."""

    def validate(self, password: str, user: Any = None) -> None:
        if not password.strip():
            raise ValidationError(
                _("A password cannot consist only of spaces."), code="password_only_whitespace"
            )

    def get_help_text(self) -> str:
        return _("Your password cannot consist only of spaces.")


class CharacterVarietyValidator:
    """Refuses a password with fewer than ``min_unique`` different characters (``aaaaaaaaaaaa``,
    ``abababababab``): its length says nothing about its strength."""

    def __init__(self, min_unique: int = 5) -> None:
        self.min_unique = min_unique

    def validate(self, password: str, user: Any = None) -> None:
        if len(set(password.casefold())) < self.min_unique:
            raise ValidationError(
                _("A password needs at least %(n)d different characters.") % {"n": self.min_unique},
                code="password_too_repetitive",
            )

    def get_help_text(self) -> str:
        return _("Your password must contain at least %(n)d different characters.") % {"n": self.min_unique}
