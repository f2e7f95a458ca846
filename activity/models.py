"""The behaviour log every model trains on: data-set list entries and site events alike."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EventKind(models.TextChoices):
    """What a user did to an anime."""

    LIST = "list", "Listed"  # data-set list entry, or added to a collection
    RATE = "rate", "Rated"
    STATUS = "status", "Changed status"
    FAVORITE = "favorite", "Favourited"
    UNFAVORITE = "unfavorite", "Unfavourited"
    REMOVE = "remove", "Removed from collection"
    VIEW = "view", "Opened detail page"
    NOT_INTERESTED = "not_interested", "Not interested"


class Source(models.TextChoices):
    """Where a behaviour event, or the collection entry that caused it, came from."""

    SITE = "site", "Site"
    DATASET = "dataset", "Data set"
    MAL_IMPORT = "mal_import", "MyAnimeList import"


class Interaction(models.Model):
    """One behaviour event: who did what (``EventKind``) to which anime, when, from where.

    Data-set rows (``source=dataset``) have no timestamp (``occurred_at`` is null): the source
    data carries none. Site events always carry the time they happened.
    """

    Kind = EventKind
    Source = Source

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interactions")
    anime = models.ForeignKey("catalog.Anime", on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    score = models.PositiveSmallIntegerField(null=True, blank=True)  # 1-10 where the event has one
    status = models.CharField(max_length=16, blank=True, default="")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.SITE)
    occurred_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "recsys_interaction"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["user", "occurred_at"], name="recsys_inte_user_id_5fcf7c_idx"),
            models.Index(fields=["anime", "kind"], name="recsys_inte_anime_i_85aecd_idx"),
            models.Index(fields=["source", "kind"], name="recsys_inte_source_fa8be8_idx"),
            models.Index(fields=["occurred_at"], name="recsys_inte_occurre_f8216e_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.anime_id}"
