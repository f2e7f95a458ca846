"""Error pages for what fails outside an API view's own handler (middleware, URL resolution,
Django's 400/403/404/500 handlers). Under ``/api/`` they answer the JSON error format; elsewhere
a short plain page. Neither ever shows a traceback; a 500 quotes the logged error id."""

from __future__ import annotations

import sys
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from animesite.exceptions import (
    DATABASE_RETRY_AFTER_SECONDS,
    database_unavailable_body,
    error_body,
    server_error_report,
)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text + "\n", content_type="text/plain; charset=utf-8", status=status)


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        if _is_api(request):
            response: HttpResponse = JsonResponse(database_unavailable_body(), status=503)
        else:
            response = _plain(_("The service is temporarily unavailable. Please try again shortly."), 503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        response.database_unavailable = True  # type: ignore[attr-defined]
        return response
    body = server_error_report(exc, request)
    if _is_api(request):
        return JsonResponse(body, status=500)
    return _plain(_("Server error. Error id: %(id)s") % {"id": body["extra"]["error_id"]}, 500)


def bad_request(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("bad_request", _("Bad request.")), status=400)
    return _plain(_("Bad request."), 400)


def permission_denied(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", _("Permission denied.")), status=403)
    return _plain(_("Permission denied."), 403)


def page_not_found(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("not_found", _("Not found."), {"path": request.path}), status=404)
    return _plain(_("Not found."), 404)
