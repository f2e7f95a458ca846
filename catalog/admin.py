"""Operator back office for the catalogue: curation (featured, hidden), titles, genres and tags.

Every write here ends with ``catalog.services.anime_changed`` so the search index follows once the
transaction commits.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from animesite.exceptions import ApplicationError
from catalog.models import Anime, AnimeTitle, ExternalId, Franchise, Genre, Tag
from catalog.selectors import external_link
from catalog.services import (
    anime_changed,
    anime_set_featured,
    anime_set_hidden,
    franchise_merge,
    franchise_split,
)


class AnimeTitleInline(admin.TabularInline):
    model = AnimeTitle
    fields = ("text", "language", "kind")
    extra = 0
    verbose_name = _("title or synonym")
    verbose_name_plural = _("titles and synonyms (every language)")


class ExternalIdInline(admin.TabularInline):
    """Ids on other sites come from the data import and are shown read-only."""

    model = ExternalId
    fields = ("site", "external_id", "link")
    readonly_fields = ("site", "external_id", "link")
    extra = 0
    can_delete = False
    verbose_name = _("external id")
    verbose_name_plural = _("external ids (read-only, from the data import)")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("link"))
    def link(self, obj: ExternalId) -> str:
        url = external_link(site=obj.site, external_id=obj.external_id)["url"]
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url) if url else "-"


@admin.register(Anime)
class AnimeAdmin(admin.ModelAdmin):
    # One column for the titles (main, then Chinese and Japanese below it) keeps the list narrow
    # enough for 1366 px screens with both sidebars open: featured and hidden stay in view.
    list_display = (
        "titles_column",
        "mal_id",
        "franchise",
        "type",
        "year",
        "season",
        "score",
        "members",
        "is_featured",
        "is_hidden",
    )
    list_filter = ("type", "year", "season", "genres", "is_featured", "is_hidden")
    # Every script: the display titles and every title/synonym row; an exact MyAnimeList id too.
    search_fields = (
        "title",
        "title_en",
        "title_ja",
        "title_zh_hans",
        "title_zh_hant",
        "titles__text",
        "=mal_id",
        "=catalog_key",
        "=bangumi_id",
    )
    search_help_text = _(
        "Any title or synonym, in any language, a MyAnimeList or bangumi id, or a catalogue key."
    )
    ordering = ("-members", "id")
    list_per_page = 50
    show_full_result_count = False
    list_select_related = ("franchise",)
    raw_id_fields = ("franchise",)
    filter_horizontal = ("genres",)
    autocomplete_fields = ("tags",)
    # The catalogue key, source and franchise order come from the data; merge/split moves entries.
    readonly_fields = ("catalog_key", "source", "franchise_position", "created_at", "updated_at")
    inlines = (AnimeTitleInline, ExternalIdInline)
    actions = ("feature", "unfeature", "hide", "unhide", "merge_franchises", "split_franchise")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "catalog_key",
                    "mal_id",
                    "bangumi_id",
                    "source",
                    "title",
                    "type",
                    "episodes",
                    "score",
                    "members",
                )
            },
        ),
        (
            _("Titles"),
            {
                "fields": (
                    "display_title_en",
                    "display_title_zh",
                    "title_en",
                    "title_ja",
                    "title_zh_hans",
                    "title_zh_hant",
                )
            },
        ),
        (
            _("Airing"),
            {
                "fields": (
                    "aired_from",
                    "aired_to",
                    "year",
                    "season",
                    "broadcast_start",
                    "broadcast_period_days",
                )
            },
        ),
        (_("Franchise"), {"fields": ("franchise", "franchise_position")}),
        (
            _("Content"),
            {"fields": ("synopsis", "synopsis_zh", "cover_url", "official_site", "genres", "tags")},
        ),
        (_("Curation"), {"fields": ("is_featured", "is_hidden", "created_at", "updated_at")}),
    )

    class Media:
        # Titles wrap so the featured and hidden columns stay in view at 1366 px.
        css = {"all": ("catalog/admin.css",)}

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Anime], search_term: str
    ) -> tuple[QuerySet[Anime], bool]:
        matched, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if not may_have_duplicates:
            return matched, False
        # Matching several titles of one anime must not list it twice: match through a subquery
        # (cheaper than DISTINCT over every column), keeping the changelist's filters and order.
        return queryset.filter(pk__in=matched.values("pk")), False

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        # Runs after save_model, once genres, tags and titles are saved as well.
        super().save_related(request, form, formsets, change)
        anime_changed(anime_ids=[form.instance.pk])

    def delete_model(self, request: HttpRequest, obj: Anime) -> None:
        anime_id = obj.pk
        super().delete_model(request, obj)
        anime_changed(anime_ids=[anime_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Anime]) -> None:
        anime_ids = list(queryset.values_list("id", flat=True))
        super().delete_queryset(request, queryset)
        anime_changed(anime_ids=anime_ids)

    @admin.display(description=_("Title"), ordering="title")
    def titles_column(self, obj: Anime) -> str:
        others = [t for t in dict.fromkeys([obj.title_zh_hans, obj.title_ja]) if t and t != obj.title]
        return format_html(
            "{}{}",
            obj.title,
            format_html_join("", '<br><span class="other-title">{}</span>', ((t,) for t in others)),
        )

    @admin.action(description=_("Feature the selected anime"), permissions=["change"])
    def feature(self, request: HttpRequest, queryset: QuerySet[Anime]) -> None:
        changed = anime_set_featured(anime_ids=queryset.values_list("id", flat=True), featured=True)
        message = ngettext("%(count)d anime featured.", "%(count)d anime featured.", changed)
        self.message_user(request, message % {"count": changed})

    @admin.action(description=_("Unfeature the selected anime"), permissions=["change"])
    def unfeature(self, request: HttpRequest, queryset: QuerySet[Anime]) -> None:
        changed = anime_set_featured(anime_ids=queryset.values_list("id", flat=True), featured=False)
        message = ngettext("%(count)d anime unfeatured.", "%(count)d anime unfeatured.", changed)
        self.message_user(request, message % {"count": changed})

    @admin.action(description=_("Hide the selected anime from visitors"), permissions=["change"])
    def hide(self, request: HttpRequest, queryset: QuerySet[Anime]) -> None:
        changed = anime_set_hidden(anime_ids=queryset.values_list("id", flat=True), hidden=True)
        message = ngettext("%(count)d anime hidden.", "%(count)d anime hidden.", changed)
        self.message_user(request, message % {"count": changed})

    @admin.action(description=_("Show the selected anime to visitors again"), permissions=["change"])
    def unhide(self, request: HttpRequest, queryset: QuerySet[Anime]) -> None:
        changed = anime_set_hidden(anime_ids=queryset.values_list("id", flat=True), hidden=False)
        message = ngettext("%(count)d anime shown again.", "%(count)d anime shown again.", changed)
        self.message_user(request, message % {"count": changed})

    @admin.action(description=_("Merge the franchises of the selected anime"), permissions=["change"])
    def merge_franchises(self, request: HttpRequest, queryset: QuerySet[Anime]) -> None:
        try:
            franchise = franchise_merge(anime_ids=queryset.values_list("id", flat=True))
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        count = franchise.entries.count()
        message = _("Franchise “%(name)s” now has %(count)d entries.")
        self.message_user(request, message % {"name": franchise, "count": count})

    @admin.action(
        description=_("Split the selected anime into a franchise of their own"), permissions=["change"]
    )
    def split_franchise(self, request: HttpRequest, queryset: QuerySet[Anime]) -> None:
        try:
            franchise = franchise_split(anime_ids=queryset.values_list("id", flat=True))
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        count = franchise.entries.count()
        message = _("%(count)d anime moved to the new franchise “%(name)s”.")
        self.message_user(request, message % {"name": franchise, "count": count})


class FranchiseEntryInline(admin.TabularInline):
    """The entries of a franchise in air order; move one with the anime list's merge/split actions."""

    model = Anime
    fk_name = "franchise"
    fields = ("title", "type", "aired_from", "franchise_position")
    readonly_fields = ("title", "type", "aired_from")
    ordering = ("franchise_position", "aired_from", "id")
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("entry")
    verbose_name_plural = _("entries (air order)")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Franchise)
