"""The model registry: train a version, judge it, publish it, keep the last few.

One module per job:

- :mod:`~recsys.registry.lock`: the heartbeat-renewed training lock;
- :mod:`~recsys.registry.gate`: the quality gate;
- :mod:`~recsys.registry.publishing`: vectors to the online store, then the active pointer;
- :mod:`~recsys.registry.cleanup`: failed runs, old versions, stray folders and keys;
- :mod:`~recsys.registry.training`: the retrain end to end, rollback, "retrain now".
"""

from recsys.registry.cleanup import KEEP_VERSIONS, model_versions_cleanup, models_dir
from recsys.registry.gate import GateDecision, quality_gate
from recsys.registry.lock import (
    LOCK_KEY,
    LOCK_TTL_SECONDS,
    TrainingAlreadyRunning,
    TrainingLock,
    training_running,
)
from recsys.registry.publishing import item_vectors_publish, model_version_activate, user_vectors_publish
from recsys.registry.training import (
    model_version_rollback,
    model_version_train,
    retrain_enqueue,
    training_interrupted_mark_failed,
)

__all__ = [
    "KEEP_VERSIONS",
    "LOCK_KEY",
    "LOCK_TTL_SECONDS",
    "GateDecision",
    "TrainingAlreadyRunning",
    "TrainingLock",
    "item_vectors_publish",
    "model_version_activate",
    "model_version_rollback",
    "model_version_train",
    "model_versions_cleanup",
    "models_dir",
    "quality_gate",
    "retrain_enqueue",
    "training_interrupted_mark_failed",
    "training_running",
    "user_vectors_publish",
]
