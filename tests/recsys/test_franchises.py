"""Franchises in the recommender: the catalogue's franchise groups, the title stem only without one.

Dragon Ball / Dragon Ball Z / Dragon Ball GT (three title stems) and Natsume Yuujinchou / Zoku
Natsume Yuujinchou (two stems) are each one catalogue ``Franchise``; lists show one entry of each,
"not interested" covers the whole franchise, and similar anime answers "related entries" apart
from "fans also liked".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from rest_framework.test import APIClient

from animesite.process_cache import process_cache
from catalog.models import Anime, Franchise
from recsys.pipeline.data import ItemTable, franchise_ids, franchise_key
from recsys.registry import model_version_train
from recsys.serving import bundles, freshness
from recsys.serving.franchises import franchise_map
from tests.factories import AnimeFactory, CollectionEntryFactory, GenreFactory, UserFactory
from tests.recsys.serving_fakes import FakeBundle, fake_load, fake_train

DRAGON_BALL = ["Dragon Ball", "Dragon Ball Z", "Dragon Ball GT"]
NATSUME = ["Natsume Yuujinchou", "Zoku Natsume Yuujinchou"]


# --- training data ----------------------------------------------------------------------------


def test_franchise_ids_follow_the_catalogue_and_fall_back_to_the_title_stem():
    titles = [*DRAGON_BALL, *NATSUME, "Mushishi", "Mushishi Season 2"]
    # the title stems alone split both franchises
    assert len({franchise_key(t) for t in DRAGON_BALL}) == 3
    assert franchise_key(NATSUME[0]) != franchise_key(NATSUME[1])
    by_stem = franchise_ids(titles)
    assert len(set(by_stem[:3].tolist())) == 3 and by_stem[3] != by_stem[4]

    # with catalogue franchises 7 (Dragon Ball) and 9 (Natsume); Mushishi has none
    catalogue = [7, 7, 7, 9, 9, None, float("nan")]
    ids = franchise_ids(titles, catalogue)
    assert ids[0] == ids[1] == ids[2]
    assert ids[3] == ids[4] != ids[0]
    assert ids[5] == ids[6] and ids[5] not in {ids[0], ids[3]}  # the stem "mushishi"
    assert len(set(ids.tolist())) == 3


def test_item_table_keeps_catalogue_franchises_and_reads_frames_without_them(tmp_path):
    frame = pd.DataFrame(
        {
            "anime_id": [1, 2, 3, 4],
            "title": ["Dragon Ball", "Dragon Ball Z", "Natsume Yuujinchou", "Zoku Natsume Yuujinchou"],
            "type": ["TV"] * 4,
            "year": [1986, 1989, 2008, 2009],
            "aired_from": [None] * 4,
            "score": [7.9, 8.2, 8.4, 8.6],
            "members": [1.0, 2.0, 3.0, 4.0],
            "genres": [["Action"], ["Action"], ["Drama"], ["Drama"]],
            "franchise_id": [5.0, 5.0, np.nan, np.nan],
        }
    )
    items = ItemTable.from_frame(frame)
    assert items.franchise[0] == items.franchise[1]
    assert items.franchise[2] != items.franchise[3]  # no catalogue franchise: stems differ

    # a model version saves the ids and reads them back as they were
    items.save(tmp_path / "items")
    assert ItemTable.load(tmp_path / "items").franchise.tolist() == items.franchise.tolist()

    # tables exported before franchises existed: title stems, as before
    old = ItemTable.from_frame(frame.drop(columns=["franchise_id"]))
    assert old.franchise.tolist() == franchise_ids(frame["title"].tolist()).tolist()


# --- serving ----------------------------------------------------------------------------------


@pytest.fixture
def serving(settings, tmp_path, monkeypatch):
    settings.MODELS_DIR = str(tmp_path / "models")
    monkeypatch.setattr(bundles, "bundle_loader", fake_load)
    bundles.active_model_forget()
    process_cache.clear()
    freshness.catalogue_check_reset()
    yield
    bundles.active_model_forget()
    process_cache.clear()
    monkeypatch.setattr(FakeBundle, "cooccurrence", {})


@pytest.fixture
def world(serving) -> dict[str, Any]:
    """Dragon Ball (three entries) and Natsume (two) as catalogue franchises, six other anime;
    3-d item vectors: Dragon Ball on the first axis, Natsume on the second, the others between."""
    genre = GenreFactory.create(name="Adventure")
    dragon_ball = Franchise.objects.create(key="mal:223", name_en="Dragon Ball")
    natsume = Franchise.objects.create(key="mal:4081", name_en="Natsume's Book of Friends")
    vectors: dict[int, list[float]] = {}
    titled: dict[str, Anime] = {}
    spec = [
        (DRAGON_BALL[0], dragon_ball, [1.0, 0.30, 0.0], 900_000, "1986-02-26"),
        (DRAGON_BALL[1], dragon_ball, [1.0, 0.32, 0.0], 950_000, "1989-04-26"),
        (DRAGON_BALL[2], dragon_ball, [1.0, 0.28, 0.0], 850_000, "1996-02-07"),
        (NATSUME[0], natsume, [0.30, 1.0, 0.0], 800_000, "2008-07-08"),
        (NATSUME[1], natsume, [0.32, 1.0, 0.0], 780_000, "2009-01-06"),
        ("Mushishi", None, [0.7, 0.7, 0.0], 700_000, "2005-10-23"),
        ("Haikyuu!!", None, [0.6, 0.6, 0.3], 690_000, "2014-04-06"),
        ("Kino no Tabi", None, [0.3, 0.3, 0.9], 680_000, "2003-04-08"),
        ("Monster", None, [0.5, 0.2, 0.8], 670_000, "2004-04-07"),
        ("Planetes", None, [0.2, 0.5, 0.8], 660_000, "2003-10-04"),
        ("Uchouten Kazoku", None, [0.1, 0.1, 1.0], 650_000, "2013-07-07"),
    ]
    for title, franchise, vector, members, aired in spec:
        anime = AnimeFactory.create(
            title=title, franchise=franchise, members=members, aired_from=aired, genres=[genre]
        )
        titled[title] = anime
        vectors[anime.id] = vector
    version = model_version_train(train_fn=fake_train(vectors), load_fn=fake_load)
    return {"titled": titled, "version": version}


def _ids(body: dict[str, Any], field: str = "results") -> list[int]:
    return [item["id"] for item in body[field]]


@pytest.mark.django_db
def test_dragon_ball_is_one_entry_in_every_list(world):
    titled: dict[str, Anime] = world["titled"]
    dragon_ball = {titled[t].id for t in DRAGON_BALL}
    natsume = {titled[t].id for t in NATSUME}

    # anonymous: the three most followed anime are Dragon Ball's; one of them is shown
    anonymous = APIClient().get("/api/recommendations/", {"limit": 6}).json()
    assert len(anonymous["results"]) == 6
    assert len(dragon_ball & set(_ids(anonymous))) == 1
    assert len(natsume & set(_ids(anonymous))) == 1

    # personalised: a Mushishi fan, scored by the model (both franchises are close to Mushishi)
    user = UserFactory.create()
    CollectionEntryFactory.create(user=user, anime=titled["Mushishi"], score=9)
    client = APIClient()
    client.force_login(user)
    body = client.get("/api/recommendations/", {"limit": 6}).json()
    assert body["degraded"] is False
    ids = _ids(body)
    assert len(ids) == 6
    assert len(dragon_ball & set(ids)) == 1
    assert len(natsume & set(ids)) == 1
    assert titled["Mushishi"].id not in ids


@pytest.mark.django_db
def test_not_interested_hides_franchise_mates_whose_titles_share_no_stem(world):
    titled: dict[str, Anime] = world["titled"]
    user = UserFactory.create()
    CollectionEntryFactory.create(user=user, anime=titled["Mushishi"], score=9)
    client = APIClient()
    client.force_login(user)
    natsume = {titled[t].id for t in NATSUME}
    shown = natsume & set(_ids(client.get("/api/recommendations/", {"limit": 6}).json()))
    assert len(shown) == 1

    # when
    (marked,) = shown
    response = client.post("/api/recommendations/not-interested/", {"anime_id": marked}, format="json")

    # then neither entry of the franchise, although the two titles share no stem
    assert response.status_code == 201
    ids = _ids(client.get("/api/recommendations/", {"limit": 6}).json())
    assert not natsume & set(ids)
    assert len(ids) == 6

    # a disliked Dragon Ball entry keeps the whole franchise out as well
    CollectionEntryFactory.create(user=user, anime=titled["Dragon Ball GT"], score=2)
    ids = _ids(client.get("/api/recommendations/", {"limit": 6}).json())
    assert not {titled[t].id for t in DRAGON_BALL} & set(ids)


@pytest.mark.django_db
def test_a_franchise_only_planned_is_not_recommended_until_started(world):
    titled: dict[str, Anime] = world["titled"]
    dragon_ball = {titled[t].id for t in DRAGON_BALL}
    user = UserFactory.create()
    CollectionEntryFactory.create(user=user, anime=titled["Mushishi"], score=9)
    client = APIClient()
    client.force_login(user)
    assert dragon_ball & set(_ids(client.get("/api/recommendations/", {"limit": 6}).json()))

    # when: the user plans to watch Dragon Ball (no score): Z and GT would skip where they start
    CollectionEntryFactory.create(user=user, anime=titled["Dragon Ball"], status="want_to_watch", score=None)

    # then
    ids = _ids(client.get("/api/recommendations/", {"limit": 6}).json())
    assert not dragon_ball & set(ids)
    assert len(ids) == 6

    # once an entry is watched the franchise is started: its other entries may come back
    CollectionEntryFactory.create(user=user, anime=titled["Dragon Ball Z"], status="completed", score=8)
    ids = _ids(client.get("/api/recommendations/", {"limit": 6}).json())
    assert titled["Dragon Ball GT"].id in ids


def test_entry_point_is_where_a_newcomer_starts():
    from recsys.serving.franchises import FranchiseMap

    # franchise 1: a special, the first series, a sequel, a film; franchise 2: new anime (no figures)
    groups = FranchiseMap(
        franchise_of={10: 1, 11: 1, 12: 1, 13: 1, 20: 2, 21: 2, 22: 2},
        titles={30: "Alone"},
        members={1: (10, 11, 12, 13), 2: (20, 21, 22)},
        followers={10: 5_000, 11: 900_000, 12: 400_000, 13: 950_000, 20: 0, 21: 0, 22: 0},
        kinds={10: "Special", 11: "TV", 12: "TV", 13: "Movie", 20: "Special", 21: "TV", 22: "TV"},
    )
    assert groups.entry_point(12) == 11  # the sequel -> the most followed entry before it
    assert groups.entry_point(11) == 11  # not the little-followed special aired before it
    assert groups.entry_point(13) == 13  # followed more than anything before it (a remake, a hit film)
    assert groups.entry_point(10) == 10  # the first entry
    assert groups.entry_point(22) == 21  # new anime: the first TV entry before it
    assert groups.entry_point(21) == 21  # no TV entry before it
    assert groups.entry_point(30) == 30  # no catalogue franchise


@pytest.mark.django_db
def test_fans_also_liked_shows_a_franchise_by_its_entry_point(world, monkeypatch):
    # given: Dragon Ball GT is Mushishi's nearest neighbour; Dragon Ball Z is the most followed
    titled: dict[str, Anime] = world["titled"]
    mushishi = titled["Mushishi"]
    taste = {mushishi.id: [(titled["Dragon Ball GT"].id, 0.9), (titled["Haikyuu!!"].id, 0.8)]}
    monkeypatch.setattr(FakeBundle, "cooccurrence", taste)

    body = APIClient().get(f"/api/anime/{mushishi.id}/similar/", {"limit": 5}).json()

    # then: the franchise is shown where a newcomer starts, with GT's place and similarity
    assert _ids(body) == [titled["Dragon Ball Z"].id, titled["Haikyuu!!"].id]
    assert body["results"][0]["similarity"] == 0.9

    # an entry point that is hidden leaves the neighbour as it was
    Anime.objects.filter(pk=titled["Dragon Ball Z"].pk).update(is_hidden=True)
    process_cache.clear()
    body = APIClient().get(f"/api/anime/{mushishi.id}/similar/", {"limit": 5}).json()
    assert _ids(body)[0] in {titled["Dragon Ball GT"].id, titled["Dragon Ball"].id}


@pytest.mark.django_db
def test_a_newcomer_is_offered_a_franchise_where_it_starts(world):
    titled: dict[str, Anime] = world["titled"]
    # Dragon Ball Z is the model's pick for a Mushishi fan; make Dragon Ball the most followed
    Anime.objects.filter(pk=titled["Dragon Ball"].pk).update(members=2_000_000)
    process_cache.clear()
    user = UserFactory.create()
    CollectionEntryFactory.create(user=user, anime=titled["Mushishi"], score=9)
    client = APIClient()
    client.force_login(user)

    body = client.get("/api/recommendations/", {"limit": 6}).json()

    # then: Dragon Ball itself, with the pick's reason
    shown = [item for item in body["results"] if item["id"] in {titled[t].id for t in DRAGON_BALL}]
    assert [item["id"] for item in shown] == [titled["Dragon Ball"].id]
    assert shown[0]["reason"] == {
        "code": "because_you_liked",
        "anime_id": titled["Mushishi"].id,
        "title": "Mushishi",
    }

    # a fan who has started the franchise gets its continuation as the model ranks it
    CollectionEntryFactory.create(user=user, anime=titled["Dragon Ball GT"], status="completed", score=8)
    ids = _ids(client.get("/api/recommendations/", {"limit": 6}).json())
    assert titled["Dragon Ball Z"].id in ids


@pytest.mark.django_db
def test_an_operator_merge_reaches_the_lists_without_retraining(world):
    titled: dict[str, Anime] = world["titled"]
    # Kino no Tabi and Monster are two franchises until an operator puts them in one
    before = franchise_map()
    assert before.key(titled["Kino no Tabi"].id) != before.key(titled["Monster"].id)
    merged = Franchise.objects.create(key="op:1", name_en="Travels", is_curated=True)
    Anime.objects.filter(pk__in=[titled["Kino no Tabi"].pk, titled["Monster"].pk]).update(franchise=merged)
    process_cache.clear()  # what a catalogue edit does (recsys.serving.freshness)
    after = franchise_map()
    assert after.key(titled["Kino no Tabi"].id) == after.key(titled["Monster"].id) == f"f{merged.pk}"
    assert after.mates(titled["Monster"].id) == (titled["Kino no Tabi"].id,)


@pytest.mark.django_db
def test_similar_answers_related_entries_and_fans_also_liked(world, monkeypatch):
    titled: dict[str, Anime] = world["titled"]
    dbz = titled["Dragon Ball Z"]
    # co-occurrence neighbours of Dragon Ball Z: its franchise-mates first, as in real data
    taste = {
        dbz.id: [
            (titled["Dragon Ball"].id, 0.95),
            (titled["Dragon Ball GT"].id, 0.90),
            (titled["Haikyuu!!"].id, 0.60),
            (titled["Mushishi"].id, 0.50),
        ]
    }
    monkeypatch.setattr(FakeBundle, "cooccurrence", taste)

    body = APIClient().get(f"/api/anime/{dbz.id}/similar/", {"limit": 5}).json()

    assert body["method"] == "cooccurrence"
    # related entries: the franchise's other entries, in air order
    assert _ids(body, "related") == [titled["Dragon Ball"].id, titled["Dragon Ball GT"].id]
    # fans also liked: no franchise-mate, no Dragon Ball Z itself
    assert _ids(body) == [titled["Haikyuu!!"].id, titled["Mushishi"].id]
    assert body["results"][0]["similarity"] == 0.6

    # an anime without a catalogue franchise has no related entries; vectors answer for it
    alone = APIClient().get(f"/api/anime/{titled['Planetes'].id}/similar/", {"limit": 3}).json()
    assert alone["related"] == []
    assert alone["method"] == "vectors" and len(alone["results"]) == 3
    # vector neighbours leave franchise-mates out too: Natsume's sequel is not "fans also liked"
    natsume = APIClient().get(f"/api/anime/{titled[NATSUME[0]].id}/similar/", {"limit": 4}).json()
    assert titled[NATSUME[1]].id not in _ids(natsume)
    assert _ids(natsume, "related") == [titled[NATSUME[1]].id]


# --- "fans also liked" and popularity -------------------------------------------------------------


def test_popular_share_counts_lists_and_entries():
    from recsys.management.commands.similar_popularity import popular_share

    share = popular_share([[1, 2, 3], [4, 5, 6], [1, 4, 7]], {1, 4})
    assert (share.lists, share.with_popular, share.slots, share.popular_slots) == (3, 3, 9, 4)
    assert "3/3 lists (100.0%)" in share.line("x") and "4/9 entries (44.4%)" in share.line("x")
    assert popular_share([[9, 8]], {1}).with_popular == 0


@pytest.mark.django_db
def test_fans_also_liked_leaves_out_the_franchise_hidden_and_itself(world):
    from recsys.management.commands.similar_popularity import fans_also_liked

    titled: dict[str, Anime] = world["titled"]
    dbz, db, gt, mushishi, monster = (
        titled[t].id for t in ("Dragon Ball Z", "Dragon Ball", "Dragon Ball GT", "Mushishi", "Monster")
    )
    neighbours = [(dbz, 1.0), (db, 0.9), (mushishi, 0.8), (gt, 0.7), (monster, 0.6)]
    groups = franchise_map()
    kept = fans_also_liked(neighbours, dbz, limit=5, hidden=frozenset({monster}), groups=groups)
    assert kept == [mushishi]
    assert fans_also_liked(neighbours, dbz, limit=2, hidden=frozenset(), groups=None) == [db, mushishi]


@pytest.mark.django_db
def test_fans_also_liked_shows_each_other_franchise_once(world, monkeypatch):
    # given: Mushishi's co-occurrence neighbours hold three Dragon Ball entries and two of Natsume
    titled: dict[str, Anime] = world["titled"]
    mushishi = titled["Mushishi"]
    order = ["Dragon Ball Z", "Dragon Ball", NATSUME[0], "Dragon Ball GT", "Haikyuu!!", NATSUME[1], "Monster"]
    taste = {mushishi.id: [(titled[t].id, 0.9 - 0.1 * n) for n, t in enumerate(order)]}
    monkeypatch.setattr(FakeBundle, "cooccurrence", taste)

    # when
    body = APIClient().get(f"/api/anime/{mushishi.id}/similar/", {"limit": 5}).json()

    # then: the best-placed entry of each franchise, in order (four franchises for five places)
    expected = ["Dragon Ball Z", NATSUME[0], "Haikyuu!!", "Monster"]
    assert _ids(body) == [titled[t].id for t in expected]
    groups = franchise_map()
    assert len({groups.key(i) for i in _ids(body)}) == len(_ids(body))


@pytest.mark.django_db
def test_similar_popularity_command_needs_a_model_version(tmp_path):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="no active model version"):
        call_command("similar_popularity")
    with pytest.raises(CommandError, match="no model version folder"):
        call_command("similar_popularity", "--version-dir", str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="must be positive"):
        call_command("similar_popularity", "--top", "0")
