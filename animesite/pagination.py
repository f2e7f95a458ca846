"""The one paging contract of every paginated endpoint (catalogue list, search, rankings, collection).

Parameters:

- ``page``: an integer from 1 (default 1); anything else is a 400 naming ``page``.
- ``page_size``: an integer from 1 to ``max_page_size`` (100; default 20); anything else, an empty
  value included, is a 400 naming ``page_size``.

Answer: ``{count, total, next, previous, results}``. ``total`` is the number of matching items;
``count`` the number that can be paged through: the same, except where the source can only page
through a window (the search engine's first 10,000 hits, ``max_result_window``). ``next`` is null
on the last page that answers, so a client following ``next`` or computing the last page from
``count`` never reaches a page that is refused. A page after the last one is a 404 (``not_found``);
page 1 always answers, empty when nothing matches.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from animesite.numbers import ascii_whole

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def _integer(raw: str | None, *, default: int, low: int, high: int | None) -> int | None:
    """``raw`` as an integer within ``[low, high]``, ``default`` when absent, ``None`` if invalid."""
    if raw is None:
        return default
    value = ascii_whole(raw.strip(), sys.maxsize if high is None else high)
    if value is None or value < low:
        return None
    return value


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    # The most items a client may page through (None: all of them).
    max_result_window: int | None = None

    def __init__(self, *, max_result_window: int | None = None) -> None:
        if max_result_window is not None:
            self.max_result_window = max_result_window
        self.page: Page[Any] | None = None
        self.request: Request | None = None
        self.total = 0
        self.count = 0
        self.number = 1
        self.size = self.page_size

    # --- parameters ----------------------------------------------------------------------------

    def read_parameters(self, request: Request) -> tuple[int, int]:
        """``(page, page_size)`` from the query string; ``ValidationError`` naming each bad one."""
        errors: dict[str, list[str]] = {}
        params = request.query_params
        page = _integer(params.get(self.page_query_param), default=1, low=1, high=None)
        if page is None:
            errors[self.page_query_param] = [_("A page number is a whole number from 1.")]
        size = _integer(
            params.get(self.page_size_query_param), default=self.page_size, low=1, high=self.max_page_size
        )
        if size is None:
            errors[self.page_size_query_param] = [
                _("The page size is a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            ]
        if errors:
            raise ValidationError(errors)
        assert page is not None and size is not None
        self.request, self.number, self.size = request, page, size
        return page, size

    def get_page_size(self, request: Request) -> int:
        return self.read_parameters(request)[1]

    def offset(self) -> int:
        return (self.number - 1) * self.size

    # --- paging --------------------------------------------------------------------------------

    def set_total(self, total: int) -> None:
        """Record how many items match; 404 when the requested page is after the last one."""
        self.total = int(total)
        self.count = self.total if self.max_result_window is None else min(self.total, self.max_result_window)
        if self.number > max(1, self.last_page()):
            if self.max_result_window is not None and self.total > self.count:
                raise NotFound(
                    _("Only the first %(n)d results can be paged through.") % {"n": self.max_result_window}
                )
            raise NotFound(_("Invalid page."))

    def last_page(self) -> int:
        return max(1, math.ceil(self.count / self.size))

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        """One page of ``queryset`` (a QuerySet or a sequence), validated as the contract says."""
        page_number, size = self.read_parameters(request)
        total = (
            queryset.count()
            if hasattr(queryset, "count") and not isinstance(queryset, Sequence)
            else len(queryset)
        )
        self.set_total(total)
        paginator = Paginator(queryset, size, allow_empty_first_page=True)
        paginator.count = self.count  # already counted (and windowed)
        self.page = paginator.page(page_number)
        return list(self.page)

    def get_next_link(self) -> str | None:
        if self.request is None or self.number >= self.last_page():
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.number + 1)

    def get_previous_link(self) -> str | None:
        if self.request is None or self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def envelope(self, results: Any) -> dict[str, Any]:
        """The paging keys and ``results``, for views that add keys of their own."""
        return {
            "count": self.count,
            "total": self.total,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": results,
        }

    def get_paginated_response(self, data: Any) -> Response:
        return Response(self.envelope(data))

    # --- OpenAPI -------------------------------------------------------------------------------

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "total", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "description": "Items that can be paged through."},
                "total": {"type": "integer", "description": "Items that match."},
                "next": {"type": "string", "format": "uri", "nullable": True},
                "previous": {"type": "string", "format": "uri", "nullable": True},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return page_parameters(max_page_size=self.max_page_size)


def page_parameters(*, max_page_size: int = MAX_PAGE_SIZE) -> list[dict[str, Any]]:
    """The OpenAPI description of ``page`` and ``page_size``."""
    return [
        {
            "name": "page",
            "required": False,
            "in": "query",
            "description": "Page number, from 1; a page after the last one is a 404.",
            "schema": {"type": "integer", "minimum": 1, "default": 1},
        },
        {
            "name": "page_size",
            "required": False,
            "in": "query",
            "description": f"Results per page, 1 to {max_page_size}.",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": max_page_size,
                "default": DEFAULT_PAGE_SIZE,
            },
        },
    ]


def page_openapi_parameters(*, max_page_size: int = MAX_PAGE_SIZE) -> list[Any]:
    """``page`` and ``page_size`` as drf-spectacular parameters, for views documented by hand."""
    from drf_spectacular.utils import OpenApiParameter

    return [
        OpenApiParameter(
            p["name"], p["schema"], OpenApiParameter.QUERY, required=False, description=p["description"]
        )
        for p in page_parameters(max_page_size=max_page_size)
    ]
