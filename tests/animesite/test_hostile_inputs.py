"""Inputs that used to reach the database or Python's limits and answer 500 are 400s with the field
named, or skipped and reported: numbers past a column's range, digits that ``str.isdigit`` accepts
but ``int`` refuses (superscripts), lone UTF-16 surrogates in JSON bodies, dates at the calendar's
end, and MyAnimeList exports carrying any of these. Nothing is stored by a refused request."""

from __future__ import annotations

import json
import re

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from favorites.mal_xml import MAX_MAL_ID, MAX_UNIX_TIME, read_mal_export
from favorites.models import MAX_EPISODES_WATCHED, CollectionEntry, ImportJob
from tests.factories import AnimeFactory, CollectionEntryFactory, UserFactory
from tests.favorites.test_mal_import import mal_entry, mal_xml, upload

pytestmark = pytest.mark.django_db

HUGE = [2**32, 2**40, 2**63, MAX_EPISODES_WATCHED + 1]


@pytest.mark.parametrize("episodes", HUGE)
@pytest.mark.parametrize("method", ["post", "patch", "put"])
def test_episodes_past_any_anime_are_a_field_error_when_the_count_is_unknown(
    user_client, user, method, episodes
):
    # given: an anime whose episode count is unknown (nothing else caps the number)
    anime = AnimeFactory(episodes=None)
    if method != "post":
        CollectionEntryFactory(user=user, anime=anime, status="watching", episodes_watched=3)

    # when
    if method == "post":
        response = user_client.post(
            "/api/collection/", {"anime_id": anime.pk, "episodes_watched": episodes}, format="json"
        )
    else:
        response = getattr(user_client, method)(
            f"/api/collection/{anime.pk}/",
            {"episodes_watched": episodes, "status": "watching"},
            format="json",
        )

    # then
    assert response.status_code == 400, response.content
    assert "episodes_watched" in response.json()["extra"]["fields"]
    stored = CollectionEntry.objects.filter(user=user, anime=anime).values_list("episodes_watched", flat=True)
    assert list(stored) == ([] if method == "post" else [3])


def test_plus_one_stops_at_the_cap_when_the_count_is_unknown(user_client, user):
    # given
    anime = AnimeFactory(episodes=None)
    CollectionEntryFactory(user=user, anime=anime, status="watching", episodes_watched=MAX_EPISODES_WATCHED)

    # when
    response = user_client.post(f"/api/collection/{anime.pk}/progress/")

    # then
    assert response.status_code in (200, 201), response.content
    assert CollectionEntry.objects.get(user=user, anime=anime).episodes_watched == MAX_EPISODES_WATCHED


def test_the_cap_itself_is_accepted(user_client, user):
    anime = AnimeFactory(episodes=None)
    response = user_client.post(
        "/api/collection/", {"anime_id": anime.pk, "episodes_watched": MAX_EPISODES_WATCHED}, format="json"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/collection/", '{"anime_id": %(id)d, "status": "\\ud800"}'),
        ("/api/collection/", '{"anime_id": %(id)d, "status": "watching", "\\udc00": 1}'),
        ("/api/collection/", '{"anime_id": %(id)d, "status": ["ok", {"x": "a\\udfffb"}]}'),
    ],
)
def test_a_lone_surrogate_in_a_json_body_is_a_400_and_stores_nothing(user_client, user, path, body):
    # given
    anime = AnimeFactory()

    # when: JSON allows "\ud800" escapes, but no text holds them (echoing one back could not be encoded)
    response = user_client.post(path, data=body % {"id": anime.pk}, content_type="application/json")

    # then
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"
    assert not CollectionEntry.objects.filter(user=user).exists()


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_lone_surrogate_in_a_choice_field_leaves_the_entry_unchanged(user_client, user, method):
    anime = AnimeFactory()
    CollectionEntryFactory(user=user, anime=anime, status="watching", score=7)
    response = getattr(user_client, method)(
        f"/api/collection/{anime.pk}/", data='{"status": "\\ud800"}', content_type="application/json"
    )
    assert response.status_code == 400, response.content
    entry = CollectionEntry.objects.get(user=user, anime=anime)
    assert (entry.status, entry.score) == ("watching", 7)


def test_a_lone_surrogate_as_login_username_is_a_400():
    client = APIClient(enforce_csrf_checks=False)
    response = client.post(
        "/api/auth/login/", data='{"username": "\\udfff", "password": "x"}', content_type="application/json"
    )
    assert response.status_code == 400, response.content


@pytest.mark.parametrize(
    "year",
    [
        "²⁰²⁰",
        "\uff12\uff10\uff12\uff10",  # full-width
        "٢٠٢٠",
        "2020²",
    ],
)
@pytest.mark.parametrize("path", ["/api/anime/", "/api/rankings/top/", "/api/search/"])
def test_years_in_other_digits_are_a_field_error(api_client, path, year):
    params = {"year": year} if path != "/api/search/" else {"year": year, "q": "naruto"}
    response = api_client.get(path, params)
    assert response.status_code == 400, response.content
    assert "year" in response.json()["extra"]["fields"]


@pytest.mark.parametrize("week_of", ["9999-12-31", "9999-12-27", "0001-01-01", "2101-01-01", "1899-12-31"])
def test_calendar_weeks_outside_the_catalogue_years_are_a_field_error(api_client, week_of):
    response = api_client.get("/api/calendar/", {"week_of": week_of, "tz": "Pacific/Kiritimati"})
    assert response.status_code == 400, response.content
    assert "week_of" in response.json()["extra"]["fields"]


