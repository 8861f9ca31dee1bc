"""Access primitives: who holds which role, on which units, and what that lets them see.

Rules (issue 4):
- an *admin* sees and does everything; a superuser counts as an admin, and an admin
  passes every role check (`has_role(admin, "manager")` is True);
- a *manager* or *staff* member holds the role on units; a role on a unit covers the
  unit and all its descendants (its *scope*);
- anonymous users and deactivated users hold no role.

Scopes are sets of unit ids: `None` means every unit (admins), an empty set means none.
The role assignments and scopes of a user are cached on the user object for the
request; services that change them call `forget_roles(user)`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission

from accounts.models import Role, RoleAssignment
from surveys.models import Audit, Unit
from surveys.selectors import audit_scope_units, audit_unit_ids, descendant_ids, unit_tree

ROLES = frozenset(Role.values)
# The WWW-Authenticate challenge of a 401: the API takes `Authorization: Token <key>`.
TOKEN_CHALLENGE = 'Token realm="api"'


def _check_roles(roles: tuple[str, ...]) -> None:
    unknown = set(roles) - ROLES
    if unknown or not roles:
        raise ValueError(f"roles must be some of {sorted(ROLES)}, got {list(roles)}")


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _assignments(user: Any) -> list[tuple[str, int | None]]:
    """(role, unit id) pairs the user holds; none for anonymous or deactivated users."""
    if not _signed_in(user):
        return []
    cached = getattr(user, "_role_assignments", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user_id=user.pk).values_list("role", "unit_id"))
        user._role_assignments = cached
    return cached


def forget_roles(user: Any) -> None:
    """Drop the roles and scopes cached on this user object (after they change)."""
    for key in ("_role_assignments", "_role_scopes"):
        if hasattr(user, key):
            delattr(user, key)


def is_admin(user: Any) -> bool:
    """A signed-in, active superuser or holder of the admin role."""
    if not _signed_in(user):
        return False
    return bool(user.is_superuser) or any(role == Role.ADMIN for role, _unit in _assignments(user))


def roles_of(user: Any) -> set[str]:
    """The roles the user holds ("admin" for a superuser too); empty for anonymous users."""
    roles = {role for role, _unit in _assignments(user)}
    if is_admin(user):
        roles.add(Role.ADMIN.value)
    return roles


def has_role(user: Any, *roles: str) -> bool:
    """True when the user holds one of these roles; an admin holds them all."""
    _check_roles(roles)
    return is_admin(user) or bool(roles_of(user) & set(roles))


def scope_unit_ids(user: Any, role: str) -> set[int] | None:
    """Ids of the units the user's `role` covers, descendants included.

    None = every unit (admins); an empty set = none (the user does not hold the role).
    """
    _check_roles((role,))
    if is_admin(user):
        return None
    if role == Role.ADMIN or not _signed_in(user):
        return set()
    scopes = getattr(user, "_role_scopes", None)
    if scopes is None:
        scopes = user._role_scopes = {}
    if role not in scopes:
        roots = [unit_id for held, unit_id in _assignments(user) if held == role and unit_id is not None]
        scope: set[int] = set()
        if roots:
            _units, children = unit_tree()
            for root in roots:
                scope.update(descendant_ids(root, children))
        scopes[role] = scope
    return scopes[role]


def unit_in_scope(user: Any, unit_id: int, role: str) -> bool:
    scope = scope_unit_ids(user, role)
    return scope is None or unit_id in scope


def units_for(user: Any, role: str) -> QuerySet[Unit]:
    """The units the user's `role` covers (all units for admins)."""
    scope = scope_unit_ids(user, role)
    return Unit.objects.all() if scope is None else Unit.objects.filter(pk__in=scope)


def audits_for(user: Any, role: str, queryset: QuerySet[Audit] | None = None) -> QuerySet[Audit]:
    """Audits with at least one unit (counting the descendants of the audit's units) in
    the user's scope for `role`; all audits for admins.

    In a tree, an audit unit's subtree meets the subtree of a scope root exactly when
    the audit unit lies in the scope or is an ancestor of a scope root.
    """
    queryset = Audit.objects.all() if queryset is None else queryset
    scope = scope_unit_ids(user, role)
    if scope is None:
        return queryset
    if not scope:
        return queryset.none()
    units, _children = unit_tree()
    reach = set(scope)
    for unit_id in scope:
        parent = units[unit_id].parent_id if unit_id in units else None
        while parent is not None and parent not in reach:
            reach.add(parent)
            parent = units[parent].parent_id if parent in units else None
    audit_ids = Audit.units.through.objects.filter(unit_id__in=reach).values("audit_id")
    return queryset.filter(pk__in=audit_ids)


def audit_for_or_404(user: Any, slug: str, role: str, queryset: QuerySet[Audit] | None = None) -> Audit:
    """The audit with this slug if the user may reach it with `role`, else Http404
    (out of scope looks exactly like missing)."""
    return get_object_or_404(audits_for(user, role, queryset), slug=slug)


def visible_unit_codes(user: Any, audit: Audit, role: str) -> set[str]:
    """Codes of the audit-scope units (surveys.selectors.audit_scope_units) whose figures
    the user may see: those whose covered units (itself and its descendants) all lie in
    the user's scope. A manager of region A in a chain-wide audit sees A and A's
    descendants, not the chain (its figures include other regions)."""
    units, covers = audit_scope_units(audit=audit)
    scope = scope_unit_ids(user, role)
    return {units[uid].code for uid, covered in covers.items() if scope is None or scope.issuperset(covered)}


def audit_fully_in_scope(user: Any, audit: Audit, role: str) -> bool:
    """True when every unit that may answer the audit lies in the user's scope: the
    condition for seeing the audit-level total (and for editing the audit as a manager)."""
    scope = scope_unit_ids(user, role)
    if scope is None:
        return True
    return bool(scope) and scope.issuperset(audit_unit_ids(audit=audit).values())


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or ("application/json" in accept and "text/html" not in accept)


def role_required(*roles: str) -> Callable:
    """Decorator for Django views: the signed-in user must hold one of `roles` (admins
    hold all). Anonymous: redirect to sign-in (HTML) or 401 (JSON, /api/ paths).
    Signed in without the role: 403 (the 403 page, or JSON)."""
    _check_roles(roles)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not _signed_in(request.user):
                if _wants_json(request):
                    response = JsonResponse({"detail": _("Authentication credentials were not provided.")},
                                            status=401)
                    response["WWW-Authenticate"] = TOKEN_CHALLENGE
                    return response
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                if _wants_json(request):
                    return JsonResponse({"detail": _("Your role does not allow this.")}, status=403)
                raise PermissionDenied(_("Your role does not allow this."))
            return view(request, *args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


class HasRole(BasePermission):
    """DRF permission: the user holds one of the view's roles (admins hold all).

    Use `permission_classes = [HasRole.of("manager")]`, or `[HasRole]` with
    `required_roles = ("manager",)` on the view. Anonymous requests get 401, signed-in
    users without the role 403.
    """

    roles: tuple[str, ...] = ()
    message = gettext_lazy("Your role does not allow this.")

    @classmethod
    def of(cls, *roles: str) -> type[HasRole]:
        _check_roles(roles)
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": roles})

    def has_permission(self, request: Any, view: Any) -> bool:
        roles = self.roles or tuple(getattr(view, "required_roles", ()))
        if not roles:
            raise ImproperlyConfigured(f"{type(view).__name__} uses HasRole without roles")
        return _signed_in(request.user) and has_role(request.user, *roles)
