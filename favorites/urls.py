from django.urls import path

from favorites.apis import (
    CollectionEntryApi,
    CollectionExportApi,
    CollectionFavoriteApi,
    CollectionImportApi,
    CollectionImportJobApi,
    CollectionListCreateApi,
    CollectionProgressApi,
    CollectionStatisticsApi,
)

urlpatterns = [
    path("collection/", CollectionListCreateApi.as_view(), name="collection-list"),
    path("collection/export/", CollectionExportApi.as_view(), name="collection-export"),
    path("collection/statistics/", CollectionStatisticsApi.as_view(), name="collection-statistics"),
    path("collection/import/", CollectionImportApi.as_view(), name="collection-import"),
    path("collection/import/<int:job_id>/", CollectionImportJobApi.as_view(), name="collection-import-job"),
    path("collection/<int:anime_id>/", CollectionEntryApi.as_view(), name="collection-entry"),
    path("collection/<int:anime_id>/progress/", CollectionProgressApi.as_view(), name="collection-progress"),
    path("collection/<int:anime_id>/favorite/", CollectionFavoriteApi.as_view(), name="collection-favorite"),
]
