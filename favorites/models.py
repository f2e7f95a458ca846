from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from activity.models import Source

MAX_REWATCH_COUNT = 999
# More than any anime has (Sazae-san, the longest, has about 2,800 episodes), far below the column's
# limit: an entry of an anime whose episode count is unknown is capped here.
MAX_EPISODES_WATCHED = 100_000


class WatchStatus(models.TextChoices):
    WANT_TO_WATCH = "want_to_watch", _("Want to watch")
    WATCHING = "watching", _("Watching")
    COMPLETED = "completed", _("Completed")
    ON_HOLD = "on_hold", _("On hold")
    DROPPED = "dropped", _("Dropped")


class CollectionEntry(models.Model):
    """One anime in a user's list: favourite flag, watch status, score, episode progress,
    rewatches and the dates the user started and finished it.

    Data-set list entries carry no watch status (the source does not say), so ``status`` may be
    blank for them. ``episodes_watched`` never exceeds the anime's episode count when that is
    known, nor ``MAX_EPISODES_WATCHED`` (checked by ``favorites.services``); ``rewatch_count`` is
    MyAnimeList's ``my_times_watched`` (completed viewings after the first).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collection", verbose_name=_("user")
    )
    anime = models.ForeignKey(
        "catalog.Anime", on_delete=models.CASCADE, related_name="collection_entries", verbose_name=_("anime")
    )
    is_favorite = models.BooleanField(_("favourite"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=WatchStatus.choices, blank=True, default="")
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    episodes_watched = models.PositiveIntegerField(
        _("episodes watched"), default=0, validators=[MaxValueValidator(MAX_EPISODES_WATCHED)]
    )
    rewatch_count = models.PositiveSmallIntegerField(
        _("times rewatched"), default=0, validators=[MaxValueValidator(MAX_REWATCH_COUNT)]
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    finish_date = models.DateField(_("finish date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.SITE)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        ordering = ["-updated_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "anime"], name="uniq_collection_user_anime"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=10),
                name="collection_score_1_10",
            ),
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True)
                | models.Q(finish_date__isnull=True)
                | models.Q(finish_date__gte=models.F("start_date")),
                name="collection_finish_after_start",
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
    (MAL id, status, score, progress, dates, last update) so that the worker needs no access to
    the upload.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class OnConflict(models.TextChoices):
        SKIP = "skip", _("Keep the newer site entry")
        OVERWRITE = "overwrite", _("Overwrite with the file")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs", verbose_name=_("user")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    on_conflict = models.CharField(
        _("on conflict"), max_length=16, choices=OnConflict.choices, default=OnConflict.SKIP
    )
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    entries = models.JSONField(_("entries"), default=list)
    total = models.PositiveIntegerField(_("total"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    summary = models.JSONField(_("summary"), default=dict)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("MyAnimeList import")
        verbose_name_plural = _("MyAnimeList imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"
