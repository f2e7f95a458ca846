from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.usernames import username_skeleton


class User(AbstractUser):
    """A site account. Accounts imported from the interaction data set cannot log in."""

    class Source(models.TextChoices):
        SITE = "site", _("Site")
        DATASET = "dataset", _("Data set")

    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.SITE, db_index=True
    )
    # The user id inside the interaction data set, for accounts that come from it.
    dataset_user_id = models.PositiveIntegerField(_("data-set user id"), null=True, blank=True, unique=True)
    preferred_language = models.CharField(_("preferred language"), max_length=16, default="en", blank=True)
    # ``accounts.usernames.username_skeleton(username)``: registration refuses a name whose
    # skeleton an existing account already has (look-alike names). Kept by ``save``.
    username_skeleton = models.CharField(
        _("username skeleton"), max_length=150, blank=True, default="", db_index=True, editable=False
    )

    # Set per request on users read through ``accounts.selectors.user_get_cached`` (not a column).
    redis_companions: dict[str, bytes | None]

    def save(self, *args: Any, **kwargs: Any) -> None:
        skeleton = username_skeleton(self.username or "")
        if skeleton != self.username_skeleton:
            self.username_skeleton = skeleton
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "username" in update_fields:
                kwargs["update_fields"] = {*update_fields, "username_skeleton"}
        super().save(*args, **kwargs)