def test_calendar_weeks_inside_the_years_still_answer(api_client):
    assert api_client.get("/api/calendar/", {"week_of": "2100-12-31"}).status_code == 200
    assert api_client.get("/api/calendar/", {"week_of": "1900-01-01"}).status_code == 200


def _entry(mal_id: int | str = 20, **fields: str) -> str:
    """An export entry with some fields' text replaced."""
    text = mal_entry(mal_id)
    for name, value in fields.items():
        text, n = re.subn(rf"<{name}>.*?</{name}>", f"<{name}>{value}</{name}>", text)
        assert n == 1, name
    return text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("my_score", "²"),
        ("my_watched_episodes", "⁵"),
        ("my_times_watched", "³"),
        ("my_last_updated", "¹⁵⁰⁰⁰⁰⁰⁰⁰⁰"),
        ("my_watched_episodes", str(MAX_EPISODES_WATCHED + 1)),
        ("my_watched_episodes", "99999999999"),
        ("my_watched_episodes", "9" * 5000),
        ("my_last_updated", str(MAX_UNIX_TIME + 1)),
        ("my_last_updated", "99999999999999999"),
        ("my_start_date", "²⁰²⁰-01-01"),
    ],
)
def test_export_values_out_of_range_skip_their_entry_and_keep_the_rest(
    user_client, user, django_capture_on_commit_callbacks, field, value
):
    # given: one bad entry between two good ones
    AnimeFactory(mal_id=20, episodes=None)
    AnimeFactory(mal_id=21)
    AnimeFactory(mal_id=22)
    data = mal_xml(mal_entry(21), _entry(20, **{field: value}), mal_entry(22))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(user_client, data)

    # then: the import succeeds, the bad entry is reported by its field, the others are in the list
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert (job.summary["imported"], job.summary["skipped"]) == (2, 1)
    assert field in job.summary["skipped_entries"][0]["reason"]
    stored = set(CollectionEntry.objects.filter(user=user).values_list("anime__mal_id", flat=True))
    assert stored == {21, 22}


@pytest.mark.parametrize("raw_id", ["²", str(MAX_MAL_ID + 1), "9" * 5000])
def test_export_ids_out_of_range_are_skipped(raw_id):
    export = read_mal_export(mal_xml(mal_entry(raw_id), mal_entry(5)))
    assert [e.mal_id for e in export.entries] == [5]
    assert export.skipped_count == 1


def test_export_limits_themselves_are_accepted():
    entry = _entry(
        MAX_MAL_ID, my_watched_episodes=str(MAX_EPISODES_WATCHED), my_last_updated=str(MAX_UNIX_TIME)
    )
    export = read_mal_export(mal_xml(entry))
    (only,) = export.entries
    assert (only.mal_id, only.episodes_watched, only.last_updated) == (
        MAX_MAL_ID,
        MAX_EPISODES_WATCHED,
        MAX_UNIX_TIME,
    )
    assert json.loads(json.dumps(only.as_json()))["last_updated"] == MAX_UNIX_TIME


@pytest.mark.parametrize("field", ["username", "password", "password_confirm"])
@pytest.mark.parametrize("value", [-656, 12345678, 1.5, True, ["a"], {"a": 1}])
def test_register_takes_strings_only(api_client, field, value):
    # given: the contract says strings; DRF's CharField would have turned -656 into the name "-656"
    payload: dict[str, object] = {
        "username": "typed_user",
        "password": "Sakura-Blossom-42",
        "password_confirm": "Sakura-Blossom-42",
        field: value,
    }

    # when
    response = api_client.post("/api/auth/register/", payload, format="json")

    # then
    assert response.status_code == 400, response.content
    assert field in response.json()["extra"]["fields"]
    assert not User.objects.filter(username__in=["typed_user", str(value)]).exists()


@pytest.mark.parametrize("field", ["username", "password"])
def test_login_takes_strings_only(api_client, field):
    UserFactory(username="-656")
    payload: dict[str, object] = {"username": "-656", "password": "x", field: -656}
    response = api_client.post("/api/auth/login/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["extra"]["fields"]


@pytest.mark.parametrize("param", ["page", "page_size", "year"])
@pytest.mark.parametrize("path", ["/api/anime/", "/api/rankings/top/"])
def test_numbers_longer_than_python_reads_are_a_400(api_client, path, param):
    # int() refuses text of more than 4,300 digits: that used to be a 500
    response = api_client.get(path, {param: "9" * 5000})
    assert response.status_code in (400, 404), response.content
    assert response.json()["code"] != "server_error"


@pytest.mark.parametrize("value", ["9" * 5000 + "-01-01", "2020-" + "1" * 5000 + "-01"])
def test_export_dates_longer_than_python_reads_skip_their_entry(value):
    export = read_mal_export(mal_xml(_entry(20, my_start_date=value), mal_entry(5)))
    assert [e.mal_id for e in export.entries] == [5]
    assert export.skipped_count == 1


def test_ascii_whole_reads_bounded_ascii_numbers_only():
    from animesite.numbers import ascii_whole

    assert ascii_whole("0042", 100) == 42
    assert ascii_whole("100", 100) == 100
    assert ascii_whole("101", 100) is None
    assert ascii_whole("9" * 5000) is None
    assert ascii_whole("0" * 5000 + "7") == 7
    for text in ("", "-1", "1.5", "²", "\uff12", "\u0662", " 1"):
        assert ascii_whole(text) is None
