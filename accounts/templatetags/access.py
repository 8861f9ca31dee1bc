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
