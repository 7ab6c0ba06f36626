"""The admin: accounts and the audit trail. Clinical records are changed only through the API,
where care-team scoping, validation, versions and the audit trail apply."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from tracker.models import AuditEvent, User
from tracker.services.people import user_deactivate


@admin.register(User)
class TendUserAdmin(UserAdmin):
    list_display = ["username", "display_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Tend", {"fields": ["role", "display_name"]}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("Tend", {"fields": ["role", "display_name"]}))
    actions = ["deactivate"]

    @admin.action(description="Deactivate (signs them out everywhere)")
    def deactivate(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            user_deactivate(user=user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # people in a clinical record are deactivated, never deleted


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_username", "role", "action", "outcome", "object_type",
                    "object_id", "patient_id", "ip"]
    list_filter = ["outcome", "action", "role"]
    search_fields = ["object_id", "request_id", "actor_username"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
