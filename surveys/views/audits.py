"""Audit pages for staff: list, create, edit and the survey links of each unit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from surveys.forms import AuditForm
from surveys.instruments import localized
from surveys.links import link_path, link_reissue, link_revoke, links_latest, qr_png, qr_preview, qr_svg
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


@require_GET
def audit_links(request: HttpRequest, slug: str) -> HttpResponse:
    """Each unit's signed survey link, its QR code, and the buttons to withdraw or reissue it."""
    audit = get_object_or_404(Audit, slug=slug)
    units = {u.pk: u for u in Unit.objects.filter(pk__in=audit_unit_ids(audit=audit).values())}
    latest = links_latest(audit=audit, units=units.values())
    rows = []
    for unit, depth in tree_order(units):
        link = latest[unit.pk]
        url = request.build_absolute_uri(link_path(link))
        rows.append({
            "unit": unit, "depth": depth, "indent": depth * 1.25, "link": link,
            "url": None if link.is_revoked else url,
            "qr": None if link.is_revoked else qr_preview(url),
        })
    return render(request, "surveys/audit_links.html", {"audit": audit, "rows": rows})


def _audit_unit(slug: str, unit_code: str) -> tuple[Audit, Unit]:
    """The audit and one of the units that answer it, or 404."""
    audit = get_object_or_404(Audit, slug=slug)
    unit_id = audit_unit_ids(audit=audit).get(unit_code)
    if unit_id is None:
        raise Http404("No such unit in this audit.")
    return audit, Unit.objects.get(pk=unit_id)


@login_required
@require_POST
def audit_link_revoke(request: HttpRequest, slug: str, unit_code: str) -> HttpResponse:
    audit, unit = _audit_unit(slug, unit_code)
    if link_revoke(audit=audit, unit=unit):
        messages.success(request, _("The survey link of %(unit)s is withdrawn: it now shows a “link withdrawn” "
                                    "page. Issue a new link to collect answers again.") % {"unit": unit.name})
    return redirect("audit-links", slug=audit.slug)


@login_required
@require_POST
def audit_link_reissue(request: HttpRequest, slug: str, unit_code: str) -> HttpResponse:
    audit, unit = _audit_unit(slug, unit_code)
    link_reissue(audit=audit, unit=unit)
    messages.success(request, _("A new survey link for %(unit)s is ready; the previous link no longer works.")
                     % {"unit": unit.name})
    return redirect("audit-links", slug=audit.slug)


@require_GET
def audit_link_qr(request: HttpRequest, slug: str, unit_code: str, fmt: str) -> HttpResponse:
    """The QR code of a unit's current link, as a PNG or SVG file to print."""
    audit, unit = _audit_unit(slug, unit_code)
    link = links_latest(audit=audit, units=[unit])[unit.pk]
    if link.is_revoked:
        raise Http404("This unit's link is withdrawn.")
    url = request.build_absolute_uri(link_path(link))
    if fmt == "png":
        response = HttpResponse(qr_png(url), content_type="image/png")
    else:
        response = HttpResponse(qr_svg(url), content_type="image/svg+xml")
    response["Content-Disposition"] = f'attachment; filename="{audit.slug}-{unit.code}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response
