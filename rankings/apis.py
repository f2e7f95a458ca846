"""Leaderboards (``/api/rankings/<kind>/``) and the home page (``/api/home/``)."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from animesite.exceptions import ApplicationError
from animesite.pagination import PageNumberPagination
from catalog.filters import CatalogFilterSerializer
from rankings.home import home_page
from rankings.selectors import (
    RankingKind,
    ranking_filters_dict,
    ranking_get,
    ranking_page_cards,
)
from rankings.services import ranking_mark_requested


class RankingApi(APIView):
    @extend_schema_serializer(component_name="RankingFilter")
    class FilterSerializer(CatalogFilterSerializer):
        multiple = frozenset()
        tag = None  # type: ignore[assignment]  # leaderboards filter by genre, type, season, year
        min_score = None  # type: ignore[assignment]
        page = serializers.IntegerField(required=False)
        page_size = serializers.IntegerField(required=False)

    @extend_schema_serializer(component_name="RankingPage")
    class OutputSerializer(serializers.Serializer):
        kind = serializers.CharField()
        filters = serializers.DictField()
        parameters = serializers.DictField(help_text="The constants the formula used")
        computed_at = serializers.DateTimeField()
        degraded = serializers.BooleanField()
        count = serializers.IntegerField()
        next = serializers.CharField(allow_null=True)
        previous = serializers.CharField(allow_null=True)
        results = serializers.ListField(
            child=serializers.DictField(), help_text="Anime cards with rank, value and details"
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=[k.value for k in RankingKind]),
            FilterSerializer,
        ],
        responses=OutputSerializer,
        summary="A leaderboard: top rated, most popular, most favourited or trending",
    )
    def get(self, request: Request, kind: str) -> Response:
        if kind not in {k.value for k in RankingKind}:
            raise ApplicationError(
                _("No such ranking."),
                code="not_found",
                extra={"kinds": [k.value for k in RankingKind]},
                status=404,
            )
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.catalog_filter()
        ranking_mark_requested(kind=kind, filters=filters)
        ranking = ranking_get(kind=kind, filters=filters)

        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(ranking.entries, request, view=self) or []
        first_rank = 1
        if paginator.page is not None:
            first_rank = paginator.page.start_index()
        results = ranking_page_cards(entries=page, first_rank=first_rank)
        body: dict[str, Any] = {
            "kind": ranking.kind,
            "filters": ranking_filters_dict(ranking.filters),
            "parameters": ranking.parameters,
            "computed_at": ranking.computed_at.isoformat(),
            "degraded": ranking.degraded,
        }
        response = paginator.get_paginated_response(results)
        response.data = {**body, **response.data}
        return response


class HomeApi(APIView):
    @extend_schema_serializer(component_name="HomePage")
    class OutputSerializer(serializers.Serializer):
        featured = serializers.ListField(child=serializers.DictField())
        season = serializers.DictField(
            help_text="season/year shown, is_current (false when the latest season with anime is shown)"
        )
        trending = serializers.DictField(help_text="basis: activity, or popular when nothing is trending")
        recommendations = serializers.DictField(help_text="source: recommender or popular_diverse")
        generated_at = serializers.DateTimeField()

    @extend_schema(responses=OutputSerializer, summary="The home page: featured, season, trending, for you")
    def get(self, request: Request) -> Response:
        return Response(home_page(user=request.user, language=translation.get_language()))
