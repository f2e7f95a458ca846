"""The API keeps its OpenAPI contract: schemathesis generates requests for every operation, signed
in and anonymous, from valid data (positive) and from data the schema forbids (negative: wrong
types, out-of-range numbers, missing required fields, invalid bodies), and every answer must be a
documented status with a body matching its schema, never a 5xx; negative requests must be refused
with a 4xx. Bounded: ``EXAMPLES`` per operation, visitor and mode (``SEARCH_EXAMPLES`` for search,
which may wait on the engine); at least 2,000 requests per mode."""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode

from tests.factories import AnimeFactory, UserFactory

EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "60"))
SEARCH_EXAMPLES = int(os.environ.get("CONTRACT_SEARCH_EXAMPLES", "12"))
# Per visitor: 2,000 positive and 1,500 negative in all (fewer operations have something to
# make invalid, and requests whose only invalid part is the session cookie are not sent).
MIN_REQUESTS = {GenerationMode.POSITIVE: 1000, GenerationMode.NEGATIVE: 750}
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
NEGATIVE_CHECKS = [*CHECKS, schemathesis.checks.negative_data_rejection]


def _visitor(*, signed_in: bool) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and cookies of a visitor with a CSRF token, signed in or not."""
    client = Client()
    if signed_in:
        client.force_login(UserFactory())
    client.get("/api/auth/me/")
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    return {"X-CSRFToken": cookies["csrftoken"]}, cookies


examples_sent = [0]


def _negative_locations(case) -> set[ParameterLocation]:
    """Where a negative case was made invalid."""
    meta = case._meta
    if meta is None:
        return set()
    return {location for location, info in meta.components.items() if info.mode.is_negative}


def _check_operation(
    operation,
    examples: int,
    visitor: tuple[dict[str, str], dict[str, str]],
    statuses: Counter[int],
    failures: list[str],
    mode: GenerationMode,
) -> None:
    """Up to ``examples`` generated requests to one operation; failures collected, not raised."""
    name = f"{operation.method.upper()} {operation.path} ({mode.value})"
    checks = NEGATIVE_CHECKS if mode == GenerationMode.NEGATIVE else CHECKS
    known_query = {parameter.name for parameter in operation.query}
    examples_sent[0] = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        derandomize=True,
        database=None,
    )
    def run(case) -> None:
        case_checks = checks
        if mode == GenerationMode.NEGATIVE:
            negative = _negative_locations(case)
            if not negative - {ParameterLocation.COOKIE, ParameterLocation.HEADER}:
                return  # only the session cookie or CSRF header made invalid: the visitor's own are sent
            query = case.query or {}
            if any(not str(value).strip() for value in query.values()):
                # An empty or blank query value means "not given" (the default) or a 400 with the
                # field named: test_empty_and_blank_query_values_are_the_default_or_a_field_error.
                case_checks = CHECKS
            elif set(query) - known_query:
                case_checks = CHECKS  # unknown query parameters are ignored, as by any web server
            elif any(isinstance(value, list | dict) for value in query.values()):
                # An array or object in the query is sent as repeated or separate keys: one value
                # reads as the integer itself, other keys are unknown (ignored) parameters.
                case_checks = CHECKS
        examples_sent[0] += 1
        try:
            response = case.call_and_validate(headers=visitor[0], cookies=visitor[1], checks=case_checks)
            statuses[response.status_code] += 1
        except (Exception, BaseExceptionGroup) as exc:  # collected (schemathesis raises a group)
            if len(failures) < 50:
                failures.append(f"{name}: {str(exc)[:600]}")

    try:
        run()
    except Unsatisfiable:  # negative mode: nothing in the operation can be made invalid
        assert mode == GenerationMode.NEGATIVE, name


def _run_contract(*, signed_in: bool, mode: GenerationMode) -> tuple[int, Counter[int], list[str]]:
    from animesite.wsgi import application

    for mal_id in range(1, 6):
        AnimeFactory(mal_id=mal_id)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    sent = 0
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        examples = SEARCH_EXAMPLES if operation.path.startswith("/api/search/") else EXAMPLES
        _check_operation(operation, examples, _visitor(signed_in=signed_in), statuses, failures, mode)
        sent += examples_sent[0]

    return sent, statuses, failures


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"]
)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed_in"])
def test_api_contract(settings, signed_in, mode):
    settings.SEARCH_TIMEOUT_SECONDS = 0.5
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "login_ip": "1000/min",
            "login_username": "1000/min",
            "register": "1000/hour",
        },
    }
    sent, statuses, failures = _run_contract(signed_in=signed_in, mode=mode)
    visitor = "signed in" if signed_in else "anonymous"
    print(
        f"schemathesis ({visitor}, {mode.value}): {sent} requests, statuses {dict(sorted(statuses.items()))}"
    )
    assert not failures, "\n\n".join(failures)
    assert sent >= MIN_REQUESTS[mode] or EXAMPLES < 60
    assert not [status for status in statuses if status >= 500]
