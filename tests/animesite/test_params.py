"""Prepared query-parameter validation answers exactly as the serializer it stands in for."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import QueryDict
from rest_framework import serializers

from animesite.params import query_params_validate


class Query(serializers.Serializer[dict[str, Any]]):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=12)
    order = serializers.ChoiceField(choices=["new", "top"], required=False)
    q = serializers.CharField(max_length=5, required=False)


def _serializer(data: QueryDict) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    s = Query(data=data)
    return (dict(s.validated_data), None) if s.is_valid() else (None, s.errors)


def _prepared(data: QueryDict) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    try:
        return query_params_validate(Query, data), None
    except serializers.ValidationError as exc:
        return None, exc.detail  # type: ignore[return-value]


@pytest.mark.parametrize(
    "query",
    ["", "limit=3", "limit=50", "limit=0", "limit=51", "limit=abc", "order=top", "order=old&limit=2",
     "q=abcdef&limit=-1", "limit=7&unknown=1", "limit="],
)  # fmt: skip
def test_same_answer_as_the_serializer(query):
    data = QueryDict(query)
    assert _prepared(data) == _serializer(data)


def test_nested_serializers_are_refused():
    class Nested(serializers.Serializer[dict[str, Any]]):
        inner = Query()

    with pytest.raises(TypeError):
        query_params_validate(Nested, QueryDict(""))
