"""Seasons and weekly airing slots: pure, time-zone-aware rules shared by the ETL and the site.

A season is a quarter of the calendar year in Japan, where anime air: winter (January-March),
spring (April-June), summer (July-September), fall (October-December). Dates are Japanese (JST)
dates, so "today" is taken in JST when it is derived from an instant.

bangumi-data's ``broadcast`` field is an ISO 8601 repeating interval ``R/<first air>/<period>``
(``R/2023-09-29T10:00:00.000Z/P7D``): the first broadcast as a UTC instant and the period. Only
weekly periods (``P7D``) make a slot in the weekly calendar; one-off (``P0D``), daily or monthly
broadcasts are kept as a start instant without a weekly slot.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

JST = ZoneInfo("Asia/Tokyo")
SEASONS = ("winter", "spring", "summer", "fall")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKLY_PERIOD_DAYS = 7

_BROADCAST = re.compile(r"^R\d*/(?P<start>[^/]+)/P(?:(?P<weeks>\d+)W|(?P<days>\d+)D|(?P<other>.+))$")


@dataclass(frozen=True, order=True)
class Season:
    year: int
    name: str

    def __post_init__(self) -> None:
        if self.name not in SEASONS:
            raise ValueError(f"unknown season {self.name!r}; use one of {', '.join(SEASONS)}")

    @property
    def index(self) -> int:
        return SEASONS.index(self.name)

    @property
    def start(self) -> dt.date:
        """First day (JST) of the season."""
        return dt.date(self.year, self.index * 3 + 1, 1)

    @property
    def end(self) -> dt.date:
        """Last day (JST) of the season."""
        following = self.next()
        return following.start - dt.timedelta(days=1)

    def next(self) -> Season:
        if self.index == 3:
            return Season(self.year + 1, SEASONS[0])
        return Season(self.year, SEASONS[self.index + 1])

    def previous(self) -> Season:
        if self.index == 0:
            return Season(self.year - 1, SEASONS[3])
        return Season(self.year, SEASONS[self.index - 1])

    def contains(self, date: dt.date) -> bool:
        return self.start <= date <= self.end


def season_of(date: dt.date) -> Season:
    """The season ``date`` (a JST date) falls in: January-March is winter, and so on."""
    return Season(date.year, SEASONS[(date.month - 1) // 3])


def current_season(now: dt.datetime | dt.date) -> Season:
    """The season of ``now``: an aware instant is first turned into its Japanese date.

    Raises ``ValueError`` for a naive datetime (its instant is unknown).
    """
    if isinstance(now, dt.datetime):
        if now.tzinfo is None:
            raise ValueError("current_season needs an aware datetime")
        return season_of(now.astimezone(JST).date())
    return season_of(now)


@dataclass(frozen=True)
class Broadcast:
    """A parsed ``broadcast`` value: the first air instant (UTC) and the period in days (None when
    the period is not a whole number of days, e.g. monthly)."""

    first_air: dt.datetime
    period_days: int | None

    @property
    def is_weekly(self) -> bool:
        return self.period_days == WEEKLY_PERIOD_DAYS


def parse_broadcast(value: str | None) -> Broadcast | None:
    """``R/2023-09-29T10:00:00.000Z/P7D`` -> ``Broadcast(2023-09-29 10:00 UTC, 7)``.

    Blank, malformed or naive values give ``None``.
    """
    if not value:
        return None
    match = _BROADCAST.match(value.strip())
    if not match:
        return None
    try:
        start = dt.datetime.fromisoformat(match["start"].replace("Z", "+00:00"))
    except ValueError:
        return None
    if start.tzinfo is None:
        return None
    if match["weeks"] is not None:
        period: int | None = int(match["weeks"]) * 7
    elif match["days"] is not None:
        period = int(match["days"])
    else:
        period = None
    return Broadcast(first_air=start.astimezone(dt.UTC), period_days=period)


def time_zone(name: str | None) -> ZoneInfo:
    """The IANA time zone ``name`` (``Europe/Berlin``); ``ValueError`` when unknown or blank."""
    if not name:
        raise ValueError("a time zone name is required")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


@dataclass(frozen=True)
class Slot:
    """One weekly broadcast seen from a viewer's time zone."""

    weekday: int  # 0 = Monday
    time: dt.time
    starts_at: dt.datetime  # the occurrence in the week asked for, in the viewer's time zone
    jst_weekday: int
    jst_time: dt.time

    @property
    def weekday_name(self) -> str:
        return WEEKDAYS[self.weekday]

    @property
    def crosses_midnight(self) -> bool:
        """True when the viewer's day differs from the Japanese broadcast day."""
        return self.weekday != self.jst_weekday


def occurrence_in_week(first_air: dt.datetime, week_start: dt.datetime) -> dt.datetime:
    """The weekly occurrence of ``first_air`` in ``[week_start, week_start + 7 days)`` (UTC instants).

    Occurrences repeat every 7 x 24 hours from the first broadcast: Japan keeps no daylight saving
    time, so the JST wall-clock slot never moves. Works for weeks before the first broadcast too.
    """
    period = dt.timedelta(days=WEEKLY_PERIOD_DAYS)
    offset = (week_start - first_air) % period
    candidate = week_start - offset
    if candidate < week_start:
        candidate += period
    return candidate


def weekly_slot(first_air: dt.datetime, tz: ZoneInfo, *, week_of: dt.date) -> Slot:
    """Where a weekly broadcast falls in the viewer's week (Monday to Sunday of ``week_of``, in
    ``tz``), with its Japanese day and time alongside.

    A late-night Japanese slot (Saturday 00:30 JST) lands on Friday for a viewer in UTC; the
    viewer's daylight saving time is applied for that very week.
    """
    if first_air.tzinfo is None:
        raise ValueError("first_air must be an aware datetime")
    monday = week_of - dt.timedelta(days=week_of.weekday())
    week_start = dt.datetime.combine(monday, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    occurrence = occurrence_in_week(first_air.astimezone(dt.UTC), week_start)
    local = occurrence.astimezone(tz)
    if local.date() - monday >= dt.timedelta(days=7):  # a daylight-saving week is 167 hours long
        local = (occurrence - dt.timedelta(days=WEEKLY_PERIOD_DAYS)).astimezone(tz)
    japan = occurrence.astimezone(JST)
    return Slot(
        weekday=local.weekday(),
        time=local.time().replace(tzinfo=None),
        starts_at=local,
        jst_weekday=japan.weekday(),
        jst_time=japan.time().replace(tzinfo=None),
    )


def airs_during(
    *,
    season: Season,
    aired_from: dt.date | None,
    aired_to: dt.date | None,
) -> bool:
    """True when an anime airs during ``season``: it began on or before the season's last day and
    has not ended before its first day (no end date means still airing, as far as the data knows)."""
    if aired_from is None or aired_from > season.end:
        return False
    return aired_to is None or aired_to >= season.start
