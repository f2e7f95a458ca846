"""The MLP ranker (PyTorch): scores a user's recalled candidates from their features.

Training data comes in groups, one per user: the candidates recalled for the user from the
channels fitted *without* the held-out items (held-out ones are the positives, every other one a
hard negative) and random items (easy negatives). The loss
is a per-user softmax cross-entropy (each positive against all of that user's candidates), the
listwise form of "positives vs sampled negatives" that matches how the list is used: ranked
within one user. Each epoch a user contributes all positives and a fresh random sample of
negatives (``rows_per_user`` rows in all: a sampled softmax). Early stopping on the full-candidate
loss of a validation slice of users.

Saved as a state_dict of named numpy arrays (``np.save``, no pickle) plus a JSON config with the
feature names and their standardisation. Serving evaluates the network with numpy on the CPU and
never imports PyTorch (hundreds of thousands of objects per worker process, each of them walked
by Python's full garbage collections); training lives in :mod:`recsys.pipeline.ranker_torch`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class RankerParams:
    """Architecture and optimisation of the ranker."""

    hidden: tuple[int, ...] = (64, 32)
    dropout: float = 0.1
    lr: float = 4e-3
    weight_decay: float = 1e-5
    batch_users: int = 128
    rows_per_user: int = 256
    # Nested validation split (benchmarks/recsys_tuning.py ranker): at most 3 / 5 / 10 / 20 epochs
    # -> NDCG@20 re-ranked 0.3153 / 0.3168 / 0.3168 / 0.3168 (early stopping chose epoch 4 or 5).
    max_epochs: int = 5
    patience: int = 2
    validation_fraction: float = 0.1


@dataclass
class TrainingHistory:
    """Per-epoch losses, the chosen epoch, the device and the time the training took."""

    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    best_epoch: int = -1
    device: str = "cpu"
    seconds: float = 0.0
    n_users: int = 0
    n_rows: int = 0


class Ranker:
    """A trained ranker: the network's weights (numpy) + feature standardisation."""

    def __init__(
        self,
        state: dict[str, FloatArray],
        feature_names: Sequence[str],
        mean: FloatArray,
        std: FloatArray,
        params: RankerParams,
    ) -> None:
        self.state = {name: np.asarray(value, dtype=np.float32) for name, value in state.items()}
        self.feature_names = list(feature_names)
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        self.params = params
        # Linear layers in order: each ``<layer>.weight`` (out x in) with its ``<layer>.bias``.
        self._weights = [
            (self.state[name].T.copy(), self.state[name.removesuffix("weight") + "bias"])
            for name in self.state
            if name.endswith(".weight")
        ]

    def score(self, features: FloatArray) -> FloatArray:
        """Scores of candidate rows (higher is better); CPU, batched in one call.

        The forward pass is evaluated with numpy on the network's weights: for a few hundred
        rows this avoids per-call framework overhead and gives the same numbers as the torch
        module (tested).
        """
        x = (np.asarray(features, dtype=np.float32) - self.mean) / self.std
        for i, (w, b) in enumerate(self._weights):
            x = x @ w + b
            if i < len(self._weights) - 1:
                np.maximum(x, 0.0, out=x)
        return np.asarray(x[:, 0], dtype=np.float32)

    def save(self, directory: Path) -> None:
        """``state_dict/<name>.npy`` (no pickle) and ``config.json``."""
        weights = directory / "state_dict"
        weights.mkdir(parents=True, exist_ok=True)
        for name, array in self.state.items():
            np.save(weights / f"{name}.npy", array, allow_pickle=False)
        config = {
            "feature_names": self.feature_names,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "params": asdict(self.params),
            "state_dict": list(self.state),
        }
        (directory / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> Ranker:
        """Read a ranker written by :meth:`save` (numpy only)."""
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        raw = dict(config["params"])
        raw["hidden"] = tuple(raw["hidden"])
        state = {
            name: np.load(directory / "state_dict" / f"{name}.npy", allow_pickle=False)
            for name in config["state_dict"]
        }
        return cls(
            state,
            config["feature_names"],
            np.asarray(config["mean"], dtype=np.float32),
            np.asarray(config["std"], dtype=np.float32),
            RankerParams(**raw),
        )


def train_ranker(
    groups: Sequence[tuple[FloatArray, FloatArray]],
    *,
    feature_names: Sequence[str],
    seed: int,
    params: RankerParams | None = None,
    device: Any = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Ranker, TrainingHistory]:
    """Train the MLP (PyTorch, CUDA when available): see :func:`recsys.pipeline.ranker_torch.train_ranker`."""
    from recsys.pipeline import ranker_torch

    return ranker_torch.train_ranker(
        groups, feature_names=feature_names, seed=seed, params=params, device=device, progress=progress
    )


def training_device() -> Any:
    """The ``torch.device`` training uses: CUDA when available, else CPU."""
    from recsys.pipeline import ranker_torch

    return ranker_torch.training_device()


def history_dict(history: TrainingHistory) -> dict[str, Any]:
    """The loss curve as JSON-ready data."""
    return asdict(history)
