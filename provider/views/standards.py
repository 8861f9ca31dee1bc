"""Quality standards (gap 2): the list with coverage and gap 2, add, edit and delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

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
from surveys.models import Audit
from surveys.services import ValidationFailed


@login_required
@require_http_methods(["GET", "POST"])
def standards(request: HttpRequest, slug: str) -> HttpResponse:
    audit = get_object_or_404(Audit, slug=slug)
    units = scope_unit_choices(audit=audit)
    form = StandardForm(request.POST or None, audit=audit, units=units,
                        initial={"item": request.GET.get("item", "")})
    if request.method == "POST" and form.is_valid():
        try:
            standard, created = standard_set(audit=audit, **form.service_fields())
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            message = _("Standard for %(item)s added.") if created else _("Standard for %(item)s updated.")
            messages.success(request, message % {"item": standard.item_code})
            return redirect("audit-standards", slug=audit.slug)
    overview = standards_overview(audit=audit)
    for section in overview["sections"]:
        for row in section["rows"]:
            row.gap_text, row.mean_m_text = num(row.gap), num(row.mean_m)
    return render(request, "provider/standards.html", {
        "audit": audit, "form": form, "overview": overview, "result": overview["result"],
        "active_tab": "standards", "form_open": request.method == "POST" or "item" in request.GET,
    })


@login_required
@require_http_methods(["GET", "POST"])
def standard_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    audit = get_object_or_404(Audit, slug=slug)
    standard = get_object_or_404(QualityStandard.objects.select_related("unit"), pk=pk, audit=audit)
    form = StandardForm(request.POST or None, audit=audit, units=scope_unit_choices(audit=audit),
                        initial=StandardForm.initial_from(standard))
    if request.method == "POST" and form.is_valid():
        try:
            standard_update(standard=standard, **form.service_fields())
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, _("Standard for %(item)s saved.") % {"item": standard.item_code})
            return redirect("audit-standards", slug=audit.slug)
    return render(request, "provider/standard_edit.html",
                  {"audit": audit, "form": form, "standard": standard, "active_tab": "standards"})


@login_required
@require_POST
def standard_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    audit = get_object_or_404(Audit, slug=slug)
    standard = get_object_or_404(QualityStandard, pk=pk, audit=audit)
    item_code = standard.item_code
    standard_delete(standard=standard)
    messages.success(request, _("Standard for %(item)s deleted.") % {"item": item_code})
    return redirect("audit-standards", slug=audit.slug)
