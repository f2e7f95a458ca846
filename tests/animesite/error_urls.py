"""The site's URLs plus views that fail on purpose (for the error-format tests)."""

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from animesite.urls import handler400, handler403, handler404, handler500
from animesite.urls import urlpatterns as site_urlpatterns

DATABASE_PASSWORD_SENTINEL = "db-password-sentinel-1234"


def broken_page(request: HttpRequest) -> HttpResponse:
    password = DATABASE_PASSWORD_SENTINEL  # a frame local a traceback page would print
    raise RuntimeError(f"page failure {len(password)}")


def broken_plain_api(request: HttpRequest) -> HttpResponse:
    password = DATABASE_PASSWORD_SENTINEL
    raise RuntimeError(f"plain api failure {len(password)}")


class BrokenApi(APIView):
    def get(self, request: Request) -> Response:
        password = DATABASE_PASSWORD_SENTINEL
        raise RuntimeError(f"api failure {len(password)}")

    def post(self, request: Request) -> Response:
        raise OperationalError(2003, "Can't connect to MySQL server on '127.0.0.1'")


urlpatterns = [
    path("api/test-broken/", BrokenApi.as_view()),
    path("api/test-broken-plain/", broken_plain_api),
    path("test-broken-page/", broken_page),
    *site_urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
