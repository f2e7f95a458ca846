from django.urls import URLPattern, URLResolver, path

from catalog.apis import AnimeDetailApi, AnimeListApi

urlpatterns: list[URLPattern | URLResolver] = [
    path("anime/", AnimeListApi.as_view(), name="anime-list"),
    path("anime/<int:anime_id>/", AnimeDetailApi.as_view(), name="anime-detail"),
]
