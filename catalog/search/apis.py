"""Search endpoints: ``GET /api/search/`` and ``GET /api/search/suggest/``.

Input rules (400 with the parameter named under ``extra.fields`` otherwise):

- ``q`` is optional and at most 200 characters. Without ``q`` the filters alone list anime by
  popularity (or by the requested ``sort``); with neither ``q`` nor a filter the request is a 400.
- Filters take comma-separated values: ``genre`` (slugs or names, an anime must have every one),
  ``type``, ``year`` and ``season`` (an anime may match any). Unknown values are a 400.
- ``q`` is always searched as plain text: Lucene syntax is never interpreted.
- Hidden anime are returned only to staff who pass ``include_hidden=true``; each result then carries
  ``is_hidden``.
"""

from __future__ import annotations

import time
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from catalog.filters import CatalogFilterSerializer
from catalog.search.queries import (
    MAX_QUERY_LENGTH,
    MAX_RESULT_WINDOW,
    SORTS,
    SearchQuery,
    normalize_query,
)
from catalog.search.selectors import search_anime, suggest_anime
from catalog.serializers import AnimeCardSerializer

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


def _request_language(request: Request) -> str | None:
    return getattr(request, "LANGUAGE_CODE", None)


def _with_timing(response: Response, *, started: float, engine_ms: float) -> Response:
    """``Server-Timing``: the search server's share of the request next to the whole view."""
    total_ms = (time.perf_counter() - started) * 1000
    response["Server-Timing"] = f"engine;dur={engine_ms:.1f}, view;dur={total_ms:.1f}"
    return response


class SearchApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(CatalogFilterSerializer):
        multiple = frozenset({"genre", "type", "year", "season"})
        tag = None  # type: ignore[assignment]  # not offered by search
        min_score = None  # type: ignore[assignment]

        q = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=MAX_QUERY_LENGTH,
            help_text="Words of any title, in any script; searched as plain text.",
        )
        type = serializers.CharField(
            required=False, help_text="Comma-separated: TV, Movie, OVA, ONA, Special, Music, Unknown."
        )
        year = serializers.CharField(required=False, help_text="Comma-separated years (1900-2100).")
        season = serializers.CharField(
            required=False, help_text="Comma-separated: winter, spring, summer, fall."
        )
        sort = serializers.ChoiceField(
            choices=SORTS,
            required=False,
            help_text="relevance (default with q; text match blended with popularity), score, members, year.",
        )
        page = serializers.IntegerField(required=False, min_value=1, default=1)
        page_size = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
        )
        include_hidden = serializers.BooleanField(
            required=False, default=False, help_text="Staff only: include hidden anime (flagged)."
        )

        class Meta:
            ref_name = "SearchInput"

        def validate_q(self, value: str) -> str:
            return normalize_query(value)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            has_filter = any(attrs.get(name) for name in ("genre", "type", "year", "season"))
            if not attrs.get("q") and not has_filter:
                raise serializers.ValidationError(
                    {"q": [_("Type something to search for, or choose a filter.")]}
                )
            if attrs["page"] * attrs["page_size"] > MAX_RESULT_WINDOW:
                raise serializers.ValidationError(
                    {
                        "page": [
                            _("Only the first %(n)d results can be paged through.") % {"n": MAX_RESULT_WINDOW}
                        ]
                    }
                )
            return attrs

    class OutputSerializer(serializers.Serializer):
        class ResultSerializer(AnimeCardSerializer):
            highlight = serializers.DictField(
                child=serializers.ListField(child=serializers.CharField()),
                help_text="Matched words wrapped in <em> (HTML-escaped text), under `titles` and `synopsis`.",
            )
            is_hidden = serializers.BooleanField(
                required=False, help_text="Only with include_hidden (staff)."
            )

            class Meta:
                ref_name = "SearchResult"

        class FacetSerializer(serializers.Serializer):
            value = serializers.JSONField(help_text="The value to pass back as a filter.")
            name = serializers.CharField(help_text="Display name.")
            count = serializers.IntegerField()

            class Meta:
                ref_name = "SearchFacetValue"

        count = serializers.IntegerField()
        next = serializers.URLField(allow_null=True)
        previous = serializers.URLField(allow_null=True)
        results = ResultSerializer(many=True)
        facets = serializers.DictField(
            child=FacetSerializer(many=True),
            help_text="Counts per genre, type, year and season; each counts with the other filters applied.",
        )
        degraded = serializers.BooleanField(
            help_text="True when the search server was unavailable and the database answered."
        )

        class Meta:
            ref_name = "SearchPage"

    @extend_schema(
        operation_id="search",
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(description="Invalid input; `extra.fields` names the parameter."),
            404: OpenApiResponse(description="A page past the last one."),
        },
    )
    def get(self, request: Request) -> Response:
        started = time.perf_counter()
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        page, page_size = data["page"], data["page_size"]
        user = request.user
        query = SearchQuery(
            q=data.get("q", ""),
            filters=serializer.catalog_filter(),
            sort=data.get("sort") or "relevance",
            offset=(page - 1) * page_size,
            limit=page_size,
            include_hidden=bool(data["include_hidden"] and user.is_authenticated and user.is_staff),
        )
        result = search_anime(query=query, language=_request_language(request))
        if page > 1 and query.offset >= result.count:
            raise NotFound(_("Invalid page."))
        url = request.build_absolute_uri()
        has_next = query.offset + page_size < result.count
        previous = None
        if page > 1:
            previous = (
                replace_query_param(url, "page", page - 1) if page > 2 else remove_query_param(url, "page")
            )
        body = {
            "count": result.count,
            "next": replace_query_param(url, "page", page + 1) if has_next else None,
            "previous": previous,
            "results": result.results,
            "facets": result.facets,
            "degraded": result.degraded,
        }
        return _with_timing(
            Response(self.OutputSerializer(body).data), started=started, engine_ms=result.engine_ms
        )


class SuggestApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=MAX_QUERY_LENGTH, help_text="What the user has typed so far.")

        class Meta:
            ref_name = "SuggestInput"

        def validate_q(self, value: str) -> str:
            return normalize_query(value)

    class OutputSerializer(serializers.Serializer):
        class SuggestionSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            mal_id = serializers.IntegerField(allow_null=True)
            title = serializers.CharField(help_text="Title in the request's language when the anime has one.")
            matched = serializers.CharField(help_text="The title the input matched.")
            type = serializers.CharField(allow_null=True)
            year = serializers.IntegerField(allow_null=True)
            cover_url = serializers.CharField(allow_blank=True)

            class Meta:
                ref_name = "Suggestion"

        results = SuggestionSerializer(many=True)
        degraded = serializers.BooleanField()

        class Meta:
            ref_name = "SuggestPage"

    @extend_schema(
        operation_id="search_suggest",
        parameters=[
            InputSerializer,
            OpenApiParameter("Accept-Language", str, OpenApiParameter.HEADER, description="en or zh-hans"),
        ],
        responses={200: OutputSerializer, 400: OpenApiResponse(description="Missing or too long `q`.")},
    )
    def get(self, request: Request) -> Response:
        started = time.perf_counter()
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        result = suggest_anime(q=serializer.validated_data["q"], language=_request_language(request))
        body = self.OutputSerializer({"results": result.results, "degraded": result.degraded}).data
        return _with_timing(Response(body), started=started, engine_ms=result.engine_ms)
