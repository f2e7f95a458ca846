from django.contrib import admin

from favorites.models import CollectionEntry, ImportJob


@admin.register(CollectionEntry)
class CollectionEntryAdmin(admin.ModelAdmin):
    list_display = ("user", "anime", "status", "score", "is_favorite", "source", "updated_at")
    list_filter = ("status", "is_favorite", "source")
    raw_id_fields = ("user", "anime")
    search_fields = ("user__username", "anime__title")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "status", "total", "processed", "created_at", "finished_at")
    list_filter = ("status",)
    raw_id_fields = ("user",)
    exclude = ("entries",)
    readonly_fields = ("summary", "error", "started_at", "finished_at")
