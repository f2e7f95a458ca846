from django.urls import URLPattern, path

from recsys.apis import (
    HealthApi,
    NotInterestedApi,
    NotInterestedDeleteApi,
    RecommendationListApi,
    SimilarAnimeApi,
)

urlpatterns: list[URLPattern] = [
    path("recommendations/", RecommendationListApi.as_view(), name="recommendations"),
    path(
        "recommendations/not-interested/", NotInterestedApi.as_view(), name="recommendations-not-interested"
    ),
    path(
        "recommendations/not-interested/<int:anime_id>/",
        NotInterestedDeleteApi.as_view(),
        name="recommendations-not-interested-undo",
    ),
    path("anime/<int:anime_id>/similar/", SimilarAnimeApi.as_view(), name="anime-similar"),
    path("health/", HealthApi.as_view(), name="health"),
]
