from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class Genre(models.Model):
    name = models.CharField(max_length=64, unique=True)
    slug = models.SlugField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free-form tag (mostly Chinese, from bangumi.tv)."""

    name = models.CharField(max_length=128, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AnimeQuerySet(models.QuerySet["Anime"]):
    def visible(self) -> AnimeQuerySet:
        return self.filter(is_hidden=False)

    def visible_to(self, user: User | AnonymousUser | None) -> AnimeQuerySet:
        if user is not None and user.is_authenticated and user.is_staff:
            return self.all()
        return self.visible()


class Anime(models.Model):
    class Type(models.TextChoices):
        TV = "TV", "TV"
        MOVIE = "Movie", "Movie"
        OVA = "OVA", "OVA"
        ONA = "ONA", "ONA"
        SPECIAL = "Special", "Special"
        MUSIC = "Music", "Music"
        UNKNOWN = "Unknown", "Unknown"

    class Season(models.TextChoices):
        WINTER = "winter", "Winter"
        SPRING = "spring", "Spring"
        SUMMER = "summer", "Summer"
        FALL = "fall", "Fall"

    mal_id = models.PositiveIntegerField(unique=True)
    # Display titles, one per language; every title and synonym also lives in AnimeTitle.
    title = models.CharField(max_length=255, db_index=True)  # MyAnimeList main title (romaji)
    title_en = models.CharField(max_length=255, blank=True)
    title_ja = models.CharField(max_length=255, blank=True)
    title_zh_hans = models.CharField(max_length=255, blank=True)
    title_zh_hant = models.CharField(max_length=255, blank=True)
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.UNKNOWN, db_index=True)
    episodes = models.PositiveIntegerField(null=True, blank=True)
    aired_from = models.DateField(null=True, blank=True)
    aired_to = models.DateField(null=True, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    season = models.CharField(max_length=8, choices=Season.choices, blank=True, db_index=True)
    score = models.FloatField(null=True, blank=True, db_index=True)  # MyAnimeList mean score
    members = models.PositiveIntegerField(default=0, db_index=True)
    synopsis = models.TextField(blank=True)  # English, when a source has one
    synopsis_zh = models.TextField(blank=True)  # Chinese (bangumi.tv)
    cover_url = models.URLField(max_length=500, blank=True)
    official_site = models.URLField(max_length=500, blank=True)
    genres = models.ManyToManyField(Genre, related_name="anime", blank=True)
    tags = models.ManyToManyField(Tag, related_name="anime", blank=True)
    is_featured = models.BooleanField(default=False, db_index=True)
    is_hidden = models.BooleanField(default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AnimeQuerySet.as_manager()

    class Meta:
        ordering = ["-members", "id"]
        verbose_name_plural = "anime"
        indexes = [models.Index(fields=["year", "season"])]

    def __str__(self) -> str:
        return self.title


class AnimeTitle(models.Model):
    """Every known name of an anime: main, official translations, synonyms and aliases."""

    class Language(models.TextChoices):
        ROMAJI = "x-jat", "Romaji"
        ENGLISH = "en", "English"
        JAPANESE = "ja", "Japanese"
        CHINESE_SIMPLIFIED = "zh-Hans", "Chinese (simplified)"
        CHINESE_TRADITIONAL = "zh-Hant", "Chinese (traditional)"
        UNKNOWN = "und", "Unknown"

    class Kind(models.TextChoices):
        MAIN = "main", "Main"
        OFFICIAL = "official", "Official"
        SYNONYM = "synonym", "Synonym"
        ALIAS = "alias", "Alias"

    anime = models.ForeignKey(Anime, on_delete=models.CASCADE, related_name="titles")
    text = models.CharField(max_length=255)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.UNKNOWN)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SYNONYM)

    class Meta:
        ordering = ["anime_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["anime", "text", "language"], name="uniq_anime_title_text_lang")
        ]
        indexes = [models.Index(fields=["text"])]

    def __str__(self) -> str:
        return f"{self.text} ({self.language})"


class ExternalId(models.Model):
    """The anime's id on another site (MyAnimeList, AniList, bangumi, AniDB, ...)."""

    anime = models.ForeignKey(Anime, on_delete=models.CASCADE, related_name="external_ids")
    site = models.CharField(max_length=32)
    external_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["site"]
        constraints = [
            models.UniqueConstraint(fields=["anime", "site", "external_id"], name="uniq_anime_site_extid")
        ]
        indexes = [models.Index(fields=["site", "external_id"])]

    def __str__(self) -> str:
        return f"{self.site}:{self.external_id}"
