from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from animesite.spa import api_not_found, spa_index

api_patterns: list[URLPattern | URLResolver] = [
    path("auth/", include("accounts.urls")),
    path("search/", include("catalog.search.urls")),
    path("", include("catalog.urls")),
    path("", include("favorites.urls")),
    path("", include("rankings.urls")),
    path("", include("recsys.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^.*$", api_not_found),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    re_path(r"^(?!static/).*$", spa_index, name="spa"),
]

handler400 = "animesite.errors.bad_request"
handler403 = "animesite.errors.permission_denied"
handler404 = "animesite.errors.page_not_found"
handler500 = "animesite.errors.server_error"
