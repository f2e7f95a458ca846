"""Fifty requests at once against the real database leave exactly one consistent row."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from activity.models import Interaction
from favorites.models import CollectionEntry
from favorites.services import collection_entry_upsert
from tests.factories import AnimeFactory, UserFactory

PARALLEL = 50


def _run_together(task, count: int) -> list:
    """Run ``task(i)`` in ``count`` threads released at the same moment; each closes its connection."""
    barrier = threading.Barrier(count)

    def run(index: int):
        try:
            barrier.wait(timeout=60)
            return task(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_identical_posts_leave_one_row_and_one_set_of_events():
    # given
    user, anime = UserFactory(), AnimeFactory()
    payload = {"anime_id": anime.id, "status": "watching", "score": 8, "is_favorite": True}

    def post(_index: int) -> int:
        client = APIClient()
        client.force_authenticate(user)
        return client.post("/api/collection/", payload, format="json").status_code

    # when
    codes = _run_together(post, PARALLEL)

    # then
    assert sorted(codes) == [200] * (PARALLEL - 1) + [201]
    entries = list(CollectionEntry.objects.filter(user=user, anime=anime))
    assert len(entries) == 1
    assert (entries[0].status, entries[0].score, entries[0].is_favorite) == ("watching", 8, True)
    kinds = list(
        Interaction.objects.filter(user=user, anime=anime).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["list", "favorite"]


@pytest.mark.django_db(transaction=True)
def test_parallel_changes_to_different_fields_are_all_kept():
    # given
    user, anime = UserFactory(), AnimeFactory()
    changes = [{"status": "completed"}, {"score": 7}, {"is_favorite": True}]

    # when
    _run_together(
        lambda i: collection_entry_upsert(user=user, anime=anime, **changes[i % len(changes)]).created,
        PARALLEL,
    )

    # then
    entry = CollectionEntry.objects.get(user=user, anime=anime)
    assert (entry.status, entry.score, entry.is_favorite) == ("completed", 7, True)
    events = Interaction.objects.filter(user=user, anime=anime)
    assert events.filter(kind="list").count() == 1
    assert events.count() <= 1 + len(changes)
