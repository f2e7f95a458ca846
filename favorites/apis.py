"""The collection API: my entries (favourite, watch status, score) and MyAnimeList imports."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import signed_in_user
from animesite.exceptions import ApplicationError
from animesite.pagination import PageNumberPagination
from catalog.models import Anime
from catalog.selectors import anime_card
from favorites.mal_import import MAX_UPLOAD_BYTES, import_progress_key, mal_import_start
from favorites.models import CollectionEntry, ImportJob, WatchStatus
from favorites.selectors import (
    COLLECTION_ORDERINGS,
    collection_anime_get,
    collection_entry_get,
    collection_list,
    import_job_get,
)
from favorites.services import (
    UNSET,
    CollectionChange,
    collection_entry_delete,
    collection_entry_replace,
    collection_entry_upsert,
    collection_favorite_set,
)


@extend_schema_serializer(component_name="CollectionEntry")
class CollectionEntryOutputSerializer(serializers.Serializer):
    anime = serializers.SerializerMethodField()
    status = serializers.CharField()
    score = serializers.IntegerField(allow_null=True)
    is_favorite = serializers.BooleanField()
    source = serializers.CharField()  # type: ignore[assignment]
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_anime(self, obj: CollectionEntry) -> dict[str, Any]:
        return anime_card(obj.anime)


def _anime_or_404(request: Request, anime_id: int) -> Anime:
    anime = collection_anime_get(user=request.user, anime_id=anime_id)
    if anime is None:
        raise NotFound(_("No such anime."))
    return anime


def _change_response(change: CollectionChange) -> Response:
    return Response(
        CollectionEntryOutputSerializer(change.entry).data,
        status=status.HTTP_201_CREATED if change.created else status.HTTP_200_OK,
    )


class CollectionListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="CollectionFilter")
    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=WatchStatus.choices, required=False)
        favorite = serializers.BooleanField(required=False, allow_null=True, default=None)
        ordering = serializers.ChoiceField(choices=list(COLLECTION_ORDERINGS), default="-updated")

    @extend_schema_serializer(component_name="CollectionEntryCreate")
    class InputSerializer(serializers.Serializer):
        anime_id = serializers.IntegerField(min_value=1)
        status = serializers.ChoiceField(choices=WatchStatus.choices, required=False, allow_blank=True)
        score = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
        is_favorite = serializers.BooleanField(required=False, allow_null=True, default=None)

    @extend_schema(
        parameters=[FilterSerializer],
        responses=CollectionEntryOutputSerializer(many=True),
        summary="My collection",
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = collection_list(
            user=signed_in_user(request),
            status=params.validated_data.get("status"),
            favorite=params.validated_data["favorite"],
            ordering=params.validated_data["ordering"],
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(CollectionEntryOutputSerializer(page, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={200: CollectionEntryOutputSerializer, 201: CollectionEntryOutputSerializer},
        summary="Add an anime to my collection, or change its entry (idempotent)",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        anime = collection_anime_get(user=request.user, anime_id=values["anime_id"])
        if anime is None:
            raise ApplicationError(
                _("Invalid input."), code="invalid", extra={"fields": {"anime_id": [_("No such anime.")]}}
            )
        change = collection_entry_upsert(
            user=signed_in_user(request),
            anime=anime,
            status=values.get("status", UNSET),
            score=values.get("score", UNSET),
            is_favorite=UNSET if values["is_favorite"] is None else values["is_favorite"],
        )
        return _change_response(change)


class CollectionEntryApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="CollectionEntryReplace")
    class ReplaceSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=WatchStatus.choices, default="", allow_blank=True)
        score = serializers.IntegerField(min_value=1, max_value=10, default=None, allow_null=True)
        is_favorite = serializers.BooleanField(default=False)

    @extend_schema_serializer(component_name="CollectionEntryPatch")
    class PatchSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=WatchStatus.choices, required=False, allow_blank=True)
        score = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
        is_favorite = serializers.BooleanField(required=False, allow_null=True, default=None)

    @extend_schema(responses=CollectionEntryOutputSerializer, summary="One entry of my collection")
    def get(self, request: Request, anime_id: int) -> Response:
        entry = collection_entry_get(user=signed_in_user(request), anime_id=anime_id)
        if entry is None:
            raise NotFound(_("This anime is not in your collection."))
        return Response(CollectionEntryOutputSerializer(entry).data)

    @extend_schema(
        request=ReplaceSerializer,
        responses={200: CollectionEntryOutputSerializer, 201: CollectionEntryOutputSerializer},
        summary="Set every field of an entry (creates it when missing)",
    )
    def put(self, request: Request, anime_id: int) -> Response:
        data = self.ReplaceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        anime = _anime_or_404(request, anime_id)
        change = collection_entry_replace(user=signed_in_user(request), anime=anime, **data.validated_data)
        return _change_response(change)

    @extend_schema(
        request=PatchSerializer,
        responses=CollectionEntryOutputSerializer,
        summary="Change some fields of an entry",
    )
    def patch(self, request: Request, anime_id: int) -> Response:
        data = self.PatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = collection_entry_get(user=signed_in_user(request), anime_id=anime_id)
        if entry is None:
            raise NotFound(_("This anime is not in your collection."))
        values = data.validated_data
        change = collection_entry_upsert(
            user=signed_in_user(request),
            anime=entry.anime,
            status=values.get("status", UNSET),
            score=values.get("score", UNSET),
            is_favorite=UNSET if values["is_favorite"] is None else values["is_favorite"],
        )
        return _change_response(change)

    @extend_schema(responses={204: None}, summary="Remove an anime from my collection")
    def delete(self, request: Request, anime_id: int) -> Response:
        entry = collection_entry_get(user=signed_in_user(request), anime_id=anime_id)
        if entry is None or not collection_entry_delete(user=signed_in_user(request), anime=entry.anime):
            raise NotFound(_("This anime is not in your collection."))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CollectionFavoriteApi(APIView):
    """``POST`` marks an anime as a favourite (adding it when needed), ``DELETE`` unmarks it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: CollectionEntryOutputSerializer, 201: CollectionEntryOutputSerializer},
        summary="Favourite an anime",
    )
    def post(self, request: Request, anime_id: int) -> Response:
        anime = _anime_or_404(request, anime_id)
        change = collection_favorite_set(user=signed_in_user(request), anime=anime, is_favorite=True)
        assert change is not None
        return _change_response(change)

    @extend_schema(request=None, responses=CollectionEntryOutputSerializer, summary="Unfavourite an anime")
    def delete(self, request: Request, anime_id: int) -> Response:
        anime = _anime_or_404(request, anime_id)
        change = collection_favorite_set(user=signed_in_user(request), anime=anime, is_favorite=False)
        if change is None:
            raise NotFound(_("This anime is not in your collection."))
        return _change_response(change)


