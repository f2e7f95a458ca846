"""The training lock: one retrain at a time, freed within seconds when its process dies.

A Redis key set with ``SET NX`` and a short expiry holds a random token; while its holder lives,
a daemon thread renews the expiry every ``ttl / 3`` seconds (a heartbeat). A worker killed
outright (``SIGKILL``, out of memory) stops renewing, so the key expires ``ttl`` seconds later and
the next retrain can start; that run marks the dead run's registry row failed
(:func:`recsys.registry.cleanup.interrupted_mark_failed`).
"""

from __future__ import annotations

import logging
import secrets
import threading
from types import TracebackType

import redis
from django.utils.translation import gettext as _

from animesite.exceptions import ApplicationError
from animesite.redis import redis_client
from recsys.serving.store import BATCH_TIMEOUT_SECONDS

logger = logging.getLogger(__name__)

LOCK_KEY = "recsys:train-lock"
# Seconds a lock outlives its last heartbeat: how long a killed retrain blocks the next one.
LOCK_TTL_SECONDS = 30

_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end
return 0
"""


class TrainingAlreadyRunning(ApplicationError):
    def __init__(self) -> None:
        super().__init__(_("A retrain is already running."), code="training_running", status=409)


class TrainingLock:
    """A Redis lock (``SET NX`` with an expiry and a random token) renewed by a heartbeat thread.

    Only the holder of the token can renew or release it. Use as a context manager: entering
    acquires (or raises :class:`TrainingAlreadyRunning`) and starts the heartbeat; leaving stops
    it and releases.

    Parameters
    ----------
    ttl : int
        Seconds the key lives after the last heartbeat (the heartbeat runs every ``ttl / 3`` s).
    """

    def __init__(self, *, ttl: int = LOCK_TTL_SECONDS) -> None:
        self.ttl = ttl
        self.token = secrets.token_hex(16)
        self._client = redis_client(timeout=BATCH_TIMEOUT_SECONDS)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lock if it is free; raises a 503 ApplicationError when Redis is unreachable."""
        try:
            return bool(self._client.set(LOCK_KEY, self.token, nx=True, ex=self.ttl))
        except redis.RedisError as exc:
            raise ApplicationError(
                "Redis is unreachable: cannot take the training lock.", code="redis_unavailable", status=503
            ) from exc

    def renew(self) -> bool:
        """Push the expiry ``ttl`` seconds ahead; False when the lock is no longer ours."""
        try:
            if self._client.eval(_RENEW_SCRIPT, 1, LOCK_KEY, self.token, str(self.ttl)):
                return True
            logger.warning("training lock lost (expired); another retrain may start")
        except redis.RedisError:
            logger.warning("could not renew the training lock", exc_info=True)
        return False

    def heartbeat_start(self) -> None:
        """Renew the lock every ``ttl / 3`` seconds from a daemon thread until :meth:`release`."""
        if self._thread is not None:
            return
        interval = max(0.2, self.ttl / 3)

        def beat() -> None:
            while not self._stop.wait(interval):
                self.renew()

        self._thread = threading.Thread(target=beat, name="recsys-train-lock", daemon=True)
        self._thread.start()

    def release(self) -> None:
        """Stop the heartbeat and delete the key if it still holds our token."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        try:
            self._client.eval(_RELEASE_SCRIPT, 1, LOCK_KEY, self.token)
        except redis.RedisError:
            logger.warning("could not release the training lock; it expires by itself", exc_info=True)

    def __enter__(self) -> TrainingLock:
        if not self.acquire():
            raise TrainingAlreadyRunning()
        self.heartbeat_start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def training_running() -> bool:
    """Whether a retrain holds the lock now (False when Redis cannot tell)."""
    try:
        return bool(redis_client().exists(LOCK_KEY))
    except redis.RedisError:
        return False
