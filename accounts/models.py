from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A site account. Accounts imported from the interaction data set cannot log in."""

    class Source(models.TextChoices):
        SITE = "site", "Site"
        DATASET = "dataset", "Data set"

    source = models.CharField(max_length=16, choices=Source.choices, default=Source.SITE, db_index=True)
    # The user id inside the interaction data set, for accounts that come from it.
    dataset_user_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    preferred_language = models.CharField(max_length=16, default="en", blank=True)

    # Set per request on users read through ``accounts.selectors.user_get_cached`` (not a column).
    redis_companions: dict[str, bytes | None]
