"""Storage locations by URI (``animesite.storage``): the ETL's and the models' folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from animesite.storage import Location, to_uri


def test_paths_become_file_uris_and_uris_are_kept(tmp_path: Path):
    assert to_uri(tmp_path) == tmp_path.resolve().as_uri()
    assert to_uri("hdfs://namenode:8020/animesite/etl/") == "hdfs://namenode:8020/animesite/etl"
    loc = Location(tmp_path) / "etl" / "anime"
    assert str(loc) == (tmp_path / "etl" / "anime").resolve().as_uri()
    assert loc.local_path() == (tmp_path / "etl" / "anime").resolve()
    assert Path(loc) == loc.local_path()
    assert loc.name == "anime"
    remote = Location("s3://bucket/models") / "v1"
    assert str(remote) == "s3://bucket/models/v1" and not remote.is_local
    with pytest.raises(ValueError):
        remote.local_path()
    with pytest.raises(TypeError):
        Path(remote)


def test_local_folder_operations_through_the_uri(tmp_path: Path):
    root = Location(tmp_path.as_uri()) / "out"
    staging = root / "_staging"
    (staging / "table").mkdir()
    (staging / "table" / "part-0.parquet").write_text("x")
    (staging / "table" / "_SUCCESS").write_text("")

    assert staging.is_dir() and not staging.is_file() and not (root / "missing").exists()
    assert [c.name for c in (staging / "table").children(".parquet")] == ["part-0.parquet"]
    (staging / "table").move_to(root / "table")
    assert (root / "table" / "part-0.parquet").read_text() == "x"
    assert not (staging / "table").exists()

    copy = tmp_path / "copy"
    (root / "table").copy_to_local(copy)
    assert (copy / "part-0.parquet").read_text() == "x"
    (copy / "sub").mkdir()
    (copy / "sub" / "a.npy").write_text("y")
    (root / "again").copy_from_local(copy)
    assert (root / "again" / "part-0.parquet").is_file()
    assert (root / "again" / "sub" / "a.npy").read_text() == "y"
    (root / "again").copy_to_local(tmp_path / "back")
    assert (tmp_path / "back" / "sub" / "a.npy").read_text() == "y"

    root.delete()
    root.delete()  # nothing when missing
    assert not root.exists()
