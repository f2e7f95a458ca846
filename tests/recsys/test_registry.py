"""The model registry: quality gate, atomic promotion, the training lock and cleanup."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import redis

from recsys import registry
from recsys.models import ModelVersion
from recsys.registry import (
    TrainingAlreadyRunning,
    TrainingLock,
    model_version_rollback,
    model_version_train,
    quality_gate,
    training_interrupted_mark_failed,
    training_running,
)
from recsys.serving import store
from recsys.serving.store import (
    ACTIVE_KEY,
    HistoryStamp,
    meta_key,
    redis_client,
    unpack_user_vector,
    user_vectors_key,
)
from tests.factories import AnimeFactory, CollectionEntryFactory, UserFactory
from tests.recsys.serving_fakes import FakeBundle, fake_load, fake_train

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def models_root(settings, tmp_path) -> Path:
    root = tmp_path / "models"
    settings.MODELS_DIR = str(root)
    return root


@pytest.fixture
def world(models_root):
    """Three anime with 2-d vectors and two users with a collection, one user without."""
    anime = [AnimeFactory.create() for _ in range(3)]
    vectors = {anime[0].id: [1.0, 0.0], anime[1].id: [0.0, 1.0], anime[2].id: [1.0, 1.0]}
    alice, bob, carol = UserFactory.create(), UserFactory.create(), UserFactory.create()
    CollectionEntryFactory.create(user=alice, anime=anime[0], score=10)
    CollectionEntryFactory.create(user=alice, anime=anime[1], score=None)
    CollectionEntryFactory.create(user=bob, anime=anime[1], score=8, is_favorite=True)
    return {"anime": anime, "vectors": vectors, "alice": alice, "bob": bob, "carol": carol}


def world_models_dir(world) -> Path:
    return Path(registry.models_dir())


def _pointer() -> str | None:
    raw = redis_client().get(ACTIVE_KEY)
    return raw.decode() if raw else None


def _train(world, **kwargs) -> ModelVersion:
    force = kwargs.pop("force", False)
    return model_version_train(
        force=force, train_fn=fake_train(world["vectors"], **kwargs), load_fn=fake_load
    )


# --- quality gate (pure) ---------------------------------------------------------------


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize(
    ("candidate", "active", "force", "promote"),
    [
        (0.2, None, False, True),  # first version
        (0.3, 0.3, False, True),  # not worse
        (0.31, 0.3, False, True),
        (0.29, 0.3, False, False),
        (0.29, 0.3, True, True),  # operator override
        (float("nan"), 0.3, False, False),
        (None, None, False, False),
    ],
)
def test_quality_gate(candidate, active, force, promote):
    # when
    decision = quality_gate(candidate=candidate, active=active, force=force)
    # then
    assert decision.promote is promote
    assert decision.reason


# --- promotion ---------------------------------------------------------------------------


def test_first_version_is_promoted_and_user_vectors_are_published(world):
    # when
    mv = _train(world, primary_metric=0.2)

    # then the row, the pointer and the artifacts agree
    mv.refresh_from_db()
    assert mv.status == ModelVersion.Status.ACTIVE
    assert mv.gate.startswith("promoted: first version")
    assert _pointer() == mv.version
    assert Path(mv.artifact_dir).is_dir() and mv.artifacts_present
    assert mv.metrics["ease"]["ndcg@20"] == 0.25
    assert mv.timings["walks"] == 1.5 and "publish_vectors" in mv.timings and "total" in mv.timings
    # and every user with a collection has a vector, stamped with the history it came from
    client = redis_client()
    stored = client.hgetall(user_vectors_key(mv.version))
    assert set(stored) == {str(world["alice"].pk).encode(), str(world["bob"].pk).encode()}
    stamp, vector = unpack_user_vector(stored[str(world["alice"].pk).encode()])
    assert stamp.n_items == 2
    # alice: score 10 -> weight 1.0 on [1, 0]; no score -> weight 0.7 on [0, 1]
    np.testing.assert_allclose(vector, [1.0 / 1.7, 0.7 / 1.7], rtol=1e-6)
    assert client.hget(meta_key(mv.version), "n_users") == b"2"
    # and every item vector, as unit vectors, for exact search when the files cannot be used
    from recsys.serving.store import item_vectors_read

    read = item_vectors_read(version=mv.version)
    assert read is not None
    ids, matrix = read
    bundle_ids, bundle_matrix = fake_load(Path(mv.artifact_dir)).item_vectors()
    assert ids.tolist() == sorted(bundle_ids)
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(matrix, bundle_matrix[np.argsort(bundle_ids)], rtol=1e-6)


def test_better_version_replaces_the_active_one_and_worse_one_is_rejected(world):
    # given
    first = _train(world, primary_metric=0.2)
    # when
    better = _train(world, primary_metric=0.25)
    worse = _train(world, primary_metric=0.1)
    # then
    first.refresh_from_db()
    better.refresh_from_db()
    worse.refresh_from_db()
    assert first.status == ModelVersion.Status.ARCHIVED
    assert better.status == ModelVersion.Status.ACTIVE
    assert worse.status == ModelVersion.Status.REJECTED
    assert worse.gate == "rejected: 0.1000 < active 0.2500"
    assert _pointer() == better.version
    assert ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).count() == 1
    # a rejected version keeps its metrics but not its files
    assert not Path(worse.artifact_dir).exists() and not worse.artifacts_present
    assert not redis_client().exists(user_vectors_key(worse.version))


def test_a_version_measured_under_a_new_protocol_is_not_compared_with_the_old_figure(world):
    # given an active version measured the old way, with a higher figure
    old = _train(world, primary_metric=0.5)
    # when a version measured under protocol 2 (other targets, standard recall) scores lower
    new = model_version_train(
        train_fn=fake_train(world["vectors"], primary_metric=0.3, extra={"evaluation_protocol": 2}),
        load_fn=fake_load,
    )
    # then it is promoted, and the reason says why
    new.refresh_from_db()
    assert new.status == ModelVersion.Status.ACTIVE
    assert "measured differently" in new.gate
    # and the next version of the same protocol is compared again
    worse = model_version_train(
        train_fn=fake_train(world["vectors"], primary_metric=0.2, extra={"evaluation_protocol": 2}),
        load_fn=fake_load,
    )
    assert worse.status == ModelVersion.Status.REJECTED
    assert old.pk != new.pk


def test_force_promotes_a_worse_version(world):
    # given
    _train(world, primary_metric=0.3)
    # when
    forced = _train(world, primary_metric=0.1, force=True)
    # then
    forced.refresh_from_db()
    assert forced.status == ModelVersion.Status.ACTIVE
    assert forced.gate.startswith("forced:")
    assert _pointer() == forced.version


def test_failing_training_leaves_the_active_version_serving(world):
    # given
    active = _train(world, primary_metric=0.2)
    # when
    failed = _train(world, primary_metric=0.9, fail=RuntimeError("spark died"))
    # then
    failed.refresh_from_db()
    active.refresh_from_db()
    assert failed.status == ModelVersion.Status.FAILED
    assert "spark died" in failed.error
    assert not Path(failed.artifact_dir).exists()
    assert active.status == ModelVersion.Status.ACTIVE
    assert _pointer() == active.version


def test_killed_training_keeps_the_active_version_and_the_next_run_marks_it_failed(world):
    # given: a run is interrupted (KeyboardInterrupt stands for the worker being killed)
    active = _train(world, primary_metric=0.2)
    with pytest.raises(KeyboardInterrupt):
        _train(world, fail=KeyboardInterrupt())
    interrupted = ModelVersion.objects.latest()
    assert interrupted.status == ModelVersion.Status.FAILED
    assert _pointer() == active.version
    # and a row left in "training" by a process that died without any chance to clean up
    ghost = ModelVersion.objects.create(
        version="20200101-000000-abcd",
        artifact_dir=str(Path(active.artifact_dir).parent / "20200101-000000-abcd"),
    )
    Path(ghost.artifact_dir).mkdir(parents=True)

    # when
    _train(world, primary_metric=0.3)

    # then
    ghost.refresh_from_db()
    assert ghost.status == ModelVersion.Status.FAILED
    assert ghost.error.startswith("interrupted")
    assert not Path(ghost.artifact_dir).exists()


def test_redis_failure_while_publishing_leaves_pointer_and_database_unchanged(world, monkeypatch):
    # given
    active = _train(world, primary_metric=0.2)
    monkeypatch.setattr(store, "WRITE_BATCH", 1)
    calls = {"n": 0}
    real_execute = redis.client.Pipeline.execute

    def flaky_execute(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise redis.ConnectionError("connection reset while writing vectors")
        return real_execute(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", flaky_execute)

    # when
    new = _train(world, primary_metric=0.5)

    # then
    new.refresh_from_db()
    active.refresh_from_db()
    assert calls["n"] == 2  # the first batch was written, the second failed
    assert new.status == ModelVersion.Status.FAILED
    assert new.error.startswith("promotion failed")
    assert _pointer() == active.version
    assert active.status == ModelVersion.Status.ACTIVE
    # the half-written namespace and the folder are gone
    assert not redis_client().exists(user_vectors_key(new.version))
    assert not Path(new.artifact_dir).exists()


def test_pointer_is_flipped_after_every_vector_is_written(world, monkeypatch):
    # given: the bundle checks the pointer each time a user vector is computed for publishing
    first = _train(world, primary_metric=0.2)
    seen: list[str | None] = []

    class WatchingBundle(FakeBundle):
        def user_vector(self, history):
            seen.append(_pointer())
            return super().user_vector(history)

    def watching_load(path):
        loaded = fake_load(path)
        return WatchingBundle(loaded.version, loaded.vectors)

    # when
    second = model_version_train(
        train_fn=fake_train(world["vectors"], primary_metric=0.3), load_fn=watching_load
    )

    # then
    assert seen == [first.version, first.version]
    assert _pointer() == second.version


def test_pointer_write_failure_rolls_the_database_back(world, monkeypatch):
    # given
    active = _train(world, primary_metric=0.2)
    real_set = redis.Redis.set

    def refusing_set(self, name, value, *args, **kwargs):
        if name == ACTIVE_KEY:
            raise redis.ConnectionError("gone")
        return real_set(self, name, value, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "set", refusing_set)

    # when
    new = _train(world, primary_metric=0.4)

    # then
    new.refresh_from_db()
    active.refresh_from_db()
    assert new.status == ModelVersion.Status.FAILED
    assert active.status == ModelVersion.Status.ACTIVE
    assert _pointer() == active.version


# --- lock -------------------------------------------------------------------------------


def test_second_retrain_is_refused_while_one_runs(world):
    # given: while the first training runs, a second one is started
    outcome: dict[str, TrainingAlreadyRunning] = {}

    def second_start():
        try:
            _train(world, primary_metric=0.5)
        except TrainingAlreadyRunning as exc:
            outcome["refused"] = exc

    # when
    first = model_version_train(train_fn=fake_train(world["vectors"], during=second_start), load_fn=fake_load)

    # then
    assert isinstance(outcome.get("refused"), TrainingAlreadyRunning)
    assert outcome["refused"].status == 409
    assert ModelVersion.objects.count() == 1
    assert first.status == ModelVersion.Status.ACTIVE
    # and the lock is free again afterwards
    assert not redis_client().exists(registry.LOCK_KEY)


def test_lock_held_elsewhere_refuses_and_only_its_holder_releases_it(world):
    # given
    holder = TrainingLock(ttl=60)
    assert holder.acquire()
    # when / then
    with pytest.raises(TrainingAlreadyRunning):
        _train(world)
    other = TrainingLock(ttl=60)
    other.release()  # a different token cannot free it
    assert redis_client().get(registry.LOCK_KEY) == holder.token.encode()
    holder.release()
    assert _train(world).status == ModelVersion.Status.ACTIVE


def test_lock_expires_by_itself(world):
    # given
    lock = TrainingLock(ttl=60)
    lock.acquire()
    # then
    assert 0 < redis_client().ttl(registry.LOCK_KEY) <= 60
    lock.release()


def _lock_hold(ttl: int, ready) -> None:
    """Child process: take the lock with its heartbeat, then wait to be killed."""
    lock = TrainingLock(ttl=ttl)
    assert lock.acquire()
    lock.heartbeat_start()
    ready.set()
    time.sleep(600)


def test_retrain_killed_with_sigkill_frees_its_lock_and_its_row_is_marked_failed(world):
    # given: a retrain in another process holds the lock (2 s expiry, renewed by its heartbeat)
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    killed_row = ModelVersion.objects.create(
        version="20200101-000000-dead", artifact_dir=str(world_models_dir(world) / "20200101-000000-dead")
    )
    worker = ctx.Process(target=_lock_hold, args=(2, ready), daemon=True)
    worker.start()
    assert ready.wait(20)
    time.sleep(3)  # longer than the expiry: only the heartbeat keeps the lock
    assert redis_client().exists(registry.LOCK_KEY)
    assert training_running()
    assert training_interrupted_mark_failed() == []  # a live run's row is left alone
    with pytest.raises(TrainingAlreadyRunning):
        _train(world)

    # when the worker is killed outright
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(10)
    deadline = time.monotonic() + 10
    while redis_client().exists(registry.LOCK_KEY) and time.monotonic() < deadline:
        time.sleep(0.1)

    # then the lock is gone within its expiry, the dead run's row is failed, a retrain starts
    assert not redis_client().exists(registry.LOCK_KEY)
    assert training_interrupted_mark_failed() == [killed_row.version]
    killed_row.refresh_from_db()
    assert killed_row.status == ModelVersion.Status.FAILED
    assert killed_row.error.startswith("interrupted")
    assert _train(world, primary_metric=0.3).status == ModelVersion.Status.ACTIVE


def test_default_lock_expiry_frees_a_killed_retrain_within_a_minute():
    assert 0 < registry.LOCK_TTL_SECONDS <= 60
    assert TrainingLock().ttl == registry.LOCK_TTL_SECONDS


# --- cleanup and rollback ------------------------------------------------------------------


def test_cleanup_keeps_the_last_three_versions(world):
    # when: five versions, each better than the one before
    versions = [_train(world, primary_metric=0.1 + i / 100) for i in range(5)]

    # then
    for mv in versions:
        mv.refresh_from_db()
    kept = [mv for mv in versions if mv.artifacts_present]
    assert [mv.version for mv in kept] == [mv.version for mv in versions[-3:]]
    root = Path(versions[0].artifact_dir).parent
    assert sorted(p.name for p in root.iterdir()) == sorted(mv.version for mv in versions[-3:])
    client = redis_client()
    for mv in versions[:2]:
        assert not client.exists(user_vectors_key(mv.version))
    for mv in versions[-3:]:
        assert client.exists(user_vectors_key(mv.version))
    assert versions[-1].status == ModelVersion.Status.ACTIVE


def test_rollback_reactivates_an_archived_version(world):
    # given
    old = _train(world, primary_metric=0.2)
    new = _train(world, primary_metric=0.3)
    old.refresh_from_db()
    # when
    model_version_rollback(model_version=old, load_fn=fake_load)
    # then
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.status == ModelVersion.Status.ACTIVE
    assert new.status == ModelVersion.Status.ARCHIVED
    assert _pointer() == old.version


def test_stored_vector_is_ignored_once_the_history_changes(world):
    # given
    mv = _train(world, primary_metric=0.2)
    alice = world["alice"]
    from recsys.selectors import user_history
    from recsys.serving.store import stored_user_vector

    history = user_history(user_id=alice.pk)
    assert stored_user_vector(version=mv.version, user_id=alice.pk, stamp=history.stamp) is not None
    # when
    CollectionEntryFactory.create(user=alice, anime=world["anime"][2], score=9)
    # then
    changed = user_history(user_id=alice.pk)
    assert changed.stamp != history.stamp
    assert stored_user_vector(version=mv.version, user_id=alice.pk, stamp=changed.stamp) is None
    assert stored_user_vector(version=mv.version, user_id=alice.pk, stamp=HistoryStamp(2, 0)) is None


def test_user_state_stamp_matches_the_full_read_and_follows_every_change(world):
    # given
    from recsys.models import NotInterested
    from recsys.selectors import user_state, user_state_stamp

    alice = world["alice"]

    def both():
        return user_state(user_id=alice.pk).stamp, user_state_stamp(user_id=alice.pk)

    seen = []
    full, quick = both()
    assert full == quick
    seen.append(quick)
    # when: add, change, remove an entry; mark and unmark "not interested"
    entry = CollectionEntryFactory.create(user=alice, anime=world["anime"][2], score=5)
    seen.append(both()[1])
    entry.score = 6
    entry.save(update_fields=["score", "updated_at"])
    seen.append(both()[1])
    entry.delete()
    seen.append(both()[1])
    mark = NotInterested.objects.create(user=alice, anime=world["anime"][2])
    seen.append(both()[1])
    mark.delete()
    NotInterested.objects.create(user=alice, anime=world["anime"][2])
    full, quick = both()
    seen.append(quick)
    # then every state has its own stamp (removing the new entry restores the first state), and
    # both reads agree
    assert full == quick
    assert seen[3] == seen[0]
    distinct = [seen[i] for i in (0, 1, 2, 4, 5)]
    assert len(set(distinct)) == len(distinct)
