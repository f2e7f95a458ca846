"""Model artifacts by URI: ``MODELS_DIR`` as a ``file://`` URI works like a path."""

from __future__ import annotations

from pathlib import Path

import pytest

from recsys.models import ModelVersion
from recsys.registry import model_version_train, models_dir
from recsys.registry.storage import version_local_dir, version_location, version_work_dir
from tests.factories import AnimeFactory, CollectionEntryFactory, UserFactory
from tests.recsys.serving_fakes import fake_load, fake_train

pytestmark = pytest.mark.django_db(transaction=True)


def test_models_dir_as_a_file_uri_trains_promotes_and_finds_the_version(settings, tmp_path: Path):
    root = tmp_path / "shared" / "models"
    settings.MODELS_DIR = root.as_uri()
    anime = [AnimeFactory.create() for _ in range(2)]
    user = UserFactory.create()
    CollectionEntryFactory.create(user=user, anime=anime[0], score=9)
    vectors = {anime[0].id: [1.0, 0.0], anime[1].id: [0.0, 1.0]}

    mv = model_version_train(train_fn=fake_train(vectors, primary_metric=0.2), load_fn=fake_load)

    mv.refresh_from_db()
    assert mv.status == ModelVersion.Status.ACTIVE
    folder = root / mv.version
    assert Path(mv.artifact_dir) == folder and folder.is_dir()
    assert version_work_dir(mv.version) == folder
    assert version_local_dir(mv.version) == folder
    assert str(version_location(mv.version)) == folder.as_uri()
    assert Path(models_dir()) == root
    assert version_local_dir("20000101-000000-abcd") is None
