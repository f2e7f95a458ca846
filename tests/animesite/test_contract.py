"""The API keeps its OpenAPI contract: schemathesis generates requests for every operation, signed
in and anonymous, and every answer must be a documented status with a body matching its schema,
never a 5xx. Bounded: ``EXAMPLES`` per operation and visitor (``SEARCH_EXAMPLES`` for search, which
may wait on the engine); at least 2,000 requests in all."""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings

from tests.factories import AnimeFactory, UserFactory

EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "60"))
SEARCH_EXAMPLES = int(os.environ.get("CONTRACT_SEARCH_EXAMPLES", "12"))
MIN_REQUESTS = 1000  # per visitor: 2,000 in all
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


def _visitor(*, signed_in: bool) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and cookies of a visitor with a CSRF token, signed in or not."""
    client = Client()
    if signed_in:
        client.force_login(UserFactory())
    client.get("/api/auth/me/")
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    return {"X-CSRFToken": cookies["csrftoken"]}, cookies


examples_sent = [0]


def _check_operation(
    operation,
    examples: int,
    visitor: tuple[dict[str, str], dict[str, str]],
    statuses: Counter[int],
    failures: list[str],
) -> None:
    """Up to ``examples`` generated requests to one operation; failures collected, not raised."""
    name = f"{operation.method.upper()} {operation.path}"
    examples_sent[0] = 0

    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        derandomize=True,
        database=None,
    )
    def run(case) -> None:
        examples_sent[0] += 1
        try:
            response = case.call_and_validate(headers=visitor[0], cookies=visitor[1], checks=CHECKS)
            statuses[response.status_code] += 1
        except Exception as exc:  # collected: every operation is tried
            if len(failures) < 50:
                failures.append(f"{name}: {str(exc)[:600]}")

    run()


def _run_contract(*, signed_in: bool) -> tuple[int, Counter[int], list[str]]:
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
        _check_operation(operation, examples, _visitor(signed_in=signed_in), statuses, failures)
        sent += examples_sent[0]

    return sent, statuses, failures


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed_in"])
def test_api_contract(settings, signed_in):
    settings.SEARCH_TIMEOUT_SECONDS = 0.5
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "login_ip": "1000/min",
            "login_username": "1000/min",
            "register": "1000/hour",
        },
    }
    sent, statuses, failures = _run_contract(signed_in=signed_in)
    visitor = "signed in" if signed_in else "anonymous"
    print(f"schemathesis ({visitor}): {sent} requests, statuses {dict(statuses)}")
    assert not failures, "\n\n".join(failures)
    assert sent >= MIN_REQUESTS or EXAMPLES < 60
    assert not [status for status in statuses if status >= 500]
