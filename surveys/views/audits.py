"""Audit pages for staff: list, create, edit and the survey links of each unit."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from surveys.forms import AuditForm
from surveys.instruments import localized
from surveys.models import Audit, Unit
from surveys.selectors import audit_unit_ids, audits_with_counts, tree_order
from surveys.services import ValidationFailed, audit_create, audit_update


def audit_list(request: HttpRequest) -> HttpResponse:
    audits = audits_with_counts().prefetch_related("units").order_by("-created_at", "slug")
    for audit in audits:
        audit.instrument_label = localized(audit.instrument_snapshot.get("name")) or audit.instrument.code
    return render(request, "surveys/audit_list.html", {"audits": audits})


def _show_service_errors(form: AuditForm, errors: dict[str, list[str]]) -> None:
    for field, field_messages in errors.items():
        if field in ("instrument", "scale", "format"):
            form.add_error(field, _("Cannot change once the audit has responses."))
        elif field in form.fields:
            form.add_error(field, field_messages)
        else:
            form.add_error(None, field_messages)


@require_http_methods(["GET", "POST"])
def audit_create_view(request: HttpRequest) -> HttpResponse:
    form = AuditForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            audit = audit_create(**form.service_fields())
        except ValidationFailed as exc:
            _show_service_errors(form, exc.errors)
        else:
            messages.success(request, _("Audit “%(title)s” created. Share the links below.")
                             % {"title": audit.title})
            return redirect("audit-links", slug=audit.slug)
    return render(request, "surveys/audit_form.html", {"form": form, "audit": None})


@require_http_methods(["GET", "POST"])
def audit_edit_view(request: HttpRequest, slug: str) -> HttpResponse:
    audit = get_object_or_404(Audit, slug=slug)
    # The form gets its own copy: ModelForm validation writes the posted values into
    # its instance, and audit_update must compare them with the stored ones.
    form = AuditForm(request.POST or None, instance=Audit.objects.get(pk=audit.pk))
    if request.method == "POST" and form.is_valid():
        try:
            audit_update(audit=audit, **form.service_fields())
        except ValidationFailed as exc:
            _show_service_errors(form, exc.errors)
        else:
            messages.success(request, _("Audit “%(title)s” saved.") % {"title": audit.title})
            return redirect("audit-links", slug=audit.slug)
    n_responses = audit.response_count
    return render(request, "surveys/audit_form.html",
                  {"form": form, "audit": audit, "n_responses": n_responses})


def audit_links(request: HttpRequest, slug: str) -> HttpResponse:
    audit = get_object_or_404(Audit, slug=slug)
    units = {u.pk: u for u in Unit.objects.filter(pk__in=audit_unit_ids(audit=audit).values())}
    rows = [
        {
            "unit": unit, "depth": depth, "indent": depth * 1.25,
            "url": request.build_absolute_uri(reverse("survey", args=[audit.slug, unit.code])),
        }
        for unit, depth in tree_order(units)
    ]
    return render(request, "surveys/audit_links.html", {"audit": audit, "rows": rows})
