"""The catalogue filter: one type for the catalogue list, search and the leaderboards.

Query parameters (each optional; comma-separated values where the endpoint accepts several):

============  ===================================  =========================================
parameter     values                               an anime passes when
============  ===================================  =========================================
``genre``     genre slugs or names (any case)      it has every genre
``tag``       tag names (any case)                 it has every tag
``type``      ``Anime.Type`` values (any case)     its type is one of them
``year``      1900-2100                            its year is one of them
``season``    winter, spring, summer, fall         its season is one of them
``min_score`` 0-10                                 its MyAnimeList score is at least this
============  ===================================  =========================================

:class:`CatalogFilterSerializer` parses and validates the parameters (one set of messages; an
unknown value is a 400 naming the parameter) into a :class:`CatalogFilter`, which applies itself
to an ``Anime`` queryset (:meth:`CatalogFilter.apply`) and produces the search engine's filter
clauses (:meth:`CatalogFilter.search_clauses`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import serializers

from animesite.numbers import ascii_whole
from catalog.models import Anime
from catalog.selectors import genres_resolve, tags_resolve

MIN_YEAR, MAX_YEAR = 1900, 2100
FILTER_PARAMETERS = ("genre", "tag", "type", "year", "season", "min_score")


def comma_separated(raw: str) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``."""
    return [part for part in (p.strip() for p in raw.split(",")) if part]


@dataclass(frozen=True)
class CatalogFilter:
    """A validated filter. ``genres`` are genre slugs and ``tags`` tag names (every one must
    match); ``types``, ``years`` and ``seasons`` match any of their values; ``min_score`` is a
    lower bound on the MyAnimeList score (0-10)."""

    genres: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    seasons: tuple[str, ...] = ()
    min_score: float | None = None

    @classmethod
    def of(
        cls,
        *,
        genre: str | None = None,
        type: str | None = None,
        season: str | None = None,
        year: int | None = None,
    ) -> CatalogFilter:
        """A filter of single, already valid values (``None``: not filtered)."""
        return cls(
            genres=(genre,) if genre else (),
            types=(type,) if type else (),
            seasons=(season,) if season else (),
            years=(year,) if year is not None else (),
        )

    def __bool__(self) -> bool:
        return bool(self.genres or self.tags or self.types or self.years or self.seasons) or (
            self.min_score is not None
        )

    def as_params(self) -> dict[str, list[Any]]:
        """The used parameters with their values, e.g. ``{"genre": ["action"], "year": [2016]}``."""
        values: dict[str, list[Any]] = {
            "genre": list(self.genres),
            "tag": list(self.tags),
            "type": list(self.types),
            "year": list(self.years),
            "season": list(self.seasons),
            "min_score": [] if self.min_score is None else [self.min_score],
        }
        return {name: value for name, value in values.items() if value}

    def key(self) -> str:
        """A stable text form (``"genre=action:type=TV"``; empty when nothing is filtered)."""
        return ":".join(
            f"{name}={','.join(str(v) for v in values)}" for name, values in self.as_params().items()
        )

    @classmethod
    def from_key(cls, key: str) -> CatalogFilter:
        """The filter :meth:`key` was made from (values are trusted: they were valid then)."""
        parts = dict(part.split("=", 1) for part in key.split(":") if "=" in part)

        def values(name: str) -> tuple[str, ...]:
            return tuple(comma_separated(parts.get(name, "")))

        return cls(
            genres=values("genre"),
            tags=values("tag"),
            types=values("type"),
            years=tuple(int(y) for y in values("year")),
            seasons=values("season"),
            min_score=float(parts["min_score"]) if parts.get("min_score") else None,
        )

    def apply(self, qs: QuerySet[Anime]) -> QuerySet[Anime]:
        """``qs`` narrowed to the anime that pass (one join per genre and tag, no duplicates)."""
        for slug in self.genres:
            qs = qs.filter(genres__slug=slug)
        for name in self.tags:
            qs = qs.filter(tags__name=name)
        if self.types:
            qs = qs.filter(type__in=self.types)
        if self.years:
            qs = qs.filter(year__in=self.years)
        if self.seasons:
            qs = qs.filter(season__in=self.seasons)
        if self.min_score is not None:
            qs = qs.filter(score__gte=self.min_score)
        return qs

    def search_clauses(self) -> dict[str, list[dict[str, Any]]]:
        """Elasticsearch filter clauses, one list per facet name (empty when that filter is unused).

        The search documents carry genre slugs, type, year, season and score (not tags).
        """
        clauses: dict[str, list[dict[str, Any]]] = {
            "genre": [{"term": {"genres": g}} for g in self.genres],
            "type": [{"terms": {"type": list(self.types)}}] if self.types else [],
            "year": [{"terms": {"year": list(self.years)}}] if self.years else [],
            "season": [{"terms": {"season": list(self.seasons)}}] if self.seasons else [],
        }
        if self.min_score is not None:
            clauses["min_score"] = [{"range": {"score": {"gte": self.min_score}}}]
        return clauses


