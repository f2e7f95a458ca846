"""Catalogue endpoints: the browsable list and the detail page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from animesite.pagination import PageNumberPagination, page_openapi_parameters
from catalog.etl import seasons
from catalog.filters import MAX_YEAR, MIN_YEAR, CatalogFilterSerializer, types_parse
from catalog.models import Anime
from catalog.selectors import (
    ANIME_ORDERINGS,
    SEASON_SCOPES,
    SEASON_SORTS,
    airing_calendar,
    anime_card,
    anime_detail,
    anime_get,
    anime_list,
    current_season,
    season_anime,
    season_summary,
)
from catalog.serializers import AnimeCardSerializer
from catalog.services import anime_view_record


class AnimeListApi(APIView):
    permission_classes = [AllowAny]

    class FilterSerializer(CatalogFilterSerializer):
        ordering = serializers.ChoiceField(choices=list(ANIME_ORDERINGS), required=False)

        class Meta:
            ref_name = "AnimeListFilter"

    OutputSerializer = AnimeCardSerializer

    @extend_schema(
        operation_id="anime_list",
        parameters=[
            FilterSerializer,
            *page_openapi_parameters(),
        ],
        responses={
            200: inline_serializer(
                name="PaginatedAnimeCardList",
                fields={
                    "count": serializers.IntegerField(),
                    "total": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": AnimeCardSerializer(many=True),
                },
            ),
            400: OpenApiResponse(description="An invalid filter; `extra.fields` names the parameter."),
        },
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        queryset = anime_list(
            user=request.user, filters=params.catalog_filter(), ordering=params.validated_data.get("ordering")
        )
        paginator = PageNumberPagination()
        page: list[Anime] | None = paginator.paginate_queryset(queryset, request, view=self)
        cards = [anime_card(anime) for anime in page or []]
        return paginator.get_paginated_response(self.OutputSerializer(cards, many=True).data)


class AnimeDetailApi(APIView):
    permission_classes = [AllowAny]

    class OutputSerializer(AnimeCardSerializer):
        class TitleSerializer(serializers.Serializer):
            text = serializers.CharField()
            kind = serializers.CharField()

            class Meta:
                ref_name = "AnimeTitleEntry"

        class GenreSerializer(serializers.Serializer):
            name = serializers.CharField()
            slug = serializers.CharField()

            class Meta:
                ref_name = "AnimeGenre"

        class ExternalLinkSerializer(serializers.Serializer):
            site = serializers.CharField()
            name = serializers.CharField()
            external_id = serializers.CharField()
            url = serializers.URLField(allow_null=True)

            class Meta:
                ref_name = "AnimeExternalLink"

        class RelatedSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            mal_id = serializers.IntegerField(allow_null=True)
            title = serializers.CharField()
            type = serializers.CharField()
            episodes = serializers.IntegerField(allow_null=True)
            year = serializers.IntegerField(allow_null=True)
            season = serializers.CharField(allow_blank=True)
            aired_from = serializers.DateField(allow_null=True)
            cover_url = serializers.CharField(allow_blank=True)
            score = serializers.FloatField(allow_null=True)
            relation = serializers.ChoiceField(
                choices=["prequel", "sequel", "earlier", "later", "other"],
                help_text="Relation to this anime in the franchise's air order.",
            )

            class Meta:
                ref_name = "AnimeRelatedEntry"

        class FranchiseSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            key = serializers.CharField()
            name = serializers.CharField()

            class Meta:
                ref_name = "AnimeFranchise"

        class BroadcastSerializer(serializers.Serializer):
            first_air = serializers.DateTimeField()
            weekday = serializers.IntegerField(help_text="Day of the Japanese broadcast, 0 = Monday.")
            time_jst = serializers.CharField(help_text="HH:MM, Japan time.")
            period_days = serializers.IntegerField()

            class Meta:
                ref_name = "AnimeBroadcast"

        catalog_key = serializers.CharField(help_text="mal:<MyAnimeList id>, else bgm:<bangumi id>.")
        bangumi_id = serializers.IntegerField(allow_null=True)
        catalog_source = serializers.CharField(help_text="both, mal (MyAnimeList only) or bangumi.")
        synopsis_display = serializers.CharField(
            allow_blank=True, help_text="The synopsis shown in the request's language, or in another one."
        )
        synopsis_language = serializers.CharField(
            allow_blank=True,
            help_text="Language of synopsis_display (en, zh-Hans); blank without a synopsis.",
        )
        broadcast = BroadcastSerializer(allow_null=True)
        franchise = FranchiseSerializer(allow_null=True)
        related = RelatedSerializer(many=True, help_text="Other entries of the franchise, in air order.")
        all_titles = serializers.DictField(
            child=TitleSerializer(many=True),
            help_text="Every title and synonym, keyed by language (x-jat, ja, en, zh-Hans, zh-Hant, und).",
        )
        genre_items = GenreSerializer(many=True)
        tags = serializers.ListField(child=serializers.CharField())
        synopsis = serializers.CharField(allow_blank=True)
        synopsis_zh = serializers.CharField(allow_blank=True)
        aired_from = serializers.DateField(allow_null=True)
        aired_to = serializers.DateField(allow_null=True)
        official_site = serializers.CharField(allow_blank=True)
        external_links = ExternalLinkSerializer(many=True)
        is_featured = serializers.BooleanField()
        is_hidden = serializers.BooleanField()

        class Meta:
            ref_name = "AnimeDetail"

    @extend_schema(
        operation_id="anime_detail",
        responses={200: OutputSerializer, 404: OpenApiResponse(description="Unknown or hidden anime.")},
    )
    def get(self, request: Request, anime_id: int) -> Response:
        anime = anime_get(anime_id=anime_id, user=request.user)
        if anime is None:
            raise NotFound(_("No such anime."))
        if request.user.is_authenticated:
            anime_view_record(user=request.user, anime=anime)
        return Response(self.OutputSerializer(anime_detail(anime, user=request.user)).data)


class SeasonApi(APIView):
    """Anime of one season: those that began in it (``scope=new``) or air during it (``airing``)."""

    permission_classes = [AllowAny]

    class FilterSerializer(serializers.Serializer):
        type = serializers.CharField(required=False, help_text="TV, Movie, OVA, ONA, Special, Music.")
        sort = serializers.ChoiceField(choices=list(SEASON_SORTS), required=False, default="popularity")
        scope = serializers.ChoiceField(choices=list(SEASON_SCOPES), required=False, default="new")

        class Meta:
            ref_name = "SeasonFilter"

        def validate_type(self, value: str) -> str:
            return types_parse(value, multiple=False)[0]

    @extend_schema(
        operation_id="season_anime",
        parameters=[
            FilterSerializer,
            *page_openapi_parameters(),
        ],
        responses={
            200: inline_serializer(
                name="SeasonPage",
                fields={
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "season": serializers.DictField(),
                    "results": AnimeCardSerializer(many=True),
                },
            ),
            400: OpenApiResponse(description="An invalid season, year or filter."),
        },
    )
    def get(self, request: Request, year: int, season: str) -> Response:
        chosen = _season_or_400(year, season)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        queryset = season_anime(
            season=chosen, user=request.user, type=data.get("type"), sort=data["sort"], scope=data["scope"]
        )
        paginator = PageNumberPagination()
        page: list[Anime] | None = paginator.paginate_queryset(queryset, request, view=self)
        response = paginator.get_paginated_response(
            AnimeCardSerializer([anime_card(a) for a in page or []], many=True).data
        )
        response.data["season"] = season_summary(season=chosen, user=request.user)
        return response


class CurrentSeasonApi(APIView):
    """The season today's date falls in (Japan's calendar), with its counts."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="season_current", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response(season_summary(season=current_season(), user=request.user))


