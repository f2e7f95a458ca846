"""MyAnimeList XML: progress, rewatches and dates in the import; the export; the round trip."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from activity.models import Interaction
from favorites.mal_xml import MalExportError, parse_mal_export
from favorites.models import CollectionEntry
from tests.factories import AnimeFactory, CollectionEntryFactory

pytestmark = pytest.mark.django_db


def entry_xml(
    mal_id: int,
    *,
    status: str = "Watching",
    score: int = 0,
    watched: str = "0",
    times: str = "0",
    start: str = "0000-00-00",
    finish: str = "0000-00-00",
    updated: int = 1556668800,
) -> str:
    return f"""
  <anime>
    <series_animedb_id>{mal_id}</series_animedb_id>
    <series_title><![CDATA[Anime {mal_id}]]></series_title>
    <my_watched_episodes>{watched}</my_watched_episodes>
    <my_start_date>{start}</my_start_date>
    <my_finish_date>{finish}</my_finish_date>
    <my_score>{score}</my_score>
    <my_status>{status}</my_status>
    <my_times_watched>{times}</my_times_watched>
    <my_last_updated>{updated}</my_last_updated>
  </anime>"""


def export_xml(*entries: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<myanimelist><myinfo><user_export_type>1</user_export_type>'
        "</myinfo>" + "".join(entries) + "</myanimelist>"
    ).encode()


def import_file(client, data: bytes, capture) -> dict:
    with capture(execute=True):
        response = client.post(
            "/api/collection/import/",
            {"file": SimpleUploadedFile("animelist.xml", data, content_type="application/xml")},
            format="multipart",
        )
    assert response.status_code == 202, response.json()
    job = client.get(f"/api/collection/import/{response.json()['id']}/").json()
    assert job["status"] == "succeeded", job
    return job["summary"]


def test_parser_reads_progress_rewatches_and_dates_and_unknown_dates_are_none():
    # given: watched 7/24, rewatched twice, a date with an unknown day, an unknown date
    data = export_xml(
        entry_xml(1, watched="7", times="2", start="2019-04-06", finish="0000-00-00"),
        entry_xml(2, status="Completed", start="2015-00-00", finish="2015-06-30"),
    )

    # when
    first, second = parse_mal_export(data)

    # then
    assert (first.episodes_watched, first.rewatch_count) == (7, 2)
    assert (first.start_date, first.finish_date) == (date(2019, 4, 6), None)
    assert (second.start_date, second.finish_date) == (None, date(2015, 6, 30))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"watched": "seven"}, "my_watched_episodes"),
        ({"times": "-1"}, "my_times_watched"),
        ({"times": "1000"}, "my_times_watched"),
        ({"start": "2019-02-30"}, "my_start_date"),
        ({"finish": "yesterday"}, "my_finish_date"),
        ({"start": "2020-01-02", "finish": "2020-01-01"}, "my_finish_date"),
    ],
)
def test_parser_rejects_bad_progress_values_naming_the_field(values, field):
    with pytest.raises(MalExportError) as caught:
        parse_mal_export(export_xml(entry_xml(5, **values)))

    assert field in caught.value.errors[0]
    assert caught.value.errors[0].startswith("line 3 (Anime 5): ")


def test_import_stores_progress_and_caps_episodes_at_the_episode_count(
    user_client, user, django_capture_on_commit_callbacks
):
    # given
    AnimeFactory(mal_id=21, episodes=24)
    AnimeFactory(mal_id=22, episodes=12)
    data = export_xml(
        entry_xml(21, watched="7", times="1", start="2024-01-10"),
        entry_xml(22, status="Completed", watched="13", finish="2024-03-01"),
    )

    # when
    summary = import_file(user_client, data, django_capture_on_commit_callbacks)

    # then
    rows = {
        e.anime.mal_id: (e.status, e.episodes_watched, e.rewatch_count, e.start_date, e.finish_date)
        for e in CollectionEntry.objects.filter(user=user).select_related("anime")
    }
    assert rows == {
        21: ("watching", 7, 1, date(2024, 1, 10), None),
        22: ("completed", 12, 0, None, date(2024, 3, 1)),
    }
    assert (summary["imported"], summary["episodes_capped"], summary["episodes_capped_ids"]) == (2, 1, [22])


def test_export_writes_every_field_in_myanimelists_format(user_client, user):
    # given
    anime = AnimeFactory(mal_id=1535, title="Death Note", episodes=37)
    CollectionEntryFactory(
        user=user,
        anime=anime,
        status="watching",
        score=9,
        episodes_watched=7,
        rewatch_count=1,
        start_date=date(2026, 10, 1),
    )
    CollectionEntryFactory(user=user, anime=AnimeFactory(), status="", is_favorite=True)  # no status

    # when
    response = user_client.get("/api/collection/export/")

    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Export-Left-Out"] == "1"
    root = ElementTree.fromstring(response.content)
    assert root.findtext("myinfo/user_export_type") == "1"
    assert root.findtext("myinfo/user_total_watching") == "1"
    (item,) = root.findall("anime")
    assert {child.tag: child.text for child in item} | {"my_last_updated": "-"} == {
        "series_animedb_id": "1535",
        "series_title": "Death Note",
        "series_type": "TV",
        "series_episodes": "37",
        "my_id": "0",
        "my_watched_episodes": "7",
        "my_start_date": "2026-10-01",
        "my_finish_date": "0000-00-00",
        "my_score": "9",
        "my_status": "Watching",
        "my_times_watched": "1",
        "my_last_updated": "-",
        "update_on_import": "1",
    }
    assert int(item.findtext("my_last_updated") or 0) > 0


def test_export_is_for_signed_in_users_only(api_client):
    response = api_client.get("/api/collection/export/")

    assert response.status_code in (401, 403)


def test_export_of_an_empty_list_is_a_valid_empty_export(user_client):
    response = user_client.get("/api/collection/export/")

    assert parse_mal_export(response.content) == []


def test_import_then_export_then_import_changes_nothing(
    user_client, user, django_capture_on_commit_callbacks
):
    # given: a MyAnimeList export with every status, scores, progress, rewatches and dates
    for mal_id, episodes in ((1, 26), (5, 1), (30, 26), (269, 366), (1535, 37), (9253, None)):
        AnimeFactory(mal_id=mal_id, episodes=episodes)
    original = export_xml(
        entry_xml(
            1, status="Completed", score=10, watched="26", times="2", start="2010-01-01", finish="2010-02-01"
        ),
        entry_xml(5, status="Plan to Watch"),
        entry_xml(30, status="Dropped", score=3, watched="4", start="2012-05-05"),
        entry_xml(269, status="On-Hold", score=7, watched="120", start="2011-00-00"),
        entry_xml(1535, status="Watching", score=9, watched="7", start="2026-10-01"),
        entry_xml(9253, status="Watching", watched="3"),
    )
    import_file(user_client, original, django_capture_on_commit_callbacks)

    def snapshot() -> list[tuple]:
        return list(
            CollectionEntry.objects.filter(user=user)
            .order_by("anime__mal_id")
            .values_list(
                "anime__mal_id",
                "status",
                "score",
                "episodes_watched",
                "rewatch_count",
                "start_date",
                "finish_date",
                "updated_at",
            )
        )

    before = snapshot()
    events_before = Interaction.objects.filter(user=user).count()

    # when
    exported = user_client.get("/api/collection/export/").content
    summary = import_file(user_client, exported, django_capture_on_commit_callbacks)

    # then
    assert snapshot() == before
    assert Interaction.objects.filter(user=user).count() == events_before
    assert (summary["total"], summary["unchanged"], summary["imported"], summary["updated"]) == (6, 6, 0, 0)
    assert before[0][:7] == (1, "completed", 10, 26, 2, date(2010, 1, 1), date(2010, 2, 1))
    assert parse_mal_export(exported) == parse_mal_export(user_client.get("/api/collection/export/").content)
