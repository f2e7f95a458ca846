"""``manage.py similar_popularity``: is "fans also liked" a popularity list?

For each of the ``--anime`` most-interacted anime (collection entries), take its "fans also liked"
list as ``/api/anime/<id>/similar/`` builds it from a model version's co-occurrence (ItemKNN)
neighbours: hidden anime and the anime's own franchise left out
(:mod:`recsys.serving.franchises`), first ``--limit`` entries. Prints how often the ``--top`` most
popular anime (most collection entries) appear in those lists, with and without the franchise
filter, with the served popularity damping (:data:`recsys.serving.similar.FANS_DAMPING`), next
to what a list drawn at random from the version's items would give. Reads the database and the
version's files; writes nothing.

``--check``: choose the damping on held-out users instead (:mod:`recsys.pipeline.cooccurrence`):
ItemKNN fitted on a seeded 80 % of the users, the lists of the same anime for each damping on the
grid, measured by how many of their entries the other 20 % of users who liked the anime also liked
(precision), how many more than held-out users in general liked them (precision above the base
rate: the largest damping keeping 95 % of the undamped figure is chosen) and by their share of top
anime.
"""

from __future__ import annotations

from argparse import ArgumentParser
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from favorites.models import CollectionEntry
from recsys.models import ModelVersion
from recsys.serving.franchises import FranchiseMap, franchise_map
from recsys.serving.popularity import hidden_anime_ids
from recsys.serving.similar import FANS_DAMPING, fans_filter, neighbours_wanted


@dataclass(frozen=True)
class PopularShare:
    """``lists``: lists measured; ``with_popular``: lists holding at least one popular anime;
    ``slots``: entries in all lists; ``popular_slots``: entries that are popular anime."""

    lists: int
    with_popular: int
    slots: int
    popular_slots: int

    def line(self, label: str) -> str:
        lists, slots = max(self.lists, 1), max(self.slots, 1)
        list_pct = 100 * self.with_popular / lists
        slot_pct = 100 * self.popular_slots / slots
        return (
            f"{label}: {self.with_popular}/{self.lists} lists ({list_pct:.1f}%) hold a top anime; "
            f"{self.popular_slots}/{self.slots} entries ({slot_pct:.1f}%), "
            f"{self.popular_slots / lists:.2f} per list"
        )


def popular_share(lists: list[list[int]], popular: set[int]) -> PopularShare:
    """Count the ``popular`` anime in ``lists`` (see :class:`PopularShare`)."""
    return PopularShare(
        lists=len(lists),
        with_popular=sum(1 for ids in lists if popular & set(ids)),
        slots=sum(len(ids) for ids in lists),
        popular_slots=sum(sum(1 for i in ids if i in popular) for ids in lists),
    )


def fans_also_liked(
    neighbours: list[tuple[int, float]],
    anime_id: int,
    *,
    limit: int,
    hidden: frozenset[int],
    groups: FranchiseMap | None,
) -> list[int]:
    """The first ``limit`` ids "fans also liked" shows (:func:`recsys.serving.similar.fans_filter`)."""
    return [i for i, _ in fans_filter(neighbours, anime_id, hidden=hidden, groups=groups)[:limit]]


