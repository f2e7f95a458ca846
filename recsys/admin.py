"""Operator pages: model versions with metrics next to the baselines, a chart, retrain and rollback."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from animesite.exceptions import ApplicationError
from recsys.models import ModelVersion, NotInterested
from recsys.registry import (
    TrainingAlreadyRunning,
    model_version_rollback,
    retrain_enqueue,
    training_interrupted_mark_failed,
    training_running,
)
from recsys.selectors import model_versions_recent

# The published models the pipeline is measured against (EDLAE: its EASE channel on its own).
BASELINES = ("popularity", "itemknn", "ease", "edlae")
CHART_MODELS = ("popularity", "itemknn", "ease", "deepwalk", "pipeline")
# recall@20 is the standard recall (hits / held-out items), recall_norm@20 the normalised one.
CHART_METRICS = ("recall@20", "recall_norm@20", "ndcg@20")
_COLOURS = {"recall@20": "#4e79a7", "recall_norm@20": "#76b7b2", "ndcg@20": "#f28e2b"}
_STATUS_COLOURS = {
    ModelVersion.Status.ACTIVE: "#2e7d32",
    ModelVersion.Status.TRAINING: "#1565c0",
    ModelVersion.Status.READY: "#6d4c41",
    ModelVersion.Status.REJECTED: "#ef6c00",
    ModelVersion.Status.FAILED: "#c62828",
    ModelVersion.Status.ARCHIVED: "#757575",
}


def _metric(mv: ModelVersion, model: str, name: str) -> float | None:
    value = (mv.metrics or {}).get(model, {}).get(name)
    return float(value) if isinstance(value, int | float) else None


def _best_baseline(mv: ModelVersion, name: str) -> tuple[str, float] | None:
    scored = [(b, v) for b in BASELINES if (v := _metric(mv, b, name)) is not None]
    return max(scored, key=lambda pair: pair[1]) if scored else None


# Width of one character of an 11 px bold sans-serif title, in px, rounded up: Latin and digits,
# and CJK (full-width) characters.
_TITLE_CHAR_PX = 7
_TITLE_WIDE_CHAR_PX = 12


def _chart_width(bars_width: int, left: int, title: str) -> int:
    """The SVG's width in px: wide enough for the bars and for the whole title after ``left``."""
    text = sum(_TITLE_WIDE_CHAR_PX if ord(ch) >= 0x2E80 else _TITLE_CHAR_PX for ch in title)
    return max(bars_width, left + text + 10)


def models_chart_svg(mv: ModelVersion) -> str:
    """Grouped bars: Recall@20 and NDCG@20 of every model evaluated in ``mv``'s run."""
    models = [m for m in CHART_MODELS if m in (mv.metrics or {})] + sorted(
        m for m in (mv.metrics or {}) if m not in CHART_MODELS
    )
    if not models:
        return ""
    values = [_metric(mv, m, k) or 0.0 for m in models for k in CHART_METRICS]
    title = _("%(version)s: models vs baselines") % {"version": mv.version}
    top = max([*values, 1e-9])
    height, left, bottom, group = 230, 40, 40, 110
    width = _chart_width(60 + 110 * len(models), left, title)
    plot = height - bottom - 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" style="font:11px sans-serif">',
        f'<text x="{left}" y="16" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#999"/>',
    ]
    for i, model in enumerate(models):
        x0 = left + 10 + i * group
        for j, metric in enumerate(CHART_METRICS):
            value = _metric(mv, model, metric) or 0.0
            h = plot * value / top
            x = x0 + j * 30
            y = height - bottom - h
            parts.append(f'<rect x="{x}" y="{y:.1f}" width="28" height="{h:.1f}" fill="{_COLOURS[metric]}"/>')
            parts.append(f'<text x="{x + 14}" y="{y - 3:.1f}" text-anchor="middle">{value:.3f}</text>')
        weight = "bold" if model == "pipeline" else "normal"
        parts.append(
            f'<text x="{x0 + 45}" y="{height - bottom + 15}" text-anchor="middle" '
            f'font-weight="{weight}">{escape(model)}</text>'
        )
    for j, metric in enumerate(CHART_METRICS):
        x = left + j * 120
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{_COLOURS[metric]}"/>')
        parts.append(f'<text x="{x + 14}" y="{height - 5}">{metric}</text>')
    parts.append("</svg>")
    return "".join(parts)


