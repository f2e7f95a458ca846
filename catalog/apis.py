"""Catalogue endpoints: the browsable list and the detail page."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from animesite.pagination import PageNumberPagination
from catalog.models import Anime
from catalog.selectors import (
    ANIME_ORDERINGS,
    anime_card,
    anime_detail,
    anime_get,
    anime_list,
    genres_resolve,
    tags_resolve,
)
from catalog.services import anime_view_record


class AnimeCardTitlesSerializer(serializers.Serializer):
    main = serializers.CharField()
    en = serializers.CharField(allow_blank=True)
    ja = serializers.CharField(allow_blank=True)
    zh_hans = serializers.CharField(allow_blank=True)
    zh_hant = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "AnimeCardTitles"


class AnimeCardSerializer(serializers.Serializer):
    """The anime card every list on the site returns (see ``catalog.selectors.anime_card``)."""

    id = serializers.IntegerField()
    mal_id = serializers.IntegerField()
    title = serializers.CharField(help_text="Display title in the request's language.")
    titles = AnimeCardTitlesSerializer()
    cover_url = serializers.CharField(allow_blank=True)
    type = serializers.CharField()
    episodes = serializers.IntegerField(allow_null=True)
    year = serializers.IntegerField(allow_null=True)
    season = serializers.CharField(allow_blank=True)
    score = serializers.FloatField(allow_null=True)
    members = serializers.IntegerField()
    genres = serializers.ListField(child=serializers.CharField())

    class Meta:
        ref_name = "AnimeCard"


def _comma_separated(value: str) -> list[str]:
    return [part for part in (p.strip() for p in value.split(",")) if part]


class AnimeListApi(APIView):
    permission_classes = [AllowAny]

    class FilterSerializer(serializers.Serializer):
        genre = serializers.CharField(
            required=False, help_text="Genre slugs or names, comma-separated; an anime must have all."
        )
        tag = serializers.CharField(required=False, help_text="Tag names, comma-separated; all must match.")
        type = serializers.CharField(required=False, help_text="TV, Movie, OVA, ONA, Special, Music.")
        year = serializers.IntegerField(required=False, min_value=1900, max_value=2100)
        season = serializers.ChoiceField(choices=Anime.Season.choices, required=False)
        min_score = serializers.FloatField(required=False, min_value=0, max_value=10)
        ordering = serializers.ChoiceField(choices=list(ANIME_ORDERINGS), required=False)

        class Meta:
            ref_name = "AnimeListFilter"

        def validate_genre(self, value: str) -> list[Any]:
            genres, unknown = genres_resolve(values=_comma_separated(value))
            if unknown:
                raise serializers.ValidationError(
                    _("Unknown genre: %(names)s") % {"names": ", ".join(unknown)}
                )
            return genres

        def validate_tag(self, value: str) -> list[Any]:
            tags, unknown = tags_resolve(values=_comma_separated(value))
            if unknown:
                message = _("Unknown tag: %(names)s") % {"names": ", ".join(unknown)}
                raise serializers.ValidationError(message)
            return tags

        def validate_type(self, value: str) -> str:
            by_key = {choice.casefold(): choice for choice in Anime.Type.values}
            if value.strip().casefold() not in by_key:
                raise serializers.ValidationError(
                    _("“%(value)s” is not a valid type; use one of %(choices)s.")
                    % {"value": value, "choices": ", ".join(Anime.Type.values)}
                )
            return by_key[value.strip().casefold()]

    OutputSerializer = AnimeCardSerializer

    @extend_schema(
        operation_id="anime_list",
        parameters=[
            FilterSerializer,
            OpenApiParameter("page", int, description="Page number, from 1."),
            OpenApiParameter("page_size", int, description="Results per page (at most 100)."),
        ],
        responses={
            200: inline_serializer(
                name="PaginatedAnimeCardList",
                fields={
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": AnimeCardSerializer(many=True),
                },
            ),
            400: OpenApiResponse(description="An invalid filter; `extra.fields` names the parameter."),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        queryset = anime_list(
            user=request.user,
            genres=data.get("genre", []),
            tags=data.get("tag", []),
            type=data.get("type"),
            year=data.get("year"),
            season=data.get("season"),
            min_score=data.get("min_score"),
            ordering=data.get("ordering"),
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
        return Response(self.OutputSerializer(anime_detail(anime)).data)
