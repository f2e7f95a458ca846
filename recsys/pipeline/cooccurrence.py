"""Popularity damping of co-occurrence neighbours ("fans also liked") and its held-out check.

ItemKNN keeps each anime's 100 nearest neighbours by cosine of who-watched-what,
``cos(i, j) = c_ij / sqrt(n_i n_j)`` (``c_ij`` users with both, ``n_j`` users of ``j``). "Fans
also liked" re-orders them by

    damped(i, j) = cos(i, j) x n_j ** -alpha

(``alpha = 0``: the cosine; ``alpha = 0.5``: ``c_ij / (sqrt(n_i) n_j)``, the lift up to a factor of
``i``'s own count), so an anime everyone watched must share more of ``i``'s fans to stay in the
list. ``alpha`` is chosen by :func:`damping_check` on held-out users who liked ``i``: not by how
many of the list they also liked (precision: a list of the most popular anime scores well on that
for any ``i``), but by how many more than users in general (precision above the base rate, the
share of all held-out users who liked each entry): relevance that ``i`` explains. Damping costs
some of it (the popular neighbours are co-liked above the base rate too): the largest ``alpha``
that keeps ``KEEP`` of the undamped figure is chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DAMPING_GRID = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0)
KEEP = 0.95


def damped_order(
    ids: npt.NDArray[np.int64], sims: npt.NDArray[np.float32], counts: npt.NDArray[np.float32], alpha: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Neighbours ``ids`` (``-1``: none) re-scored by ``sims x counts[ids] ** -alpha``, best first.

    Returns ``(ids, scores)`` without the ``-1`` entries; ties keep the given order.
    """
    keep = ids >= 0
    ids, sims = ids[keep], sims[keep]
    if alpha == 0.0 or ids.size == 0:
        return ids, sims
    scores = (sims * np.maximum(counts[ids], 1.0) ** -alpha).astype(np.float32)
    order = np.argsort(-scores, kind="stable")
    return ids[order], scores[order]


@dataclass(frozen=True)
class DampingRow:
    """One ``alpha`` of :func:`damping_check`: ``precision`` (held-out users who liked the anime
    also liked this share of its list), ``excess`` (precision minus the mean base rate of the
    entries), ``popular_share`` (list entries among the most popular), ``lists`` and ``pairs``
    (anime x held-out user pairs measured)."""

    alpha: float
    precision: float
    excess: float
    popular_share: float
    lists: int
    pairs: int


def damping_check(
    *,
    anime: Sequence[int],
    neighbours: Callable[[int, float], list[int]],
    heldout_liked: Sequence[frozenset[int]],
    popular: frozenset[int],
    grid: Sequence[float] = DAMPING_GRID,
) -> list[DampingRow]:
    """Measure each ``alpha`` of ``grid`` on the lists of ``anime``.

    Parameters
    ----------
    anime : sequence of int
        Item indices whose lists are measured.
    neighbours : callable
        ``neighbours(item, alpha)``: the list as served (franchise left out, cut to its length),
        from a model fitted without the held-out users.
    heldout_liked : sequence of frozenset
        Each held-out user's liked items.
    popular : frozenset of int
        The most popular items.
    """
    fans: dict[int, list[frozenset[int]]] = {a: [] for a in anime}
    likes: dict[int, int] = {}
    for liked in heldout_liked:
        for a in liked:
            likes[a] = likes.get(a, 0) + 1
            if a in fans:
                fans[a].append(liked)
    n_users = max(len(heldout_liked), 1)
    rows = []
    for alpha in grid:
        hits = slots = pairs = popular_slots = entries = 0
        expected = 0.0
        for a in anime:
            items = neighbours(a, alpha)
            entries += len(items)
            popular_slots += sum(1 for i in items if i in popular)
            base = sum(likes.get(i, 0) for i in items) / n_users
            for liked in fans[a]:
                hits += sum(1 for i in items if i in liked)
                expected += base
                slots += len(items)
                pairs += 1
        rows.append(
            DampingRow(
                alpha=alpha,
                precision=hits / max(slots, 1),
                excess=(hits - expected) / max(slots, 1),
                popular_share=popular_slots / max(entries, 1),
                lists=len(anime),
                pairs=pairs,
            )
        )
    return rows


def choose_damping(rows: Sequence[DampingRow], *, keep: float = KEEP) -> DampingRow:
    """The largest ``alpha`` whose held-out precision above the base rate is at least ``keep`` x
    the undamped lists' (a relevance budget spent on fewer popular entries)."""
    base = next(r for r in rows if r.alpha == 0.0)
    return max((r for r in rows if r.excess >= keep * base.excess), key=lambda r: r.alpha)
