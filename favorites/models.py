from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from activity.models import Source


class WatchStatus(models.TextChoices):
    WANT_TO_WATCH = "want_to_watch", "Want to watch"
    WATCHING = "watching", "Watching"
    COMPLETED = "completed", "Completed"
    ON_HOLD = "on_hold", "On hold"
    DROPPED = "dropped", "Dropped"


class CollectionEntry(models.Model):
    """One anime in a user's collection: favourite flag, watch status, score.

    Data-set list entries carry no watch status (the source does not say), so ``status`` may be
    blank for them.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collection")
    anime = models.ForeignKey("catalog.Anime", on_delete=models.CASCADE, related_name="collection_entries")
    is_favorite = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=WatchStatus.choices, blank=True, default="")
    score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.SITE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name_plural = "collection entries"
        ordering = ["-updated_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "anime"], name="uniq_collection_user_anime"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=10),
                name="collection_score_1_10",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "is_favorite"]),
            models.Index(fields=["user", "status"]),
            models.Index(fields=["anime", "is_favorite"]),
            # Covers the per-anime aggregates of the leaderboards (votes, score sums, favourites).
            models.Index(fields=["anime", "score", "is_favorite"], name="collection_anime_score_fav"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.anime_id}"


class ImportJob(models.Model):
    """One upload of a MyAnimeList list export and the Celery run that applies it.

    The file is parsed and validated in the request; ``entries`` keeps the normalised rows
    (MAL id, status, score, last update) so that the worker needs no access to the upload.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class OnConflict(models.TextChoices):
        SKIP = "skip", "Keep the newer site entry"
        OVERWRITE = "overwrite", "Overwrite with the file"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    on_conflict = models.CharField(max_length=16, choices=OnConflict.choices, default=OnConflict.SKIP)
    filename = models.CharField(max_length=255, blank=True)
    entries = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"
