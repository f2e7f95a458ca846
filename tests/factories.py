"""factory_boy factories shared by every test module."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from catalog.models import Anime, AnimeTitle, Genre, Tag
from favorites.models import CollectionEntry


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")


class GenreFactory(DjangoModelFactory[Genre]):
    class Meta:
        model = Genre
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Genre {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class TagFactory(DjangoModelFactory[Tag]):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag{n}")


class AnimeFactory(DjangoModelFactory[Anime]):
    class Meta:
        model = Anime
        skip_postgeneration_save = True

    mal_id = factory.Sequence(lambda n: 100000 + n)
    catalog_key = factory.LazyAttributeSequence(
        lambda o, n: f"mal:{o.mal_id}" if o.mal_id else f"bgm:{900000 + n}"
    )
    # A distinct title stem per anime, so that factory-made anime are never one franchise by title.
    title = factory.Sequence(lambda n: f"Anime Title {n} Show")
    type = Anime.Type.TV
    episodes = 12
    year = 2015
    season = Anime.Season.SPRING
    score = 7.5
    members = factory.Sequence(lambda n: 1000 + n)

    @factory.post_generation
    def genres(obj: Anime, create: bool, extracted: list[Genre] | None, **kwargs: object) -> None:
        if create and extracted:
            obj.genres.set(extracted)

    @factory.post_generation
    def main_title(obj: Anime, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            AnimeTitle.objects.get_or_create(
                anime=obj,
                text=obj.title,
                language=AnimeTitle.Language.ROMAJI,
                defaults={"kind": AnimeTitle.Kind.MAIN},
            )


class CollectionEntryFactory(DjangoModelFactory[CollectionEntry]):
    class Meta:
        model = CollectionEntry

    user = factory.SubFactory(UserFactory)
    anime = factory.SubFactory(AnimeFactory)
