"""Storage locations as URIs: the ETL's input and output and the model artifacts.

A location is a URI (``file:///srv/etl``, ``hdfs://namenode:8020/animesite/etl``,
``s3://bucket/etl``, ...) or a plain path (taken as ``file://``, relative to the working
directory). Spark reads and writes the URI itself (any Hadoop filesystem its cluster has); the
driver-side steps (manifest, publishing a staged output, listing) go through
:mod:`pyarrow.fs`, which speaks ``file``, ``hdfs`` (libhdfs), ``s3`` and ``gs``. Only
``file://`` needs nothing installed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse


def to_uri(location: str | os.PathLike[str]) -> str:
    """The URI of ``location``: a URI is kept (without a trailing slash), a path becomes an
    absolute ``file://`` URI."""
    text = os.fspath(location)
    if "://" in text:
        return text.rstrip("/") if not text.endswith(":///") else text
    return Path(text).expanduser().resolve().as_uri()


class Location:
    """One storage location (a folder or a file) by URI.

    ``location / "name"`` is the child location; ``str(location)`` the URI (what Spark and
    ``pyarrow`` readers take). Raises :class:`ValueError` for a malformed URI.
    """

    uri: str
    scheme: str

    def __init__(self, location: str | os.PathLike[str] | Location) -> None:
        self.uri = location.uri if isinstance(location, Location) else to_uri(location)
        parsed = urlparse(self.uri)
        if not parsed.scheme:
            raise ValueError(f"not a URI: {self.uri!r}")
        self.scheme = parsed.scheme

    def __truediv__(self, name: str) -> Location:
        return Location(f"{self.uri.rstrip('/')}/{name.lstrip('/')}")

    def __str__(self) -> str:
        return self.uri

    def __fspath__(self) -> str:
        """The local path (``os.fspath``, ``Path(location)``); :class:`TypeError` when not local."""
        if not self.is_local:
            raise TypeError(f"{self.uri} is not a local path")
        return str(self.local_path())

    def __repr__(self) -> str:
        return f"Location({self.uri!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Location) and other.uri == self.uri

    def __hash__(self) -> int:
        return hash(self.uri)

    @property
    def name(self) -> str:
        return self.uri.rstrip("/").rsplit("/", 1)[-1]

    @property
    def is_local(self) -> bool:
        return self.scheme == "file"

    def local_path(self) -> Path:
        """The local path of a ``file://`` location; :class:`ValueError` for any other scheme."""
        if not self.is_local:
            raise ValueError(f"{self.uri} is not a local (file://) location")
        return Path(unquote(urlparse(self.uri).path))

    def _fs(self) -> tuple[Any, str]:
        from pyarrow import fs

        if self.is_local:
            return fs.LocalFileSystem(), str(self.local_path())
        return fs.FileSystem.from_uri(self.uri)

    def filesystem(self) -> tuple[Any, str]:
        """``(pyarrow.fs.FileSystem, path within it)``."""
        return self._fs()

    def _info(self) -> Any:
        filesystem, path = self._fs()
        return filesystem.get_file_info(path)

    def exists(self) -> bool:
        from pyarrow import fs

        return bool(self._info().type != fs.FileType.NotFound)

    def is_dir(self) -> bool:
        from pyarrow import fs

        return bool(self._info().type == fs.FileType.Directory)

    def is_file(self) -> bool:
        from pyarrow import fs

        return bool(self._info().type == fs.FileType.File)

    def mkdir(self) -> None:
        filesystem, path = self._fs()
        filesystem.create_dir(path, recursive=True)

    def children(self, suffix: str = "") -> list[Location]:
        """The direct children whose names end with ``suffix``, sorted by name."""
        from pyarrow import fs

        filesystem, path = self._fs()
        infos = filesystem.get_file_info(fs.FileSelector(path, allow_not_found=True))
        return [
            self / info.base_name
            for info in sorted(infos, key=lambda i: i.base_name)
            if info.base_name.endswith(suffix)
        ]

    def delete(self) -> None:
        """Remove this folder (recursively) or file; nothing when it is missing."""
        from pyarrow import fs

        filesystem, path = self._fs()
        kind = filesystem.get_file_info(path).type
        if kind == fs.FileType.Directory:
            filesystem.delete_dir(path)
        elif kind == fs.FileType.File:
            filesystem.delete_file(path)

    def move_to(self, target: Location) -> None:
        """Rename within one filesystem (atomic on a local disk and on HDFS)."""
        filesystem, path = self._fs()
        _, target_path = target._fs()
        filesystem.move(path, target_path)

    def read_text(self) -> str:
        filesystem, path = self._fs()
        with filesystem.open_input_stream(path) as stream:
            return bytes(stream.read()).decode("utf-8")

    def write_text(self, text: str) -> None:
        filesystem, path = self._fs()
        with filesystem.open_output_stream(path) as stream:
            stream.write(text.encode("utf-8"))

    def copy_from_local(self, folder: Path) -> None:
        """Copy a local folder's files here (``pyarrow.fs.copy_files``)."""
        from pyarrow import fs

        filesystem, path = self._fs()
        for sub in [folder, *sorted(p for p in folder.rglob("*") if p.is_dir())]:
            filesystem.create_dir(f"{path}/{sub.relative_to(folder).as_posix()}".rstrip("/."), recursive=True)
        fs.copy_files(
            str(folder), path, source_filesystem=fs.LocalFileSystem(), destination_filesystem=filesystem
        )

    def copy_to_local(self, folder: Path) -> None:
        """Copy this folder's files into a local folder."""
        from pyarrow import fs

        filesystem, path = self._fs()
        folder.mkdir(parents=True, exist_ok=True)
        for info in filesystem.get_file_info(fs.FileSelector(path, recursive=True)):
            if info.type == fs.FileType.Directory:
                (folder / info.path[len(path) :].lstrip("/")).mkdir(parents=True, exist_ok=True)
        fs.copy_files(
            path, str(folder), source_filesystem=filesystem, destination_filesystem=fs.LocalFileSystem()
        )
