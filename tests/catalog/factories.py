"""Catalogue factories beyond the shared ones in ``tests.factories``."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from catalog.models import AnimeTitle, ExternalId
from tests.factories import AnimeFactory


class AnimeTitleFactory(DjangoModelFactory):
    class Meta:
        model = AnimeTitle

    anime = factory.SubFactory(AnimeFactory)
    text = factory.Sequence(lambda n: f"Synonym {n}")
    language = AnimeTitle.Language.ENGLISH
    kind = AnimeTitle.Kind.SYNONYM


class ExternalIdFactory(DjangoModelFactory):
    class Meta:
        model = ExternalId

    anime = factory.SubFactory(AnimeFactory)
    site = "anilist"
    external_id = factory.Sequence(lambda n: str(5000 + n))
