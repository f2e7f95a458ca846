"""Serializer fields shared by the API's input serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A ``CharField`` that takes JSON strings only.

    DRF's ``CharField`` turns a number into its text (``-656`` -> ``"-656"``), so a client that
    sends the wrong type would get an account or a password it never typed; here it is the field's
    ``invalid`` error ("Not a valid string.") like any other wrong type.
    """

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))
