from django.urls import path

from rankings.apis import HomeApi, RankingApi

urlpatterns = [
    path("rankings/<str:kind>/", RankingApi.as_view(), name="ranking"),
    path("home/", HomeApi.as_view(), name="home"),
]
