from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "source", "is_staff", "is_active", "date_joined", "last_login")
    list_filter = ("source", "is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "email", "=dataset_user_id")
    readonly_fields = ("source", "dataset_user_id", "last_login", "date_joined")
    show_full_result_count = False
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Site"), {"fields": ("source", "dataset_user_id", "preferred_language")}),
    )
