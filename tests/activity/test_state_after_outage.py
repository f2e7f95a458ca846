"""Feedback given while Redis is unreachable shows on the next request once Redis is back."""

from __future__ import annotations

import pytest
import redis

from activity import state
from recsys.models import NotInterested
from tests.factories import CollectionEntryFactory
from tests.recsys.test_api import _ids, active_model, catalog, serving  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

DEAD_REDIS = redis.Redis(host="127.0.0.1", port=9, socket_timeout=0.2, socket_connect_timeout=0.2)


def test_not_interested_during_a_redis_outage_shows_after_recovery(
    monkeypatch,
    catalog,  # noqa: F811 (fixture)
    active_model,  # noqa: F811 (fixture)
    user,
    user_client,
    django_capture_on_commit_callbacks,
):
    # given: a computed list, reused under the user's state token
    CollectionEntryFactory.create(user=user, anime=catalog["anime"]["Action"][0], score=10)
    first = _ids(user_client.get("/api/recommendations/", {"limit": 3}))
    assert _ids(user_client.get("/api/recommendations/", {"limit": 3})) == first
    token_before = state.user_state_token(user_id=user.pk)

    # when: the top pick is marked "not interested" while state writes cannot reach Redis
    with monkeypatch.context() as outage:
        outage.setattr(state, "redis_client", lambda **kwargs: DEAD_REDIS)
        with django_capture_on_commit_callbacks(execute=True):
            response = user_client.post(
                "/api/recommendations/not-interested/", {"anime_id": first[0]}, format="json"
            )
        assert response.status_code in (200, 201)
        assert NotInterested.objects.filter(user=user, anime_id=first[0]).exists()
        assert user.pk in state.pending_user_ids()

    # then: with Redis back, the very next answer leaves it out, and the token was renewed
    after = _ids(user_client.get("/api/recommendations/", {"limit": 3}))
    assert first[0] not in after
    assert state.user_state_token(user_id=user.pk) != token_before
    assert user.pk not in state.pending_user_ids()
