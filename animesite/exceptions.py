"""One error vocabulary for the whole API: ``{"code", "message", "extra"}``.

Every error an API view raises answers in that shape, unexpected ones included:

- domain errors (``ApplicationError``), validation, not found, permission, throttling: their own
  status and code;
- a request Django refuses as suspicious (too many fields, a body over the size limit): 400;
- the database unreachable (``OperationalError``/``InterfaceError``): 503 ``service_unavailable``
  with a ``Retry-After`` header, so clients retry a write instead of losing it;
- anything else: 500 ``server_error`` with ``extra.error_id``, a random id that is logged with the
  traceback (logger ``animesite.errors``), so an operator can find the report a visitor quotes.
  No traceback, setting or local variable ever reaches the response.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger("animesite.errors")

# Seconds a client should wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 5


class ApplicationError(Exception):
    """A domain error raised by services; rendered as a 400 unless ``status`` says otherwise."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "error",
        extra: dict[str, Any] | None = None,
        status: int = 400,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}
        self.status = status


def error_body(code: str, message: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "extra": extra or {}}


def database_unavailable_body() -> dict[str, Any]:
    return error_body(
        "service_unavailable",
        _("The service is temporarily unavailable. Please try again in a few seconds."),
        {"retry_after": DATABASE_RETRY_AFTER_SECONDS},
    )


def server_error_report(exc: BaseException | None, request: HttpRequest | None) -> dict[str, Any]:
    """Log ``exc`` with a new error id and return the 500 body that quotes it."""
    error_id = uuid.uuid4().hex
    path = getattr(request, "path", "?")
    method = getattr(request, "method", "?")
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else True
    logger.error("error_id=%s %s %s: unhandled error", error_id, method, path, exc_info=exc_info)
    return error_body(
        "server_error",
        _("Something went wrong on our side. Please quote error id %(id)s if you report it.")
        % {"id": error_id},
        {"error_id": error_id},
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.extra), status=exc.status)
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unreachable: %s", exc)
        unavailable = Response(
            database_unavailable_body(),
            status=503,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
        unavailable.database_unavailable = True  # type: ignore[attr-defined]
        return unavailable
    if isinstance(exc, SuspiciousOperation):
        return Response(
            error_body("bad_request", _("The request was refused: %(e)s") % {"e": exc}), status=400
        )
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        return Response(server_error_report(exc, getattr(request, "_request", request)), status=500)

    if isinstance(exc, drf_exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("invalid", _("Invalid input."), {"fields": fields})
    elif isinstance(exc, drf_exceptions.APIException):
        extra: dict[str, Any] = {}
        wait = getattr(exc, "wait", None)
        if isinstance(exc, drf_exceptions.Throttled) and wait is not None:
            extra["retry_after"] = int(wait)
        detail = exc.detail
        response.data = error_body(getattr(detail, "code", None) or exc.default_code, str(detail), extra)
    return response
