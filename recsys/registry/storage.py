"""Where model versions live: ``settings.MODELS_DIR``, a path or a URI.

``MODELS_DIR`` is a :class:`animesite.storage.Location`: a plain path or ``file://`` URI (a local
disk, or a network filesystem mounted at the same path on every machine), or any URI
:mod:`pyarrow.fs` opens (``hdfs://``, ``s3://``, ``gs://``). Training writes a version into a
local folder and, when the store is not local, uploads it to ``MODELS_DIR/<version>``; serving
and publishing read a local folder, downloaded once into ``MODELS_CACHE_DIR/<version>`` when the
store is not local. With a ``file://`` store the version folder is the store's own folder: no
copy is made.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings

from animesite.storage import Location


def models_location() -> Location:
    """The store holding one folder per version (``settings.MODELS_DIR``)."""
    return Location(str(settings.MODELS_DIR))


def version_location(version: str) -> Location:
    """The version's folder in the store."""
    return models_location() / version


def version_artifact_dir(version: str) -> str:
    """What ``ModelVersion.artifact_dir`` records: the local path for a local store, else the URI."""
    store = version_location(version)
    return str(store.local_path()) if store.is_local else str(store)


def _cache_dir() -> Path:
    default = Path(str(settings.BASE_DIR)) / "var" / "model-cache"
    return Path(str(getattr(settings, "MODELS_CACHE_DIR", "") or default)).resolve()


def version_work_dir(version: str) -> Path:
    """The local folder training writes ``version`` into (the store's folder when it is local)."""
    store = version_location(version)
    return store.local_path() if store.is_local else _cache_dir() / version


def version_upload(version: str, folder: Path) -> Location:
    """Copy a trained version's local folder to the store (nothing to do for a local store)."""
    store = version_location(version)
    if not store.is_local:
        store.copy_from_local(folder)
        (folder / ".complete").touch()  # the cache already holds it
    elif store.local_path().resolve() != folder.resolve():
        store.copy_from_local(folder)
    return store


def version_local_dir(version: str, artifact_dir: str = "") -> Path | None:
    """A local folder holding the version's files, or ``None`` when the store has none.

    ``artifact_dir`` is the location recorded when the version was trained (a path or URI;
    default: ``MODELS_DIR/<version>``). A non-local version is downloaded once into the cache.
    """
    store = Location(artifact_dir) if artifact_dir else version_location(version)
    if store.is_local:
        path = store.local_path()
        return path if path.is_dir() else None
    local = _cache_dir() / version
    if (local / ".complete").is_file():
        return local
    if not store.is_dir():
        return None
    partial = local.with_name(f".{version}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    store.copy_to_local(partial)
    (partial / ".complete").touch()
    shutil.rmtree(local, ignore_errors=True)
    partial.rename(local)
    return local


def version_delete(version: str, artifact_dir: str = "") -> None:
    """Remove the version from the store and from the local cache."""
    store = Location(artifact_dir) if artifact_dir else version_location(version)
    store.delete()
    if not store.is_local:
        shutil.rmtree(_cache_dir() / version, ignore_errors=True)
