"""The collection API: my entries (favourite, watch status, score, episode progress, rewatches,
dates) and MyAnimeList imports."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
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
from favorites.mal_import import mal_import_start
from favorites.mal_writer import mal_export_write
from favorites.mal_xml import MAX_UPLOAD_BYTES
from favorites.models import MAX_EPISODES_WATCHED, MAX_REWATCH_COUNT, CollectionEntry, ImportJob, WatchStatus
from favorites.selectors import (
    COLLECTION_ORDERINGS,
    collection_anime_get,
    collection_counts,
    collection_entry_get,
    collection_export_entries,
    collection_export_left_out,
    collection_list,
    import_job_get,
)
from favorites.services import (
    UNSET,
    CollectionChange,
    collection_entry_delete,
    collection_entry_replace,
    collection_entry_upsert,
    collection_episode_increment,
    collection_favorite_set,
)
from favorites.statistics import collection_statistics


@extend_schema_serializer(component_name="CollectionEntry")
class CollectionEntryOutputSerializer(serializers.Serializer):
    anime = serializers.SerializerMethodField()
    status = serializers.CharField()
    score = serializers.IntegerField(allow_null=True)
    is_favorite = serializers.BooleanField()
    episodes_watched = serializers.IntegerField()
    rewatch_count = serializers.IntegerField()
    start_date = serializers.DateField(allow_null=True)
    finish_date = serializers.DateField(allow_null=True)
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


_OPTIONAL_FIELDS = ("status", "score", "episodes_watched", "rewatch_count", "start_date", "finish_date")


def _optional_values(values: dict[str, Any]) -> dict[str, Any]:
    """The fields a POST or PATCH named (the rest stay UNSET); a null favourite flag is unnamed."""
    named: dict[str, Any] = {name: values.get(name, UNSET) for name in _OPTIONAL_FIELDS}
    named["is_favorite"] = UNSET if values.get("is_favorite") is None else values["is_favorite"]
    return named


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
        anime_id = serializers.IntegerField(required=False, min_value=1)
        ordering = serializers.ChoiceField(choices=list(COLLECTION_ORDERINGS), default="-updated")

    @extend_schema_serializer(component_name="CollectionEntryCreate")
    class InputSerializer(serializers.Serializer):
        anime_id = serializers.IntegerField(min_value=1)
        status = serializers.ChoiceField(choices=WatchStatus.choices, required=False, allow_blank=True)
        score = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
        is_favorite = serializers.BooleanField(required=False, allow_null=True, default=None)
        episodes_watched = serializers.IntegerField(
            min_value=0, max_value=MAX_EPISODES_WATCHED, required=False
        )
        rewatch_count = serializers.IntegerField(min_value=0, max_value=MAX_REWATCH_COUNT, required=False)
        start_date = serializers.DateField(required=False, allow_null=True)
        finish_date = serializers.DateField(required=False, allow_null=True)

    @extend_schema(
        operation_id="collection_list",
        parameters=[FilterSerializer],
        responses=inline_serializer(
            "PaginatedCollectionEntryList",
            fields={
                "count": serializers.IntegerField(),
                "next": serializers.CharField(allow_null=True),
                "previous": serializers.CharField(allow_null=True),
                "results": CollectionEntryOutputSerializer(many=True),
            },
        ),
        summary="My collection (paginated: ?page=, ?page_size= up to 100)",
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = collection_list(
            user=signed_in_user(request),
            status=params.validated_data.get("status"),
            favorite=params.validated_data["favorite"],
            anime_id=params.validated_data.get("anime_id"),
            ordering=params.validated_data["ordering"],
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        response = paginator.get_paginated_response(CollectionEntryOutputSerializer(page, many=True).data)
        # Entries per tab (all, favorite, each status), whatever this page's filter.
        response.data["counts"] = collection_counts(user=request.user)  # type: ignore[arg-type]
        return response

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
            **_optional_values(values),
        )
        return _change_response(change)


class CollectionEntryApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="CollectionEntryReplace")
    class ReplaceSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=WatchStatus.choices, default="", allow_blank=True)
        score = serializers.IntegerField(min_value=1, max_value=10, default=None, allow_null=True)
        is_favorite = serializers.BooleanField(default=False)
        episodes_watched = serializers.IntegerField(min_value=0, max_value=MAX_EPISODES_WATCHED, default=0)
        rewatch_count = serializers.IntegerField(min_value=0, max_value=MAX_REWATCH_COUNT, default=0)
        start_date = serializers.DateField(default=None, allow_null=True)
        finish_date = serializers.DateField(default=None, allow_null=True)

    @extend_schema_serializer(component_name="CollectionEntryPatch")
    class PatchSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=WatchStatus.choices, required=False, allow_blank=True)
        score = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
        is_favorite = serializers.BooleanField(required=False, allow_null=True, default=None)
        episodes_watched = serializers.IntegerField(
            min_value=0, max_value=MAX_EPISODES_WATCHED, required=False
        )
        rewatch_count = serializers.IntegerField(min_value=0, max_value=MAX_REWATCH_COUNT, required=False)
        start_date = serializers.DateField(required=False, allow_null=True)
        finish_date = serializers.DateField(required=False, allow_null=True)

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
        change = collection_entry_upsert(
            user=signed_in_user(request),
            anime=entry.anime,
            **_optional_values(data.validated_data),
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

    @extend_schema(
        request=None, responses={200: CollectionEntryOutputSerializer}, summary="Unfavourite an anime"
    )
    def delete(self, request: Request, anime_id: int) -> Response:
        anime = _anime_or_404(request, anime_id)
        change = collection_favorite_set(user=signed_in_user(request), anime=anime, is_favorite=False)
        if change is None:
            raise NotFound(_("This anime is not in your collection."))
        return _change_response(change)


class CollectionProgressApi(APIView):
    """``POST`` records one more watched episode (the "+1" button)."""

    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="CollectionProgress")
    class OutputSerializer(CollectionEntryOutputSerializer):
        offer_complete = serializers.BooleanField(
            help_text="The last episode was reached and the entry is not completed yet: offer to complete it."
        )

    @extend_schema(
        request=None,
        responses={200: OutputSerializer, 201: OutputSerializer},
        summary="One more episode watched (capped at the episode count)",
    )
    def post(self, request: Request, anime_id: int) -> Response:
        anime = _anime_or_404(request, anime_id)
        progress = collection_episode_increment(user=signed_in_user(request), anime=anime)
        body = {
            **CollectionEntryOutputSerializer(progress.change.entry).data,
            "offer_complete": progress.offer_complete,
        }
        return Response(
            body, status=status.HTTP_201_CREATED if progress.change.created else status.HTTP_200_OK
        )


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
        """Entries handled so far (committed with each batch of the import)."""
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


class CollectionStatisticsApi(APIView):
    """My list in figures, for the statistics page and its charts."""

    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="CollectionStatistics")
    class OutputSerializer(serializers.Serializer):
        total = serializers.IntegerField()
        favorites = serializers.IntegerField()
        scored = serializers.IntegerField()
        mean_score = serializers.FloatField(allow_null=True)
        statuses = serializers.ListField(child=serializers.DictField(), help_text="[{status, count}]")
        scores = serializers.ListField(child=serializers.DictField(), help_text="[{score: 1..10, count}]")
        genres = serializers.ListField(
            child=serializers.DictField(), help_text="[{name, slug, count, mean_score}], most listed first"
        )
        types = serializers.ListField(child=serializers.DictField(), help_text="[{type, count, episodes}]")
        episodes = serializers.IntegerField()
        minutes = serializers.IntegerField()
        days = serializers.FloatField(help_text="Days watched, from the per-type episode durations")
        minutes_per_episode = serializers.DictField(help_text="The assumed episode duration per type")

    @extend_schema(responses=OutputSerializer, summary="Statistics of my list")
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        return Response(self.OutputSerializer(collection_statistics(user=user)).data)


class CollectionExportApi(APIView):
    """My list as a MyAnimeList XML export (``animelist.xml``), importable here and elsewhere."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "application/xml"): OpenApiTypes.STR},
        summary="Export my list as MyAnimeList XML",
        description=(
            "Entries without a watch status or whose anime has no MyAnimeList id cannot be written; "
            "their number is in the X-Export-Left-Out header."
        ),
    )
    def get(self, request: Request) -> HttpResponse:
        user = signed_in_user(request)
        body = mal_export_write(user=user, entries=collection_export_entries(user=user))
        response = HttpResponse(body, content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="animelist_{slugify(user.username) or user.pk}.xml"'
        )
        response["X-Export-Left-Out"] = str(collection_export_left_out(user=user))
        return response


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
