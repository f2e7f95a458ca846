"""Leaderboards: what each ranking measures, how each is computed.

Every ranking covers the anime operators have not hidden, can be narrowed by genre, type,
season and year, and is computed with SQL aggregation (GROUP BY) over the collection table,
which holds data-set list entries and site users' entries alike. Global constants of a formula
(the prior mean, the vote prior, the maxima used to scale) are computed over the whole visible
catalogue, not over the filtered slice, so a filtered ranking is the global ranking restricted to
the filter.

**Top rated** -- Bayesian average with a minimum-votes prior::

    top(a) = v / (v + m) * R + m / (v + m) * C

``R`` is the mean of the 1-10 scores of anime ``a`` (site and data-set scores), ``v`` their number,
``C`` the mean of every score in the catalogue and ``m`` the 80th percentile of the number of
scores per scored anime, at least ``TOP_MIN_VOTES_FLOOR``. An anime needs ``m`` scores before its
own mean weighs as much as the prior, so three 10s do not top the chart. Anime without a score
are not ranked.

**Most popular** -- MyAnimeList members and collections on this site, each scaled to 0-1 by its
catalogue-wide maximum, weighted equally::

    popular(a) = 0.5 * members(a) / max(members) + 0.5 * collections(a) / max(collections)

``collections(a)`` counts collection entries of every source. MyAnimeList member counts run to
millions while the site's collections are counted in thousands; scaling each by its maximum keeps
either from drowning the other.

**Most favourited** -- the number of site users who marked the anime as a favourite. The data set
has no favourite flag, so data-set users never favourite anything; ties (including the common
"nobody yet") are broken by the number of 10/10 scores (``perfect_scores``, shown next to the
count), then by members. Anime with neither a favourite nor a 10/10 score are not ranked.

**Trending** -- time-decayed activity with a 7-day half-life, see ``activity.trending``: the sum
over recent events of ``weight(kind) * 2 ** (-age / 7 days)``, read from a Redis sorted set kept up
to date as events happen, or computed from the behaviour log when Redis is down
(``degraded: true``).

A ranking keeps its first ``MAX_RANKED`` anime. One module per formula: ``top_rated``,
``popular``, ``favorites``, ``trending``; the shared types are in ``rankings.formulas.base``.
Caching is in ``rankings.selectors`` (reads) and ``rankings.services`` (refresh).
"""

from __future__ import annotations

from datetime import datetime

from catalog.filters import CatalogFilter
from rankings.formulas.base import Ranking, RankingKind
from rankings.formulas.favorites import favorites_compute
from rankings.formulas.popular import popular_compute
from rankings.formulas.top_rated import top_rated_compute, top_rated_parameters
from rankings.formulas.trending import trending_compute

__all__ = [
    "Ranking",
    "RankingKind",
    "favorites_compute",
    "popular_compute",
    "ranking_compute",
    "top_rated_compute",
    "top_rated_parameters",
    "trending_compute",
]


def ranking_compute(*, kind: str, filters: CatalogFilter, now: datetime | None = None) -> Ranking:
    if kind == RankingKind.TOP:
        return top_rated_compute(filters=filters)
    if kind == RankingKind.POPULAR:
        return popular_compute(filters=filters)
    if kind == RankingKind.FAVORITES:
        return favorites_compute(filters=filters)
    if kind == RankingKind.TRENDING:
        return trending_compute(filters=filters, now=now)
    raise ValueError(f"unknown ranking kind {kind!r}")
