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


def top_visible_unit_code(user: Any, audit: Audit, role: str = "manager") -> str | None:
    """The highest audit-scope unit whose figures the user may see: a visible unit whose
    parent is not visible (the first by code when there are several); None when none is."""
    visible = visible_unit_codes(user, audit, role)
    if not visible:
        return None
    units, _covers = audit_scope_units(audit=audit)
    by_id = {unit.pk: unit for unit in units.values()}
    tops = sorted(
        unit.code for unit in units.values()
        if unit.code in visible and (unit.parent_id not in by_id or by_id[unit.parent_id].code not in visible)
    )
    return tops[0]


def result_unit_for(user: Any, audit: Audit, requested_code: str | None, role: str = "manager") -> str | None:
    """The unit code whose results the user is shown (None = the audit level).

    - no code: None when the audit is fully in the user's scope, else PermissionDenied whose
      message lists the visible codes (HTML views show top_visible_unit_code instead);
    - a code of an audit-scope unit outside the user's scope: Http404;
    - a code that is not an audit-scope unit at all: returned unchanged (the caller's
      existing "not part of this audit" 400);
    - otherwise the code.
    """
    from django.http import Http404

    code = (requested_code or "").strip() or None
    if scope_unit_ids(user, role) is None:
        return code
    visible = visible_unit_codes(user, audit, role)
    if code is None:
        if audit_fully_in_scope(user, audit, role):
            return None
        raise PermissionDenied(
            _("Your scope covers only some units of this audit; ask with ?unit=CODE (one of: %(codes)s)")
            % {"codes": ", ".join(sorted(visible))}
        )
    if code in visible:
        return code
    units, _covers = audit_scope_units(audit=audit)
    if any(unit.code == code for unit in units.values()):
        raise Http404("No such unit in this audit.")
    return code


def audits_visible(user: Any, roles: tuple[str, ...] = ("manager", "staff"),
                   queryset: QuerySet[Audit] | None = None) -> QuerySet[Audit]:
    """Audits reachable through any of `roles` (audits_for of each, united); all for admins."""
    _check_roles(roles)
    queryset = Audit.objects.all() if queryset is None else queryset
    if is_admin(user):
        return queryset
    from django.db.models import Q

    reachable = [audits_for(user, role).values("pk") for role in roles if scope_unit_ids(user, role)]
    if not reachable:
        return queryset.none()
    condition = Q(pk__in=reachable[0])
    for subquery in reachable[1:]:
        condition |= Q(pk__in=subquery)
    return queryset.filter(condition)


class AuditRights:
    """What one user may do with one audit (see audit_rights)."""

    __slots__ = ("results", "manage", "staff", "unit_ids")

    def __init__(self, *, results: bool, manage: bool, staff: bool, unit_ids: set[int] | None) -> None:
        self.results = results  # dashboards, results, survey links (manager role, visible audit)
        self.manage = manage  # edit, import, export, audit-level totals (audit fully in manager scope)
        self.staff = staff  # self-assessments, inspections, own evidence (staff role, visible audit)
        self.unit_ids = unit_ids  # ids of the audit's units the user may see named; None = all


def audit_rights(user: Any, audits: Any) -> dict[int, AuditRights]:
    """AuditRights by audit id for these audits, from one read of the unit tree (prefetch
    the audits' units to keep a list at a fixed number of queries)."""
    audits = list(audits)
    if is_admin(user):
        return {a.pk: AuditRights(results=True, manage=True, staff=True, unit_ids=None) for a in audits}
    manager = scope_unit_ids(user, Role.MANAGER) or set()
    staff = scope_unit_ids(user, Role.STAFF) or set()
    seen = manager | staff
    _units, children = unit_tree()
    out: dict[int, AuditRights] = {}
    for audit in audits:
        covered = {unit.pk: set(descendant_ids(unit.pk, children)) for unit in audit.units.all()}
        members = set().union(*covered.values()) if covered else set()
        out[audit.pk] = AuditRights(
            results=bool(members & manager),
            manage=bool(manager) and bool(members) and members <= manager,
            staff=bool(members & staff),
            unit_ids={uid for uid, below in covered.items() if below & seen},
        )
    return out
