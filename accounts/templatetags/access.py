"""Template filters over accounts.access: `{% load access %}{% if user|is_admin %}`."""

from typing import Any

from django import template

from accounts import access

register = template.Library()


@register.filter
def is_admin(user: Any) -> bool:
    return access.is_admin(user)


@register.filter
def has_role(user: Any, role: str) -> bool:
    return access.has_role(user, role)


@register.filter
def manages(user: Any, audit: Any) -> bool:
    """`{% if user|manages:audit %}`: may edit, import and export it (admins, or a manager
    whose scope covers every unit of the audit)."""
    return access.audit_fully_in_scope(user, audit, "manager")