class CalendarApi(APIView):
    """The weekly airing calendar of the current season in the viewer's time zone."""

    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        tz = serializers.CharField(
            required=False, default="Asia/Tokyo", help_text="IANA time zone of the viewer (Europe/Berlin)."
        )
        week_of = serializers.DateField(
            required=False, help_text="A day of the week to show (default: today in that zone)."
        )

        class Meta:
            ref_name = "CalendarInput"

        def validate_week_of(self, value: dt.date) -> dt.date:
            # The week around the day must stay inside Python's dates (year 1 ... 9999).
            if not MIN_YEAR <= value.year <= MAX_YEAR:
                raise serializers.ValidationError(
                    _("“%(value)s” is not a date between %(min)d and %(max)d.")
                    % {"value": value.isoformat(), "min": MIN_YEAR, "max": MAX_YEAR}
                )
            return value

        def validate_tz(self, value: str) -> ZoneInfo:
            try:
                return seasons.time_zone(value.strip())
            except ValueError as exc:
                raise serializers.ValidationError(
                    _("“%(value)s” is not a known time zone (use a name such as Asia/Shanghai).")
                    % {"value": value}
                ) from exc

    @extend_schema(
        operation_id="airing_calendar",
        parameters=[InputSerializer],
        responses={
            200: inline_serializer(
                name="AiringCalendar",
                fields={
                    "season": serializers.DictField(),
                    "time_zone": serializers.CharField(),
                    "days": serializers.ListField(child=serializers.DictField()),
                },
            ),
            400: OpenApiResponse(description="An unknown time zone or a bad date."),
        },
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        tz: ZoneInfo = params.validated_data["tz"]
        week_of = params.validated_data.get("week_of") or timezone.now().astimezone(tz).date()
        season = current_season()
        days = airing_calendar(season=season, tz=tz, week_of=week_of, user=request.user)
        for day in days:
            day["entries"] = [{**CalendarEntrySerializer(entry).data} for entry in day["entries"]]
        return Response(
            {
                "season": season_summary(season=season, user=request.user),
                "time_zone": tz.key,
                "week_of": week_of,
                "days": days,
            }
        )


class CalendarEntrySerializer(AnimeCardSerializer):
    time = serializers.CharField(help_text="HH:MM in the viewer's time zone.")
    starts_at = serializers.DateTimeField()
    jst_weekday = serializers.IntegerField()
    jst_time = serializers.CharField()
    crosses_midnight = serializers.BooleanField()

    class Meta:
        ref_name = "CalendarEntry"


def _season_or_400(year: int, season: str) -> seasons.Season:
    errors: dict[str, list[str]] = {}
    if not 1900 <= year <= 2100:
        errors["year"] = [_("Ensure this value is between 1900 and 2100.")]
    if season.lower() not in seasons.SEASONS:
        errors["season"] = [
            _("“%(value)s” is not a season; use one of %(choices)s.")
            % {"value": season, "choices": ", ".join(seasons.SEASONS)}
        ]
    if errors:
        raise serializers.ValidationError(errors)
    return seasons.Season(year, season.lower())
