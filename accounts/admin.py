"""Django admin: users (changes logged), roles, tokens (never their secrets) and the audit log (read-only)."""

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction

from accounts.models import ApiToken, AuditLogEntry, RoleAssignment
from accounts.services import audit_log_record, user_label

User = get_user_model()
Action = AuditLogEntry.Action
# What the audit log records of a user changed here: who they are and what they may do.
USER_LOGGED_FIELDS = ("username", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser")


def _user_logged(user) -> dict[str, Any]:
    return {name: getattr(user, name) for name in USER_LOGGED_FIELDS}


admin.site.unregister(User)


@admin.register(User)
class LoggedUserAdmin(UserAdmin):
    """Django's user admin; additions, changes of identity, activation and the staff and
    superuser flags, and deletions are recorded in the audit log. (Roles are given on the
    People page; the superuser flag set here does not give the admin role's entry.)"""

    def save_model(self, request, obj, form, change: bool) -> None:
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        before = _user_logged(stored) if stored is not None else None
        super().save_model(request, obj, form, change)
        after = _user_logged(obj)
        if before is None:
            action, changes = Action.CREATED, {name: [None, value] for name, value in after.items() if value}
        else:
            changes = {name: [before[name], value] for name, value in after.items() if before[name] != value}
            if not changes:
                return
            action = Action.UPDATED
            if "is_active" in changes:
                action = Action.REACTIVATED if obj.is_active else Action.DEACTIVATED
        audit_log_record(actor=request.user, action=action, obj_type="user", obj_id=obj.pk,
                         obj_repr=user_label(obj), changes=changes)

    def delete_model(self, request, obj) -> None:
        with transaction.atomic():
            pk, label, before = obj.pk, user_label(obj), _user_logged(obj)
            super().delete_model(request, obj)
            self._log_deleted(request, pk=pk, label=label, before=before)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            deleted = [(user.pk, user_label(user), _user_logged(user)) for user in queryset]
            super().delete_queryset(request, queryset)
            for pk, label, before in deleted:
                self._log_deleted(request, pk=pk, label=label, before=before)

    @staticmethod
    def _log_deleted(request, *, pk: int, label: str, before: dict[str, Any]) -> None:
        audit_log_record(actor=request.user, action=Action.DELETED, obj_type="user", obj_id=pk, obj_repr=label,
                         changes={name: [value, None] for name, value in before.items()})


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Read-only here: roles change on the People page, which keeps the audit log."""

    list_display = ["user", "role", "unit", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "unit"]
    search_fields = ["user__username", "user__email", "unit__code"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]
    search_fields = ["name", "prefix", "user__username"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_repr", "audit"]
    list_filter = ["object_type", "action"]
    list_select_related = ["actor", "audit"]
    search_fields = ["object_repr", "object_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
