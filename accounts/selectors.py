"""Reads: people with their roles, tokens, the audit log."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import F, Prefetch, QuerySet

from accounts.models import ApiToken, AuditLogEntry, RoleAssignment

User = get_user_model()


def people_list() -> QuerySet:
    """Every user with their role assignments (and units) in two queries, active first, by name."""
    roles = RoleAssignment.objects.select_related("unit").order_by("role", "unit__code")
    return User.objects.prefetch_related(Prefetch("role_assignments", queryset=roles)).order_by(
        "-is_active", "first_name", "username"
    )


def email_taken(email: str) -> bool:
    """Users sign in with their email, stored as the username; either may hold it."""
    email = email.strip()
    return User.objects.filter(username__iexact=email).exists() or User.objects.filter(email__iexact=email).exists()


def person_roles(*, user) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(user=user).select_related("unit").order_by("role", "unit__code")


def api_tokens_of(*, user) -> QuerySet[ApiToken]:
    """The user's tokens, live ones first, newest first."""
    return ApiToken.objects.filter(user=user).order_by(F("revoked_at").asc(nulls_first=True), "-created_at", "-id")


def audit_log_entries(*, object_type: str | None = None) -> QuerySet[AuditLogEntry]:
    """Newest first, with actor and audit joined."""
    entries = AuditLogEntry.objects.select_related("actor", "audit").order_by("-at", "-id")
    if object_type:
        entries = entries.filter(object_type=object_type)
    return entries


def audit_log_object_types() -> list[str]:
    return list(AuditLogEntry.objects.order_by("object_type").values_list("object_type", flat=True).distinct())
