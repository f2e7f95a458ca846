from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotInterested(models.Model):
    """An anime the user asked never to be recommended again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="not_interested",
        verbose_name=_("user"),
    )
    anime = models.ForeignKey(
        "catalog.Anime", on_delete=models.CASCADE, related_name="+", verbose_name=_("anime")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("not-interested mark")
        verbose_name_plural = _("not-interested marks")
        constraints = [models.UniqueConstraint(fields=["user", "anime"], name="uniq_not_interested")]

    def __str__(self) -> str:
        return f"{self.user_id} not interested in {self.anime_id}"


class ModelVersion(models.Model):
    """One trained recommender: its parameters, timings, offline metrics and artifact folder.

    At most one row is ``active``: the one the ``recsys:active`` pointer in Redis names.
    """

    class Status(models.TextChoices):
        TRAINING = "training", _("Training")
        READY = "ready", _("Ready")
        ACTIVE = "active", _("Active")
        REJECTED = "rejected", _("Rejected by the quality gate")
        FAILED = "failed", _("Failed")
        ARCHIVED = "archived", _("Archived")

    version = models.CharField(_("version"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.TRAINING, db_index=True
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    timings = models.JSONField(_("timings"), default=dict, blank=True)  # stage -> seconds
    # model -> {metric -> value}, baselines included
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    primary_metric = models.FloatField(_("primary metric"), null=True, blank=True)
    primary_metric_name = models.CharField(
        _("primary metric name"), max_length=32, blank=True, default="ndcg@20"
    )
    n_users = models.PositiveIntegerField(_("users"), null=True, blank=True)
    n_items = models.PositiveIntegerField(_("items"), null=True, blank=True)
    extra = models.JSONField(_("extra"), default=dict, blank=True)
    gate = models.CharField(_("quality gate"), max_length=255, blank=True, default="")  # the gate's decision
    artifact_dir = models.CharField(_("artifact folder"), max_length=500, blank=True, default="")
    artifacts_present = models.BooleanField(_("artifacts present"), default=False)
    error = models.TextField(_("error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.version} ({self.status})"
