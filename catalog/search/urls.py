from django.urls import URLPattern, URLResolver, path

from catalog.search.apis import SearchApi, SuggestApi

urlpatterns: list[URLPattern | URLResolver] = [
    path("", SearchApi.as_view(), name="search"),
    path("suggest/", SuggestApi.as_view(), name="search-suggest"),
]