class FranchiseAdmin(admin.ModelAdmin):
    list_display = ("__str__", "name_zh", "key", "entry_count", "is_curated")
    list_filter = ("is_curated",)
    search_fields = ("name_en", "name_zh", "=key", "entries__title", "entries__titles__text")
    search_help_text = _("A franchise name, a title of one of its entries, or its key.")
    readonly_fields = ("key", "created_at", "updated_at")
    fields = ("key", "name_en", "name_zh", "is_curated", "created_at", "updated_at")
    inlines = (FranchiseEntryInline,)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Franchise]:
        return super().get_queryset(request).annotate(entry_count=Count("entries"))

    @admin.display(description=_("entries"), ordering="entry_count")
    def entry_count(self, obj: Any) -> int:
        return int(obj.entry_count)

    def save_model(self, request: HttpRequest, obj: Franchise, form: ModelForm, change: bool) -> None:
        obj.is_curated = True  # an operator's edit survives data loads
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        anime_changed(anime_ids=form.instance.entries.values_list("id", flat=True))


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "anime_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Genre]:
        return super().get_queryset(request).annotate(anime_count=Count("anime"))

    @admin.display(description=_("anime"), ordering="anime_count")
    def anime_count(self, obj: Any) -> int:
        return int(obj.anime_count)

    def save_model(self, request: HttpRequest, obj: Genre, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            # Search documents carry genre names.
            anime_changed(anime_ids=obj.anime.values_list("id", flat=True))


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "anime_count")
    search_fields = ("name",)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(anime_count=Count("anime"))

    @admin.display(description=_("anime"), ordering="anime_count")
    def anime_count(self, obj: Any) -> int:
        return int(obj.anime_count)

    def save_model(self, request: HttpRequest, obj: Tag, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            anime_changed(anime_ids=obj.anime.values_list("id", flat=True))
