"""The model-version charts of the admin: titles fit inside their SVG."""

from __future__ import annotations

import re

from recsys.admin import models_chart_svg, versions_chart_svg
from recsys.models import ModelVersion


def _svg_width(svg: str) -> int:
    match = re.search(r'<svg [^>]*width="(\d+)"', svg)
    assert match, svg[:200]
    return int(match.group(1))


def test_a_single_version_chart_is_wide_enough_for_its_title():
    # given: one version only (the chart used to be 130 px wide, cutting "ndcg@20 by version")
    mv = ModelVersion(version="v20260101-000000-abcd", status="active", primary_metric=0.31)

    # when
    svg = versions_chart_svg([mv])

    # then: 40 px margin + 18 characters of 7 px + 10 px
    assert "ndcg@20 by version</text>" in svg
    assert _svg_width(svg) >= 40 + 18 * 7 + 10


def test_the_models_chart_fits_a_long_version_name():
    # given
    mv = ModelVersion(
        version="v20260101-000000-abcd",
        metrics={"pipeline": {"recall@20": 0.2, "ndcg@20": 0.3}},
    )

    # when
    svg = models_chart_svg(mv)

    # then
    title = "v20260101-000000-abcd: models vs baselines"
    assert f"{title}</text>" in svg
    assert _svg_width(svg) >= 40 + len(title) * 7 + 10


def test_the_pipelines_own_ease_channel_counts_as_a_baseline():
    # given: EDLAE (the pipeline's EASE channel on its own) scores above plain EASE
    from recsys.admin import ModelVersionAdmin

    mv = ModelVersion(
        version="v20260101-000000-abcd",
        metrics={
            "ease": {"ndcg@20": 0.40},
            "edlae": {"ndcg@20": 0.44},
            "pipeline": {"ndcg@20": 0.462},
        },
    )
    view = ModelVersionAdmin(ModelVersion, None)  # type: ignore[arg-type]

    # then: the pipeline is measured against the stronger of the two
    assert view.best_baseline_ndcg(mv) == "0.4400 (edlae)"
    assert "+5.0%" in view.vs_best_baseline(mv)
