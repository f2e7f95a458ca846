"""``manage.py similar_popularity``: is "fans also liked" a popularity list?

For each of the ``--anime`` most-interacted anime (collection entries), take its "fans also liked"
list as ``/api/anime/<id>/similar/`` builds it from a model version's co-occurrence (ItemKNN)
neighbours: hidden anime and the anime's own franchise left out
(:mod:`recsys.serving.franchises`), first ``--limit`` entries. Prints how often the ``--top`` most
popular anime (most collection entries) appear in those lists, with and without the franchise
filter, next to what a list drawn at random from the version's items would give. Reads the
database and the version's files; writes nothing.
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
    """The first ``limit`` neighbours that are not hidden, not ``anime_id`` and (with ``groups``)
    not of its franchise."""
    own = groups.key(anime_id) if groups is not None else None
    out = [
        i
        for i, _ in neighbours
        if i != anime_id and i not in hidden and (groups is None or groups.key(i) != own)
    ]
    return out[:limit]


class Command(BaseCommand):
    help = 'How often the most popular anime appear in "fans also liked" of the most-interacted anime.'

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--anime", type=int, default=300, help="most-interacted anime measured")
        parser.add_argument("--top", type=int, default=20, help="size of the most-popular set")
        parser.add_argument("--limit", type=int, default=12, help="length of each list (the API default)")
        parser.add_argument(
            "--version-dir", type=Path, default=None, help="model version folder (default: the active one)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from recsys.pipeline.bundle import load_bundle

        n_anime, top, limit = options["anime"], options["top"], options["limit"]
        if min(n_anime, top, limit) <= 0:
            raise CommandError("--anime, --top and --limit must be positive")
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
        for anime_id in counts[:n_anime]:
            wanted = limit + 6 + len(groups.mates(anime_id))
            neighbours = bundle.similar_cooccurrence(anime_id, wanted)
            raw.append(fans_also_liked(neighbours, anime_id, limit=limit, hidden=hidden, groups=None))
            filtered.append(fans_also_liked(neighbours, anime_id, limit=limit, hidden=hidden, groups=groups))
        n_items = len(bundle.item_ids)
        self.stdout.write(
            f"version {folder.name}: {len(counts[:n_anime])} most-interacted anime, top {top} popular, "
            f"lists of {limit}, {n_items} items"
        )
        self.stdout.write(popular_share(filtered, popular).line("fans also liked (franchise left out)"))
        self.stdout.write(popular_share(raw, popular).line("co-occurrence neighbours (franchise kept)"))
        self.stdout.write(
            f"random lists: {100 * top / max(n_items, 1):.1f}% of entries, "
            f"{100 * (1 - (1 - top / max(n_items, 1)) ** limit):.1f}% of lists hold a top anime"
        )
