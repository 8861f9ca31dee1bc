"""Quality standards (gap 2): the list with coverage and gap 2, add, edit and delete.

Admins and managers read the list (a manager sees the unit overrides of the units in
their scope only, and, when the audit is not wholly theirs, the figures of their highest
visible unit); only admins add, edit and delete.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import (
    audit_for_or_404,
    audit_fully_in_scope,
    is_admin,
    role_required,
    scope_unit_ids,
    top_visible_unit_code,
)
from accounts.models import Role
from analytics.dashboard import num
from provider.forms import StandardForm, add_service_errors
from provider.models import QualityStandard
from provider.standards import (
    scope_unit_choices,
    standard_delete,
    standard_set,
    standard_update,
    standards_overview,
)
from surveys.models import Unit
from surveys.services import ValidationFailed


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def standards(request: HttpRequest, slug: str) -> HttpResponse:
    can_edit = is_admin(request.user)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("Only an admin can change quality standards."))
    audit = audit_for_or_404(request.user, slug, Role.MANAGER)
    form = None
    if can_edit:
        form = StandardForm(request.POST or None, audit=audit, units=scope_unit_choices(audit=audit),
                            initial={"item": request.GET.get("item", "")})
    if request.method == "POST" and form.is_valid():
        try:
            standard, created = standard_set(audit=audit, actor=request.user, **form.service_fields())
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            message = _("Standard for %(item)s added.") if created else _("Standard for %(item)s updated.")
            messages.success(request, message % {"item": standard.item_code})
            return redirect("audit-standards", slug=audit.slug)
    # A manager whose scope covers only part of the audit sees the figures of their highest unit.
    figures_unit = None
    if not audit_fully_in_scope(request.user, audit, Role.MANAGER):
        figures_unit = top_visible_unit_code(request.user, audit, Role.MANAGER)
    overview = standards_overview(audit=audit, unit_code=figures_unit,
                                  unit_ids=scope_unit_ids(request.user, Role.MANAGER))
    for section in overview["sections"]:
        for row in section["rows"]:
            row.gap_text, row.mean_m_text = num(row.gap), num(row.mean_m)
    return render(request, "provider/standards.html", {
        "audit": audit, "form": form, "overview": overview, "result": overview["result"],
        "active_tab": "standards", "can_edit": can_edit,
        "figures_unit": Unit.objects.filter(code=figures_unit).first() if figures_unit else None,
        "form_open": can_edit and (request.method == "POST" or "item" in request.GET),
    })


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def standard_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    audit = audit_for_or_404(request.user, slug, Role.ADMIN)
    standard = get_object_or_404(QualityStandard.objects.select_related("unit"), pk=pk, audit=audit)
    form = StandardForm(request.POST or None, audit=audit, units=scope_unit_choices(audit=audit),
                        initial=StandardForm.initial_from(standard))
    if request.method == "POST" and form.is_valid():
        try:
            standard_update(standard=standard, actor=request.user, **form.service_fields())
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, _("Standard for %(item)s saved.") % {"item": standard.item_code})
            return redirect("audit-standards", slug=audit.slug)
    return render(request, "provider/standard_edit.html",
                  {"audit": audit, "form": form, "standard": standard, "active_tab": "standards"})


@role_required(Role.ADMIN)
@require_POST
def standard_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    audit = audit_for_or_404(request.user, slug, Role.ADMIN)
    standard = get_object_or_404(QualityStandard.objects.select_related("unit"), pk=pk, audit=audit)
    item_code = standard.item_code
    standard_delete(standard=standard, actor=request.user)
    messages.success(request, _("Standard for %(item)s deleted.") % {"item": item_code})
    return redirect("audit-standards", slug=audit.slug)
