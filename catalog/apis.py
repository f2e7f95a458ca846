"""Catalogue endpoints: the browsable list and the detail page."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from animesite.pagination import PageNumberPagination, page_openapi_parameters
from catalog.filters import CatalogFilterSerializer
from catalog.models import Anime
from catalog.selectors import (
    ANIME_ORDERINGS,
    anime_card,
    anime_detail,
    anime_get,
    anime_list,
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