class Command(BaseCommand):
    help = 'How often the most popular anime appear in "fans also liked" of the most-interacted anime.'

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--anime", type=int, default=300, help="most-interacted anime measured")
        parser.add_argument("--top", type=int, default=20, help="size of the most-popular set")
        parser.add_argument("--limit", type=int, default=12, help="length of each list (the API default)")
        parser.add_argument(
            "--version-dir", type=Path, default=None, help="model version folder (default: the active one)"
        )
        parser.add_argument(
            "--check", action="store_true", help="choose the damping on held-out users (fits ItemKNN)"
        )
        parser.add_argument("--seed", type=int, default=42, help="--check: seed of the user split")

    def handle(self, *args: Any, **options: Any) -> None:
        from recsys.pipeline.bundle import load_bundle

        n_anime, top, limit = options["anime"], options["top"], options["limit"]
        if min(n_anime, top, limit) <= 0:
            raise CommandError("--anime, --top and --limit must be positive")
        if options["check"]:
            self._check(n_anime=n_anime, top=top, limit=limit, seed=options["seed"])
            return
        folder: Path | None = options["version_dir"]
        if folder is None:
            active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
            if active is None:
                raise CommandError("no active model version; give --version-dir")
            from recsys.registry.storage import version_local_dir

            folder = version_local_dir(active.version, active.artifact_dir) or Path(active.artifact_dir)
        if not folder.is_dir():
            raise CommandError(f"no model version folder at {folder}")
        bundle = load_bundle(folder)
        counts = list(
            CollectionEntry.objects.values("anime_id")
            .annotate(n=Count("id"))
            .order_by("-n", "anime_id")
            .values_list("anime_id", flat=True)[: max(n_anime, top)]
        )
        popular = set(counts[:top])
        hidden = hidden_anime_ids()
        groups = franchise_map()
        raw: list[list[int]] = []
        filtered: list[list[int]] = []
        damped: list[list[int]] = []
        for anime_id in counts[:n_anime]:
            wanted = neighbours_wanted(limit, len(groups.mates(anime_id)))
            neighbours = bundle.similar_cooccurrence(anime_id, wanted)
            raw.append(fans_also_liked(neighbours, anime_id, limit=limit, hidden=hidden, groups=None))
            filtered.append(fans_also_liked(neighbours, anime_id, limit=limit, hidden=hidden, groups=groups))
            served = bundle.similar_cooccurrence(anime_id, wanted, damping=FANS_DAMPING)
            damped.append(fans_also_liked(served, anime_id, limit=limit, hidden=hidden, groups=groups))
        n_items = len(bundle.item_ids)
        self.stdout.write(
            f"version {folder.name}: {len(counts[:n_anime])} most-interacted anime, top {top} popular, "
            f"lists of {limit}, {n_items} items"
        )
        self.stdout.write(
            popular_share(damped, popular).line(f"fans also liked as served (damping {FANS_DAMPING:g})")
        )
        self.stdout.write(popular_share(filtered, popular).line("fans also liked without damping"))
        self.stdout.write(popular_share(raw, popular).line("co-occurrence neighbours (franchise kept)"))
        self.stdout.write(
            f"random lists: {100 * top / max(n_items, 1):.1f}% of entries, "
            f"{100 * (1 - (1 - top / max(n_items, 1)) ** limit):.1f}% of lists hold a top anime"
        )

    def _check(self, *, n_anime: int, top: int, limit: int, seed: int) -> None:
        import shutil
        import tempfile

        import numpy as np

        from recsys.pipeline.content_eval import liked_rows
        from recsys.pipeline.cooccurrence import KEEP, choose_damping, damped_order, damping_check
        from recsys.pipeline.recommenders import ItemKNNRecommender, TrainData, binary
        from recsys.pipeline.source import dataset_from_database

        work = Path(tempfile.mkdtemp(prefix="similar-check-"))
        try:
            dataset = dataset_from_database(export_dir=work / "export")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if dataset.n_rows == 0:
            raise CommandError("no interactions")
        rng = np.random.default_rng(seed)
        heldout_users = rng.permutation(dataset.n_users)[: dataset.n_users // 5]
        heldout = np.isin(dataset.user, heldout_users)
        knn = ItemKNNRecommender().fit(TrainData(matrix=dataset.matrix(~heldout), items=dataset.items))
        counts = np.asarray(binary(dataset.matrix(~heldout)).sum(axis=0), dtype=np.float32).ravel()
        liked = liked_rows(dataset)
        users_liked: dict[int, set[int]] = {}
        for r in np.flatnonzero(heldout & liked).tolist():
            users_liked.setdefault(int(dataset.user[r]), set()).add(int(dataset.item[r]))
        by_rows = np.argsort(-np.bincount(dataset.item, minlength=dataset.n_items), kind="stable")
        popular = frozenset(int(i) for i in by_rows[:top])
        measured = [int(i) for i in by_rows[:n_anime]]
        groups = franchise_map()
        hidden = hidden_anime_ids()
        anime_ids = dataset.items.anime_ids.tolist()

        def neighbours(item: int, alpha: float) -> list[int]:
            ids, sims = knn.similar_items(item, knn.k_neighbours)
            ids, _ = damped_order(ids, sims, counts, alpha)
            own = groups.key(int(anime_ids[item]))
            out = [
                int(j)
                for j in ids.tolist()
                if anime_ids[j] not in hidden and groups.key(int(anime_ids[j])) != own
            ]
            return out[:limit]

        rows = damping_check(
            anime=measured,
            neighbours=neighbours,
            heldout_liked=[frozenset(v) for v in users_liked.values()],
            popular=popular,
        )
        self.stdout.write(
            f"ItemKNN on {dataset.n_users - heldout_users.size} users; {len(users_liked)} held-out users "
            f"with liked anime; {len(measured)} lists of {limit}; top {top} popular"
        )
        self.stdout.write("damping | held-out precision | above the base rate | top-anime share | pairs")
        for row in rows:
            self.stdout.write(
                f"{row.alpha:g} | {row.precision:.4f} | {row.excess:.4f} | {100 * row.popular_share:.1f}% "
                f"| {row.pairs}"
            )
        chosen = choose_damping(rows)
        self.stdout.write(
            f"chosen (largest keeping {100 * KEEP:.0f}% of the undamped precision above the base rate): "
            f"{chosen.alpha:g}"
        )