# --- parsing ---------------------------------------------------------------------------------


def _one(values: list[Any], *, multiple: bool) -> list[Any]:
    if not multiple and len(values) > 1:
        raise serializers.ValidationError(_("Give one value."))
    return values


def genre_slugs_parse(raw: str, *, multiple: bool = True) -> list[str]:
    """Genre slugs for slugs or names (any case), through ``catalog.selectors.genres_resolve``."""
    genres, unknown = genres_resolve(values=_one(comma_separated(raw), multiple=multiple))
    if unknown:
        raise serializers.ValidationError(_("Unknown genre: %(names)s") % {"names": ", ".join(unknown)})
    return [genre.slug for genre in genres]


def tag_names_parse(raw: str, *, multiple: bool = True) -> list[str]:
    tags, unknown = tags_resolve(values=_one(comma_separated(raw), multiple=multiple))
    if unknown:
        raise serializers.ValidationError(_("Unknown tag: %(names)s") % {"names": ", ".join(unknown)})
    return [tag.name for tag in tags]


def types_parse(raw: str, *, multiple: bool = True) -> list[str]:
    by_key = {choice.casefold(): choice for choice in Anime.Type.values}
    values = _one(comma_separated(raw), multiple=multiple)
    unknown = [v for v in values if v.casefold() not in by_key]
    if unknown:
        raise serializers.ValidationError(
            _("Unknown type: %(names)s; use %(choices)s.")
            % {"names": ", ".join(unknown), "choices": ", ".join(Anime.Type.values)}
        )
    return list(dict.fromkeys(by_key[v.casefold()] for v in values))


def years_parse(raw: str, *, multiple: bool = True) -> list[int]:
    years: list[int] = []
    for part in _one(comma_separated(raw), multiple=multiple):
        year = ascii_whole(part, MAX_YEAR)
        if year is None or year < MIN_YEAR:
            raise serializers.ValidationError(
                _("“%(value)s” is not a year between %(min)d and %(max)d.")
                % {"value": part, "min": MIN_YEAR, "max": MAX_YEAR}
            )
        years.append(year)
    return list(dict.fromkeys(years))


def seasons_parse(raw: str, *, multiple: bool = True) -> list[str]:
    values = _one(comma_separated(raw), multiple=multiple)
    unknown = [v for v in values if v.casefold() not in Anime.Season.values]
    if unknown:
        raise serializers.ValidationError(
            _("Unknown season: %(names)s; use %(choices)s.")
            % {"names": ", ".join(unknown), "choices": ", ".join(Anime.Season.values)}
        )
    return list(dict.fromkeys(v.casefold() for v in values))


class CatalogFilterSerializer(serializers.Serializer):
    """Query parameters -> :class:`CatalogFilter` (see the module docstring).

    Endpoints subclass it: ``multiple`` names the parameters that take several comma-separated
    values; a parameter an endpoint does not offer is removed by setting it to ``None``.
    """

    multiple: ClassVar[frozenset[str]] = frozenset({"genre", "tag"})

    genre = serializers.CharField(
        required=False, help_text="Genre slugs or names, comma-separated; an anime must have all."
    )
    tag = serializers.CharField(required=False, help_text="Tag names, comma-separated; all must match.")
    type = serializers.CharField(required=False, help_text="TV, Movie, OVA, ONA, Special, Music, Unknown.")
    year = serializers.CharField(required=False, help_text="A year from 1900 to 2100.")
    season = serializers.CharField(required=False, help_text="winter, spring, summer, fall.")
    min_score = serializers.FloatField(required=False, min_value=0, max_value=10)

    def validate_genre(self, value: str) -> list[str]:
        return genre_slugs_parse(value, multiple="genre" in self.multiple)

    def validate_tag(self, value: str) -> list[str]:
        return tag_names_parse(value, multiple="tag" in self.multiple)

    def validate_type(self, value: str) -> list[str]:
        return types_parse(value, multiple="type" in self.multiple)

    def validate_year(self, value: str) -> list[int]:
        return years_parse(value, multiple="year" in self.multiple)

    def validate_season(self, value: str) -> list[str]:
        return seasons_parse(value, multiple="season" in self.multiple)

    def catalog_filter(self) -> CatalogFilter:
        """The filter of the validated data (call ``is_valid`` first)."""
        data = self.validated_data
        return CatalogFilter(
            genres=tuple(data.get("genre", ())),
            tags=tuple(data.get("tag", ())),
            types=tuple(data.get("type", ())),
            years=tuple(data.get("year", ())),
            seasons=tuple(data.get("season", ())),
            min_score=data.get("min_score"),
        )