def versions_chart_svg(versions: Sequence[ModelVersion]) -> str:
    """The primary metric of recent versions, oldest first; the active one in green."""
    rows = [mv for mv in reversed(versions) if mv.primary_metric is not None]
    if not rows:
        return ""
    top = max([float(mv.primary_metric or 0.0) for mv in rows] + [1e-9])
    title = _("%(metric)s by version") % {"metric": rows[0].primary_metric_name}
    height, left, bottom, step = 230, 40, 40, 70
    width = _chart_width(60 + 70 * len(rows), left, title)
    plot = height - bottom - 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" style="font:11px sans-serif">',
        f'<text x="{left}" y="16" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#999"/>',
    ]
    for i, mv in enumerate(rows):
        value = float(mv.primary_metric or 0.0)
        h = plot * value / top
        x = left + 10 + i * step
        y = height - bottom - h
        colour = _STATUS_COLOURS.get(ModelVersion.Status(mv.status), "#757575")
        parts.append(f'<rect x="{x}" y="{y:.1f}" width="40" height="{h:.1f}" fill="{colour}"/>')
        parts.append(f'<text x="{x + 20}" y="{y - 3:.1f}" text-anchor="middle">{value:.4f}</text>')
        parts.append(
            f'<text x="{x + 20}" y="{height - bottom + 15}" text-anchor="middle">'
            f"{escape(mv.version[4:13])}</text>"
        )
        parts.append(
            f'<text x="{x + 20}" y="{height - bottom + 28}" text-anchor="middle" fill="{colour}">'
            f"{escape(mv.status)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    change_list_template = "admin/recsys/modelversion/change_list.html"
    list_display = (
        "version",
        "status_badge",
        "primary_metric_display",
        "pipeline_recall",
        "best_baseline_ndcg",
        "vs_best_baseline",
        "n_users",
        "n_items",
        "total_seconds",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("version",)
    actions = ("activate_version",)
    readonly_fields = (
        "version",
        "status",
        "gate",
        "primary_metric_name",
        "primary_metric",
        "metrics_table",
        "timings_table",
        "params",
        "extra",
        "n_users",
        "n_items",
        "artifact_dir",
        "artifacts_present",
        "created_at",
        "finished_at",
        "activated_at",
        "error",
    )
    exclude = ("metrics", "timings")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ModelVersion | None = None) -> bool:
        if obj is not None and obj.status in {ModelVersion.Status.ACTIVE, ModelVersion.Status.TRAINING}:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, obj: ModelVersion) -> SafeString:
        colour = _STATUS_COLOURS.get(ModelVersion.Status(obj.status), "#757575")
        label = (
            "★ " + str(_("Active")).upper()
            if obj.status == ModelVersion.Status.ACTIVE
            else obj.get_status_display()
        )
        return format_html(
            '<span style="background:{};color:#fff;padding:2px 6px;border-radius:3px;font-weight:{}">'
            "{}</span>",
            colour,
            "bold" if obj.status == ModelVersion.Status.ACTIVE else "normal",
            label,
        )

    @admin.display(description=gettext_lazy("primary metric"), ordering="primary_metric")
    def primary_metric_display(self, obj: ModelVersion) -> str:
        if obj.primary_metric is None:
            return "-"
        return f"{obj.primary_metric:.4f} ({obj.primary_metric_name})"

    @admin.display(description=gettext_lazy("pipeline recall@20 (standard / normalised)"))
    def pipeline_recall(self, obj: ModelVersion) -> str:
        value = _metric(obj, "pipeline", "recall@20")
        norm = _metric(obj, "pipeline", "recall_norm@20")
        if value is None:
            return "-"
        return f"{value:.4f}" if norm is None else f"{value:.4f} / {norm:.4f}"

    @admin.display(description=gettext_lazy("best baseline ndcg@20"))
    def best_baseline_ndcg(self, obj: ModelVersion) -> str:
        best = _best_baseline(obj, "ndcg@20")
        return "-" if best is None else f"{best[1]:.4f} ({best[0]})"

    @admin.display(description=gettext_lazy("pipeline vs best baseline"))
    def vs_best_baseline(self, obj: ModelVersion) -> SafeString | str:
        best = _best_baseline(obj, "ndcg@20")
        value = _metric(obj, "pipeline", "ndcg@20")
        if best is None or value is None or best[1] == 0:
            return "-"
        change = (value - best[1]) / best[1] * 100
        return format_html(
            '<span style="color:{}">{}%</span>', "#2e7d32" if change >= 0 else "#c62828", f"{change:+.1f}"
        )

    @admin.display(description=gettext_lazy("training time (s)"))
    def total_seconds(self, obj: ModelVersion) -> str:
        value = (obj.timings or {}).get("total")
        return "-" if value is None else f"{float(value):.0f}"

    @admin.display(description=gettext_lazy("metrics"))
    def metrics_table(self, obj: ModelVersion) -> SafeString | str:
        metrics = obj.metrics or {}
        if not metrics:
            return "-"
        names = sorted({name for values in metrics.values() for name in values})
        header = format_html_join("", "<th>{}</th>", ((n,) for n in names))
        rows = format_html_join(
            "",
            "<tr><th>{}</th>{}</tr>",
            (
                (
                    model,
                    format_html_join(
                        "",
                        "<td>{}</td>",
                        (
                            (f"{v:.4f}" if isinstance(v := values.get(n), int | float) else "-",)
                            for n in names
                        ),
                    ),
                )
                for model, values in metrics.items()
            ),
        )
        return format_html(
            "<table><tr><th>{}</th>{}</tr>{}</table>{}",
            _("model"),
            header,
            rows,
            mark_safe(models_chart_svg(obj)),
        )

    @admin.display(description=gettext_lazy("timings (s)"))
    def timings_table(self, obj: ModelVersion) -> SafeString | str:
        if not obj.timings:
            return "-"
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td></tr>",
                ((k, f"{float(v):.1f}") for k, v in obj.timings.items()),
            ),
        )

    @admin.action(description=gettext_lazy("Activate the selected version (roll back to it)"))
    def activate_version(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version to activate."), messages.ERROR)
            return
        model_version = queryset.get()
        try:
            model_version_rollback(model_version=model_version)
        except (ApplicationError, TrainingAlreadyRunning) as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request,
            _("%(version)s is now the active version.") % {"version": model_version.version},
            messages.SUCCESS,
        )

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "retrain/",
                self.admin_site.admin_view(self.retrain_view),
                name="recsys_modelversion_retrain",
            )
        ]
        return custom + super().get_urls()

    def retrain_view(self, request: HttpRequest) -> HttpResponse:
        """Queue a retrain on the ``training`` queue (after the request's transaction commits)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            self.message_user(request, _("You may not start a retrain."), messages.ERROR)
        else:
            try:
                retrain_enqueue(force=request.POST.get("force") == "1")
            except TrainingAlreadyRunning as exc:
                self.message_user(request, exc.message, messages.WARNING)
            else:
                self.message_user(
                    request, _("Retrain queued; the new version appears here when it finishes.")
                )
        return HttpResponseRedirect(reverse("admin:recsys_modelversion_changelist"))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        training_interrupted_mark_failed()
        versions = model_versions_recent(limit=8)
        latest = next((mv for mv in versions if mv.metrics), None)
        charts = (models_chart_svg(latest) if latest else "") + versions_chart_svg(versions)
        context = {
            **(extra_context or {}),
            "recsys_charts": mark_safe(charts),
            "recsys_training_running": training_running(),
        }
        response = super().changelist_view(request, extra_context=context)
        assert isinstance(response, TemplateResponse | HttpResponse)
        return response


@admin.register(NotInterested)
class NotInterestedAdmin(admin.ModelAdmin):
    list_display = ("user", "anime", "created_at")
    raw_id_fields = ("user", "anime")
    list_select_related = ("user", "anime")
