"""The pipeline's parameters (:class:`PipelineParams`), stored with each model as ``asdict`` JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from recsys.pipeline.ann import AnnoyConfig
from recsys.pipeline.candidates import ChannelParams
from recsys.pipeline.deepwalk import DeepWalkParams
from recsys.pipeline.ease_tuning import EASE_L2_GRID, EDLAE_DROPOUT_GRID
from recsys.pipeline.embeddings import Word2VecParams
from recsys.pipeline.ranker import RankerParams
from recsys.pipeline.rerank import RerankParams


@dataclass(frozen=True)
class PipelineParams:
    """Every knob of the pipeline, stored with the model."""

    # EASE's L2 weight where the grid walk starts (the last choice); with an empty grid, the weight.
    ease_l2: float = 200.0
    ease_min_item_users: int = 10
    knn_neighbours: int = 100
    deepwalk: DeepWalkParams = field(default_factory=DeepWalkParams)
    channels: ChannelParams = field(default_factory=ChannelParams)
    ranker: RankerParams = field(default_factory=RankerParams)
    rerank: RerankParams = field(default_factory=RerankParams)
    holdout_fraction: float = 0.2
    random_negatives: int = 20
    ease_l2_grid: tuple[float, ...] = EASE_L2_GRID
    # EDLAE's dropout (Steck 2020) where its walk starts (the last choice); with an empty grid,
    # plain EASE (0).
    ease_dropout: float = 0.2
    ease_dropout_grid: tuple[float, ...] = EDLAE_DROPOUT_GRID
    # Plain EASE's weight (dropout 0) on the same walk: the baseline the pipeline is measured against.
    ease_baseline_l2: float = 200.0


def params_from_dict(raw: dict[str, Any]) -> PipelineParams:
    """Rebuild :class:`PipelineParams` from its ``asdict`` form (as stored in ``pipeline.json``)."""
    dw = dict(raw.get("deepwalk", {}))
    deepwalk = DeepWalkParams(
        walks_per_node=int(dw.get("walks_per_node", 5)),
        walk_length=int(dw.get("walk_length", 20)),
        word2vec=Word2VecParams(**dw.get("word2vec", {})),
        min_item_users=int(dw.get("min_item_users", 5)),
        annoy=AnnoyConfig(**dw["annoy"]) if "annoy" in dw else AnnoyConfig(25, -1),
    )
    ranker = dict(raw.get("ranker", {}))
    if "hidden" in ranker:
        ranker["hidden"] = tuple(ranker["hidden"])
    nested = {"deepwalk", "channels", "ranker", "rerank"}
    scalars = {k: v for k, v in raw.items() if k not in nested}
    # A model stored before EDLAE was plain EASE: its weight was the baseline's.
    scalars.setdefault("ease_dropout", 0.0)
    scalars.setdefault("ease_baseline_l2", scalars.get("ease_l2", 200.0))
    for grid in ("ease_l2_grid", "ease_dropout_grid"):
        if grid in scalars:
            scalars[grid] = tuple(float(v) for v in scalars[grid])
    return PipelineParams(
        **scalars,
        deepwalk=deepwalk,
        channels=ChannelParams(**raw.get("channels", {})),
        ranker=RankerParams(**ranker),
        rerank=RerankParams(**raw.get("rerank", {})),
    )
