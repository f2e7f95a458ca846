from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class Genre(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("genre")
        verbose_name_plural = _("genres")

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free-form tag (mostly Chinese, from bangumi.tv)."""

    name = models.CharField(_("name"), max_length=128, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Franchise(models.Model):
    """A series: the seasons, films and side stories of one work, grouped by the catalogue ETL
    (``catalog.etl.franchises``) and editable by operators (merge, split)."""

    key = models.CharField(
        _("key"),
        max_length=40,
        unique=True,
        help_text=_("The catalogue key of its first entry, or a key given by an operator."),
    )
    name_en = models.CharField(_("English name"), max_length=255, blank=True)
    name_zh = models.CharField(_("Chinese name"), max_length=255, blank=True)
    is_curated = models.BooleanField(
        _("edited by an operator"),
        default=False,
        help_text=_("Created or changed by an operator: data loads leave its entries where they are."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("franchise")
        verbose_name_plural = _("franchises")

    def __str__(self) -> str:
        return self.name_en or self.name_zh or self.key


# Genres of explicit adult titles (MyAnimeList's "Hentai"). The catalogue loads such an anime hidden,
# as the site is for a general audience; operators can show it in the admin, and a later load keeps
# their choice (catalog.loading.catalogue).
ADULT_GENRES: frozenset[str] = frozenset({"Hentai"})


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
        MOVIE = "Movie", _("Movie")
        OVA = "OVA", "OVA"
        ONA = "ONA", "ONA"
        SPECIAL = "Special", _("Special")
        MUSIC = "Music", _("Music")
        UNKNOWN = "Unknown", _("Unknown")

    class Season(models.TextChoices):
        WINTER = "winter", _("Winter")
        SPRING = "spring", _("Spring")
        SUMMER = "summer", _("Summer")
        FALL = "fall", _("Fall")

    class Source(models.TextChoices):
        BOTH = "both", _("MyAnimeList and bangumi-data")
        MAL = "mal", _("MyAnimeList only")
        BANGUMI = "bangumi", _("bangumi-data only")

    # The loader's natural key: "mal:<MyAnimeList id>", else "bgm:<bangumi id>", else "bd:<hash>".
    catalog_key = models.CharField(_("catalogue key"), max_length=40, unique=True)
    mal_id = models.PositiveIntegerField(_("MyAnimeList id"), unique=True, null=True, blank=True)
    bangumi_id = models.PositiveIntegerField(_("bangumi id"), null=True, blank=True, db_index=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.MAL)
    # Every title and synonym lives in AnimeTitle; these are the ones shown.
    title = models.CharField(_("main title"), max_length=255, db_index=True)  # MAL romaji, else original
    title_en = models.CharField(_("English title"), max_length=255, blank=True)
    title_ja = models.CharField(_("Japanese title"), max_length=255, blank=True)
    title_zh_hans = models.CharField(_("Chinese title (simplified)"), max_length=255, blank=True)
    title_zh_hant = models.CharField(_("Chinese title (traditional)"), max_length=255, blank=True)
    # The display-title policy of catalog.etl.display, per UI language.
    display_title_en = models.CharField(_("display title (English pages)"), max_length=255, blank=True)
    display_title_zh = models.CharField(_("display title (Chinese pages)"), max_length=255, blank=True)
    type = models.CharField(
        _("type"), max_length=16, choices=Type.choices, default=Type.UNKNOWN, db_index=True
    )
    episodes = models.PositiveIntegerField(_("episodes"), null=True, blank=True)
    aired_from = models.DateField(_("aired from"), null=True, blank=True)
    aired_to = models.DateField(_("aired to"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True, db_index=True)
    season = models.CharField(_("season"), max_length=8, choices=Season.choices, blank=True, db_index=True)
    # Weekly broadcast (bangumi-data "R/<first air>/P7D"): the first broadcast (UTC) and its period.
    broadcast_start = models.DateTimeField(_("first broadcast"), null=True, blank=True)
    broadcast_period_days = models.PositiveSmallIntegerField(
        _("broadcast period (days)"), null=True, blank=True
    )
    score = models.FloatField(_("MyAnimeList score"), null=True, blank=True, db_index=True)  # None: no score
    members = models.PositiveIntegerField(_("members"), default=0, db_index=True)
    synopsis = models.TextField(_("synopsis (English)"), blank=True)
    synopsis_zh = models.TextField(_("synopsis (Chinese)"), blank=True)
    cover_url = models.URLField(_("cover URL"), max_length=500, blank=True)
    official_site = models.URLField(_("official site"), max_length=500, blank=True)
    genres = models.ManyToManyField(Genre, related_name="anime", blank=True, verbose_name=_("genres"))
    tags = models.ManyToManyField(Tag, related_name="anime", blank=True, verbose_name=_("tags"))
    franchise = models.ForeignKey(
        Franchise,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entries",
        verbose_name=_("franchise"),
    )
    franchise_position = models.PositiveIntegerField(_("position in the franchise"), default=0)
    is_featured = models.BooleanField(_("featured"), default=False, db_index=True)
    is_hidden = models.BooleanField(_("hidden"), default=False, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AnimeQuerySet.as_manager()

    class Meta:
        ordering = ["-members", "id"]
        verbose_name = _("anime")
        verbose_name_plural = _("anime")
        indexes = [
            models.Index(fields=["year", "season"]),
            models.Index(fields=["aired_from"]),
            models.Index(fields=["franchise", "franchise_position"]),
        ]

    def __str__(self) -> str:
        return self.title


class AnimeTitle(models.Model):
    """Every known name of an anime: main, official translations, synonyms and aliases."""

    class Language(models.TextChoices):
        ROMAJI = "x-jat", _("Romaji")
        ENGLISH = "en", _("English")
        JAPANESE = "ja", _("Japanese")
        CHINESE_SIMPLIFIED = "zh-Hans", _("Chinese (simplified)")
        CHINESE_TRADITIONAL = "zh-Hant", _("Chinese (traditional)")
        UNKNOWN = "und", _("Unknown")

    class Kind(models.TextChoices):
        MAIN = "main", _("Main")
        OFFICIAL = "official", _("Official")
        SYNONYM = "synonym", _("Synonym")
        ALIAS = "alias", _("Alias")

    anime = models.ForeignKey(Anime, on_delete=models.CASCADE, related_name="titles", verbose_name=_("anime"))
    text = models.CharField(_("text"), max_length=255)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.UNKNOWN
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SYNONYM)

    class Meta:
        ordering = ["anime_id", "id"]
        verbose_name = _("title")
        verbose_name_plural = _("titles")
        constraints = [
            models.UniqueConstraint(fields=["anime", "text", "language"], name="uniq_anime_title_text_lang")
        ]
        indexes = [models.Index(fields=["text"])]

    def __str__(self) -> str:
        return f"{self.text} ({self.language})"


class ExternalId(models.Model):
    """The anime's id on another site (MyAnimeList, AniList, bangumi, AniDB, ...)."""

    anime = models.ForeignKey(
        Anime, on_delete=models.CASCADE, related_name="external_ids", verbose_name=_("anime")
    )
    site = models.CharField(_("site"), max_length=32)
    external_id = models.CharField(_("external id"), max_length=64)

    class Meta:
        ordering = ["site"]
        verbose_name = _("external id")
        verbose_name_plural = _("external ids")
        constraints = [
            models.UniqueConstraint(fields=["anime", "site", "external_id"], name="uniq_anime_site_extid")
        ]
        indexes = [models.Index(fields=["site", "external_id"])]

    def __str__(self) -> str:
        return f"{self.site}:{self.external_id}"