@extend_schema_serializer(component_name="CollectionImportJob")
class ImportJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    on_conflict = serializers.CharField()
    filename = serializers.CharField()
    total = serializers.IntegerField()
    processed = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    summary = serializers.JSONField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_processed(self, job: ImportJob) -> int:
        if job.status == ImportJob.Status.RUNNING:
            live = cache.get(import_progress_key(job.pk))
            if isinstance(live, int):
                return min(live, job.total)
        return job.processed

    def get_progress(self, job: ImportJob) -> float:
        """Share of the entries handled, 0.0-1.0."""
        if job.status == ImportJob.Status.SUCCEEDED:
            return 1.0
        return round(self.get_processed(job) / job.total, 3) if job.total else 0.0


class CollectionImportApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema_serializer(component_name="CollectionImportUpload")
    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(
            help_text=f"animelist.xml or animelist.xml.gz, at most {MAX_UPLOAD_BYTES} bytes"
        )
        on_conflict = serializers.ChoiceField(
            choices=ImportJob.OnConflict.choices,
            default=ImportJob.OnConflict.SKIP,
            help_text="What to do with an entry changed on this site after MyAnimeList last saw it.",
        )

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={202: ImportJobOutputSerializer},
        summary="Import a MyAnimeList list export",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        job = mal_import_start(
            user=signed_in_user(request),
            upload=upload,
            filename=upload.name or "",
            size=upload.size,
            on_conflict=data.validated_data["on_conflict"],
        )
        return Response(ImportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class CollectionImportJobApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=ImportJobOutputSerializer,
        parameters=[OpenApiParameter("job_id", int, OpenApiParameter.PATH)],
        summary="Progress and summary of an import",
    )
    def get(self, request: Request, job_id: int) -> Response:
        job = import_job_get(user=signed_in_user(request), job_id=job_id)
        if job is None:
            raise NotFound(_("No such import."))
        return Response(ImportJobOutputSerializer(job).data)
