"""Training the ranker with PyTorch (CUDA when available); see :mod:`recsys.pipeline.ranker`.

Only training imports this module: serving evaluates the saved weights with numpy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from recsys.pipeline.arrays import NormalisedGroups, feature_stats
from recsys.pipeline.ranker import FloatArray, Ranker, RankerParams, TrainingHistory


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


def ranker_net(ranker: Ranker) -> RankerNet:
    """The torch module holding ``ranker``'s weights (a reference for :meth:`Ranker.score`)."""
    net = RankerNet(len(ranker.feature_names), ranker.params.hidden, ranker.params.dropout)
    net.load_state_dict({name: torch.from_numpy(value) for name, value in ranker.state.items()})
    return net.eval()


def score_torch(ranker: Ranker, features: FloatArray) -> FloatArray:
    """``ranker.score(features)`` computed by the torch module."""
    x = torch.from_numpy((np.asarray(features, dtype=np.float32) - ranker.mean) / ranker.std)
    with torch.no_grad():
        return np.asarray(ranker_net(ranker)(x).numpy(), dtype=np.float32)


CPU_THREADS = 1
"""Threads of a training on the CPU (``torch.set_num_threads``, restored afterwards). On the 2-core
reference machine one thread ran a batch of 128 users x 256 candidates in 42-53 ms and two in
146-247 ms, in the same run with other processes on the machine (OpenMP workers wait on each
other and on every other process)."""


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
    dev = device or training_device()
    args = (groups, feature_names, seed, params or RankerParams(), dev, progress)
    if dev.type != "cpu":
        return _train_ranker(*args)
    before = torch.get_num_threads()
    torch.set_num_threads(CPU_THREADS)
    try:
        return _train_ranker(*args)
    finally:
        torch.set_num_threads(before)


def _train_ranker(
    groups: Sequence[tuple[FloatArray, FloatArray]],
    feature_names: Sequence[str],
    seed: int,
    p: RankerParams,
    dev: torch.device,
    progress: Callable[[str], None] | None,
) -> tuple[Ranker, TrainingHistory]:
    """The training loop of :func:`train_ranker`."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    usable = [i for i, (_, y) in enumerate(groups) if y.sum() > 0 and y.shape[0] > 1]
    if not usable:
        raise ValueError("the ranker needs at least one user with a held-out positive")
    n_features = len(feature_names)
    # Streamed statistics and on-the-fly standardisation: the features exist once (``groups``).
    mean, std, n_rows = feature_stats(groups, usable)
    std = np.where(std > 1e-6, std, 1.0).astype(np.float32)
    normed = NormalisedGroups(groups, usable, mean, std)
    order = rng.permutation(len(normed))
    n_val = max(1, round(p.validation_fraction * len(normed))) if len(normed) > 1 else 0
    val_idx = order[:n_val].tolist()
    train_idx = order[n_val:].tolist() or val_idx

    net = RankerNet(n_features, p.hidden, p.dropout).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=p.lr, weight_decay=p.weight_decay)
    history = TrainingHistory(device=str(dev), n_users=len(normed), n_rows=n_rows)

    def val_batches() -> Iterator[tuple[torch.Tensor, ...]]:
        for b in range(0, len(val_idx), 256):
            yield tuple(t.to(dev) for t in _pad(normed, val_idx[b : b + 256], n_features))

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
            val_total = sum(
                float(listwise_loss(net(x), y, m).item()) * x.shape[0] for x, y, m in val_batches()
            )
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
    state = {name: tensor.detach().cpu().numpy() for name, tensor in net.state_dict().items()}
    return Ranker(state, feature_names, mean, std, p), history
