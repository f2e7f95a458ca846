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
feature names and their standardisation; serving runs the MLP on the CPU.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

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
    max_epochs: int = 10
    patience: int = 2
    validation_fraction: float = 0.1


class RankerNet(nn.Module):
    """Feed-forward network: standardised features -> hidden ReLU layers -> one score."""

    def __init__(self, n_features: int, hidden: Sequence[int], dropout: float) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = n_features
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, 1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.layers(x).squeeze(-1)
        return out


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
    """A trained ranker: network + feature standardisation."""

    def __init__(
        self,
        net: RankerNet,
        feature_names: Sequence[str],
        mean: FloatArray,
        std: FloatArray,
        params: RankerParams,
    ) -> None:
        self.net = net.eval()
        self.feature_names = list(feature_names)
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        self.params = params
        self._weights = [
            (layer.weight.detach().cpu().numpy().T.copy(), layer.bias.detach().cpu().numpy().copy())
            for layer in self.net.layers
            if isinstance(layer, nn.Linear)
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

    def score_torch(self, features: FloatArray) -> FloatArray:
        """The same scores computed by the torch module (reference for :meth:`score`)."""
        x = torch.from_numpy((np.asarray(features, dtype=np.float32) - self.mean) / self.std)
        with torch.no_grad():
            return np.asarray(self.net.cpu()(x).numpy(), dtype=np.float32)

    def save(self, directory: Path) -> None:
        """``state_dict/<name>.npy`` (no pickle) and ``config.json``."""
        weights = directory / "state_dict"
        weights.mkdir(parents=True, exist_ok=True)
        for name, tensor in self.net.state_dict().items():
            np.save(weights / f"{name}.npy", tensor.detach().cpu().numpy(), allow_pickle=False)
        config = {
            "feature_names": self.feature_names,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "params": asdict(self.params),
            "state_dict": list(self.net.state_dict().keys()),
        }
        (directory / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> Ranker:
        """Read a ranker written by :meth:`save` onto the CPU."""
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        raw = dict(config["params"])
        raw["hidden"] = tuple(raw["hidden"])
        params = RankerParams(**raw)
        net = RankerNet(len(config["feature_names"]), params.hidden, params.dropout)
        state = {
            name: torch.from_numpy(np.load(directory / "state_dict" / f"{name}.npy", allow_pickle=False))
            for name in config["state_dict"]
        }
        net.load_state_dict(state)
        return cls(
            net,
            config["feature_names"],
            np.asarray(config["mean"], dtype=np.float32),
            np.asarray(config["std"], dtype=np.float32),
            params,
        )


def training_device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _pad(
    groups: Sequence[tuple[FloatArray, FloatArray]],
    idx: Sequence[int],
    n_features: int,
    *,
    max_rows: int | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Stack groups into padded tensors; with ``max_rows``, a group keeps all its positives and a
    random sample of its negatives up to that many rows (sampled softmax)."""
    chosen: list[tuple[FloatArray, FloatArray]] = []
    for i in idx:
        feats, labels = groups[i]
        if max_rows is not None and rng is not None and labels.shape[0] > max_rows:
            pos = np.flatnonzero(labels > 0)
            neg = np.flatnonzero(labels <= 0)
            room = max(max_rows - pos.size, 1)
            keep = np.concatenate([pos, rng.choice(neg, size=min(room, neg.size), replace=False)])
            feats, labels = feats[keep], labels[keep]
        chosen.append((feats, labels))
    width = max(f.shape[0] for f, _ in chosen)
    x = np.zeros((len(chosen), width, n_features), dtype=np.float32)
    y = np.zeros((len(chosen), width), dtype=np.float32)
    mask = np.zeros((len(chosen), width), dtype=bool)
    for row, (feats, labels) in enumerate(chosen):
        x[row, : feats.shape[0]] = feats
        y[row, : labels.shape[0]] = labels
        mask[row, : feats.shape[0]] = True
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(mask)


def listwise_loss(scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over users of ``-mean_{positives} log softmax(scores)`` within each user's candidates."""
    masked = scores.masked_fill(~mask, float("-inf"))
    log_p = torch.log_softmax(masked, dim=1).masked_fill(~mask, 0.0)
    n_pos = labels.sum(dim=1).clamp(min=1.0)
    per_user = -(log_p * labels).sum(dim=1) / n_pos
    return per_user.mean()


def train_ranker(
    groups: Sequence[tuple[FloatArray, FloatArray]],
    *,
    feature_names: Sequence[str],
    seed: int,
    params: RankerParams | None = None,
    device: torch.device | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Ranker, TrainingHistory]:
    """Train the MLP on per-user candidate groups.

    Parameters
    ----------
    groups : sequence of (features, labels)
        One group per user: ``features`` ``(n_candidates, n_features)``, ``labels`` 0/1 (held-out
        positive). Groups without a positive are ignored.
    feature_names : sequence of str
        Column names (saved with the model).
    seed : int
        Seeds the initialisation, the validation split and the batch order.
    params : RankerParams, optional
        Defaults to :class:`RankerParams`.
    device : torch.device, optional
        Defaults to :func:`training_device`.
    progress : callable, optional
        Receives one line per epoch.

    Returns
    -------
    ranker : Ranker
        The network of the best validation epoch, on the CPU.
    history : TrainingHistory
        The loss curves.
    """
    p = params or RankerParams()
    dev = device or training_device()
    start = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    usable = [i for i, (_, y) in enumerate(groups) if y.sum() > 0 and y.shape[0] > 1]
    if not usable:
        raise ValueError("the ranker needs at least one user with a held-out positive")
    n_features = len(feature_names)
    stacked = np.concatenate([groups[i][0] for i in usable], axis=0)
    mean = stacked.mean(axis=0).astype(np.float32)
    std = stacked.std(axis=0).astype(np.float32)
    std = np.where(std > 1e-6, std, 1.0).astype(np.float32)
    normed = [(((groups[i][0] - mean) / std).astype(np.float32), groups[i][1]) for i in usable]
    order = rng.permutation(len(normed))
    n_val = max(1, round(p.validation_fraction * len(normed))) if len(normed) > 1 else 0
    val_idx = order[:n_val].tolist()
    train_idx = order[n_val:].tolist() or val_idx

    net = RankerNet(n_features, p.hidden, p.dropout).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=p.lr, weight_decay=p.weight_decay)
    history = TrainingHistory(device=str(dev), n_users=len(normed), n_rows=int(stacked.shape[0]))
    val_batches = [
        tuple(t.to(dev) for t in _pad(normed, val_idx[b : b + 256], n_features))
        for b in range(0, len(val_idx), 256)
    ]
    best_loss = float("inf")
    best_state: dict[str, torch.Tensor] = {k: v.detach().clone() for k, v in net.state_dict().items()}
    stale = 0
    for epoch in range(p.max_epochs):
        net.train()
        perm = rng.permutation(len(train_idx))
        total, count = 0.0, 0
        for b in range(0, len(perm), p.batch_users):
            batch = [train_idx[j] for j in perm[b : b + p.batch_users].tolist()]
            x, y, mask = (
                t.to(dev) for t in _pad(normed, batch, n_features, max_rows=p.rows_per_user, rng=rng)
            )
            opt.zero_grad()
            loss = listwise_loss(net(x), y, mask)
            loss.backward()
            opt.step()
            total += float(loss.item()) * len(batch)
            count += len(batch)
        net.eval()
        with torch.no_grad():
            val_total = sum(float(listwise_loss(net(x), y, m).item()) * x.shape[0] for x, y, m in val_batches)
        val_loss = val_total / max(1, len(val_idx))
        history.train_loss.append(total / max(1, count))
        history.validation_loss.append(val_loss)
        if progress is not None:
            progress(
                f"ranker epoch {epoch + 1}: train {total / max(1, count):.4f}, validation {val_loss:.4f}"
            )
        if val_loss < best_loss - 1e-4:
            best_loss = val_loss
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            history.best_epoch = epoch
            stale = 0
        else:
            stale += 1
            if stale >= p.patience:
                break
    net.load_state_dict(best_state)
    net = net.cpu()
    history.seconds = time.perf_counter() - start
    return Ranker(net, feature_names, mean, std, p), history


def history_dict(history: TrainingHistory) -> dict[str, Any]:
    """The loss curve as JSON-ready data."""
    return asdict(history)
