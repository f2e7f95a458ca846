"""The online feature store: per-version user vectors in Redis and the one "active" pointer.

Layout (``<v>`` is a model version such as ``20261128-051500-ab12``):

- ``recsys:active``: the version serving traffic; written last when a version is promoted.
- ``recsys:v:<v>:meta``: hash with ``dim``, ``n_users``, ``promoted_at``.
- ``recsys:v:<v>:users``: hash ``user id -> packed vector`` (see :func:`pack_user_vector`).
- ``recsys:v:<v>:items``: hash ``anime id -> unit vector`` (little-endian float32), what serving
  searches exactly when the version's files cannot be used (:mod:`recsys.serving.exact`).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from animesite.redis import redis_client

ACTIVE_KEY = "recsys:active"
NAMESPACE_PREFIX = "recsys:v:"

# Serving gives up quickly and degrades; batch writes (promotion) may wait longer.
BATCH_TIMEOUT_SECONDS = 30.0

_HEADER = struct.Struct("<Iq")  # history length, latest history change (unix microseconds)


def namespace(version: str) -> str:
    return f"{NAMESPACE_PREFIX}{version}"


def meta_key(version: str) -> str:
    return f"{namespace(version)}:meta"


def item_vectors_key(version: str) -> str:
    return f"{namespace(version)}:items"


def pack_item_vector(vector: Sequence[float]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def item_vectors_read(*, version: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] | None:
    """Every published item vector of ``version``: (anime ids, ``n x dim`` matrix), or None if
    there are none. Raises ``redis.RedisError`` when Redis cannot be reached."""
    raw = redis_client(timeout=BATCH_TIMEOUT_SECONDS).hgetall(item_vectors_key(version))
    if not raw:
        return None
    pairs = sorted((int(key), value) for key, value in raw.items())
    ids = np.array([anime_id for anime_id, _ in pairs], dtype=np.int64)
    matrix = np.stack([np.frombuffer(value, dtype="<f4") for _, value in pairs]).astype(np.float32)
    return ids, matrix


def user_vectors_key(version: str) -> str:
    return f"{namespace(version)}:users"


@dataclass(frozen=True)
class HistoryStamp:
    """What a stored user vector was computed from: history length and latest change.

    A stored vector is used only while the user's history still has the same stamp, so a
    rating or favourite added after promotion is reflected at once.
    """

    n_items: int
    last_changed_us: int


def pack_user_vector(vector: Sequence[float], stamp: HistoryStamp) -> bytes:
    """Compact bytes: a small header, then the vector as little-endian float32."""
    body = np.asarray(vector, dtype="<f4").tobytes()
    return _HEADER.pack(stamp.n_items, stamp.last_changed_us) + body


def unpack_user_vector(raw: bytes) -> tuple[HistoryStamp, list[float]]:
    n_items, last_changed_us = _HEADER.unpack_from(raw)
    vector = np.frombuffer(raw, dtype="<f4", offset=_HEADER.size)
    return HistoryStamp(n_items=n_items, last_changed_us=last_changed_us), vector.astype(np.float64).tolist()


def stored_user_vector(*, version: str, user_id: int, stamp: HistoryStamp) -> list[float] | None:
    """The promoted vector of a user, if it was computed from the same history; else None.

    Raises
    ------
    redis.RedisError
        When Redis cannot be reached; callers degrade.
    """
    raw = redis_client().hget(user_vectors_key(version), str(user_id))
    if not isinstance(raw, bytes):
        return None
    stored_stamp, vector = unpack_user_vector(raw)
    if stored_stamp != stamp:
        return None
    return vector


def active_version_read() -> str | None:
    """The version the ``recsys:active`` pointer names (raises ``redis.RedisError`` when down)."""
    raw = redis_client().get(ACTIVE_KEY)
    if raw is None:
        return None
    return raw.decode() if isinstance(raw, bytes) else str(raw)
