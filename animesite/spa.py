"""Serves the built Vue app at every non-API path (history-mode fallback)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import ensure_csrf_cookie


@ensure_csrf_cookie
def spa_index(request: HttpRequest) -> HttpResponse:
    index = settings.FRONTEND_DIST / "index.html"
    if not index.is_file():
        return HttpResponse(
            "The frontend is not built yet: run `make run` (or `make frontend`).",
            content_type="text/plain",
            status=503,
        )
    return HttpResponse(index.read_text(encoding="utf-8"))


def api_not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"code": "not_found", "message": "No such API endpoint.", "extra": {"path": request.path}},
        status=404,
    )
