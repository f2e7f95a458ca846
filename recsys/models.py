from __future__ import annotations

from django.conf import settings
from django.db import models


class NotInterested(models.Model):
    """An anime the user asked never to be recommended again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="not_interested"
    )
    anime = models.ForeignKey("catalog.Anime", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "anime"], name="uniq_not_interested")]

    def __str__(self) -> str:
        return f"{self.user_id} not interested in {self.anime_id}"


class ModelVersion(models.Model):
    """One trained recommender: its parameters, timings, offline metrics and artifact folder.

    At most one row is ``active``: the one the ``recsys:active`` pointer in Redis names.
    """

    class Status(models.TextChoices):
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        ACTIVE = "active", "Active"
        REJECTED = "rejected", "Rejected by the quality gate"
        FAILED = "failed", "Failed"
        ARCHIVED = "archived", "Archived"

    version = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRAINING, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True)  # stage -> seconds
    metrics = models.JSONField(default=dict, blank=True)  # model -> {metric -> value}, baselines included
    primary_metric = models.FloatField(null=True, blank=True)
    primary_metric_name = models.CharField(max_length=32, blank=True, default="ndcg@20")
    n_users = models.PositiveIntegerField(null=True, blank=True)
    n_items = models.PositiveIntegerField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    gate = models.CharField(max_length=255, blank=True, default="")  # the quality gate's decision
    artifact_dir = models.CharField(max_length=500, blank=True, default="")
    artifacts_present = models.BooleanField(default=False)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.version} ({self.status})"
