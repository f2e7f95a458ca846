from django.urls import URLPattern, URLResolver, path

from catalog.apis import AnimeDetailApi, AnimeListApi, CalendarApi, CurrentSeasonApi, SeasonApi

urlpatterns: list[URLPattern | URLResolver] = [
    path("anime/", AnimeListApi.as_view(), name="anime-list"),
    path("anime/<int:anime_id>/", AnimeDetailApi.as_view(), name="anime-detail"),
    path("seasons/current/", CurrentSeasonApi.as_view(), name="season-current"),
    path("seasons/<int:year>/<str:season>/", SeasonApi.as_view(), name="season-anime"),
    path("calendar/", CalendarApi.as_view(), name="airing-calendar"),
]
