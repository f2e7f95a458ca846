"""Recommendation, feedback and similar-anime endpoints, plus a trivial health check."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from animesite.params import query_params_validate
from catalog.models import Anime
from catalog.serializers import AnimeCardSerializer
from recsys.services import not_interested_add, not_interested_remove
from recsys.serving.cards import anime_is_visible
from recsys.serving.recommendations import recommend_for_user
from recsys.serving.similar import similar_for_anime


def _json_response(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type="application/json")


class RecommendationListApi(APIView):
    """Personalised recommendations for the current user (popular picks when anonymous)."""

    @extend_schema_serializer(component_name="RecommendationListQuery")
    class InputSerializer(serializers.Serializer[dict[str, Any]]):
        limit = serializers.IntegerField(min_value=1, max_value=100, default=20)

    @extend_schema_serializer(component_name="RecommendationList")
    class OutputSerializer(serializers.Serializer[dict[str, Any]]):
        @extend_schema_serializer(component_name="RecommendationItem")
        class ItemSerializer(AnimeCardSerializer):
            @extend_schema_serializer(component_name="RecommendationReason")
            class ReasonSerializer(serializers.Serializer[dict[str, Any]]):
                code = serializers.ChoiceField(
                    choices=[
                        "because_you_liked",
                        "new_this_season",
                        "new_like",
                        "popular_in_genre",
                        "popular",
                    ]
                )
                anime_id = serializers.IntegerField(required=False)
                title = serializers.CharField(required=False)
                genre = serializers.CharField(required=False)

            reason = ReasonSerializer()
            reason_text = serializers.CharField()
            channel = serializers.CharField()

        results = ItemSerializer(many=True)
        degraded = serializers.BooleanField()
        version = serializers.CharField(allow_null=True)

    @extend_schema(
        operation_id="recommendations_list", parameters=[InputSerializer], responses=OutputSerializer
    )
    def get(self, request: Request) -> HttpResponse:
        params = query_params_validate(self.InputSerializer, request.query_params)
        result = recommend_for_user(
            user=request.user, limit=params["limit"], language=translation.get_language()
        )
        # The answer leaves the serving layer already encoded in the documented shape (a test holds
        # it to OutputSerializer), once per computed answer however often it is reused.
        return _json_response(result.body)


class NotInterestedApi(APIView):
    """Hide an anime from my recommendations, at once."""

    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="NotInterestedInput")
    class InputSerializer(serializers.Serializer[dict[str, Any]]):
        anime_id = serializers.IntegerField()

        def validate_anime_id(self, value: int) -> int:
            if not Anime.objects.visible().filter(id=value).exists():
                raise serializers.ValidationError(_("Unknown anime."))
            return value

    @extend_schema_serializer(component_name="NotInterested")
    class OutputSerializer(serializers.Serializer[dict[str, Any]]):
        anime_id = serializers.IntegerField()

    @extend_schema(
        operation_id="recommendations_not_interested_create",
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        anime = Anime.objects.get(id=serializer.validated_data["anime_id"])
        entry = not_interested_add(user=request.user, anime=anime)  # type: ignore[arg-type]
        return Response(
            self.OutputSerializer({"anime_id": entry.anime_id}).data, status=status.HTTP_201_CREATED
        )


class NotInterestedDeleteApi(APIView):
    """Undo "not interested" for one anime."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="recommendations_not_interested_destroy",
        responses={204: OpenApiResponse(description="No longer hidden from recommendations.")},
    )
    def delete(self, request: Request, anime_id: int) -> Response:
        not_interested_remove(user=request.user, anime_id=anime_id)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class SimilarAnimeApi(APIView):
    """Anime similar to one anime: ``results`` ("fans also liked": model neighbours, or shared
    genres and tags, the anime's franchise left out) and ``related`` (its franchise's other
    entries, in air order)."""

    @extend_schema_serializer(component_name="SimilarAnimeQuery")
    class InputSerializer(serializers.Serializer[dict[str, Any]]):
        limit = serializers.IntegerField(min_value=1, max_value=50, default=12)

    @extend_schema_serializer(component_name="SimilarAnimeList")
    class OutputSerializer(serializers.Serializer[dict[str, Any]]):
        @extend_schema_serializer(component_name="SimilarAnimeItem")
        class ItemSerializer(AnimeCardSerializer):
            similarity = serializers.FloatField()

        results = ItemSerializer(many=True)
        related = AnimeCardSerializer(many=True)
        degraded = serializers.BooleanField()
        version = serializers.CharField(allow_null=True)
        method = serializers.ChoiceField(choices=["cooccurrence", "vectors", "content"])

    @extend_schema(operation_id="anime_similar", parameters=[InputSerializer], responses=OutputSerializer)
    def get(self, request: Request, anime_id: int) -> HttpResponse:
        params = query_params_validate(self.InputSerializer, request.query_params)
        if not anime_is_visible(anime_id=anime_id, user=request.user):
            raise NotFound(_("No such anime."))
        result = similar_for_anime(
            anime_id=anime_id, limit=params["limit"], language=translation.get_language()
        )
        # Already encoded in the documented shape, as for recommendations.
        return _json_response(result.body)


class HealthApi(APIView):
    """Liveness: answers without touching the database."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="Health")
    class OutputSerializer(serializers.Serializer[dict[str, Any]]):
        status = serializers.CharField()

    @extend_schema(operation_id="health", responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})
