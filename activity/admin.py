from django.contrib import admin
from django.http import HttpRequest

from activity.models import Interaction


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "anime", "kind", "score", "source", "occurred_at")
    list_filter = ("kind", "source")
    raw_id_fields = ("user", "anime")
    list_select_related = ("user", "anime")
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj: Interaction | None = None) -> bool:
        return False
