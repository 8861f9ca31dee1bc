"""Audit pages: list, create, edit and the survey links of each unit.

Who may do what (notes/access_rules.md): the list shows the audits any role of the
user reaches, each with only the actions the user may take; creating takes the
manager role (units limited to the manager's scope); editing, importing and exporting
take an admin or a manager of every unit of the audit; the survey links page shows
a manager the units whose figures they may see.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import (
    audit_for_or_404,
    audit_fully_in_scope,
    audit_rights,
    audits_visible,
    has_role,
    is_admin,
    role_required,
    visible_unit_codes,
)
from surveys.forms import AuditForm
from surveys.instruments import localized
from surveys.links import link_path, link_reissue, link_revoke, links_latest, qr_png, qr_preview, qr_svg
from surveys.models import Audit, Unit
from surveys.selectors import audit_unit_ids, audits_with_counts, tree_order
from surveys.services import ValidationFailed, audit_create, audit_update


def audit_managed_or_denied(user: Any, slug: str) -> Audit:
    """The audit if the user may change it, import or export its responses: an admin, or a
    manager whose scope covers every unit of the audit. 404 when no role of the user
    reaches the audit (as if it did not exist), 403 when one does but this is not allowed."""
    audit = get_object_or_404(audits_visible(user), slug=slug)
    if not audit_fully_in_scope(user, audit, "manager"):
        raise PermissionDenied(_("Only an admin, or a manager of every unit of this audit, may do this."))
    return audit


@role_required("manager", "staff")
def audit_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    audits = list(
        audits_visible(user, queryset=audits_with_counts().prefetch_related("units")).order_by("-created_at", "slug")
    )
    rights = audit_rights(user, audits)
    for audit in audits:
        audit.instrument_label = localized(audit.instrument_snapshot.get("name")) or audit.instrument.code
        audit.rights = rights[audit.pk]
        audit.shown_units = [u for u in audit.units.all()
                             if audit.rights.unit_ids is None or u.pk in audit.rights.unit_ids]
    return render(request, "surveys/audit_list.html",
                  {"audits": audits, "can_create": has_role(user, "manager")})


def _show_service_errors(form: AuditForm, errors: dict[str, list[str]]) -> None:
    for field, field_messages in errors.items():
        if field in ("instrument", "scale", "format"):
            form.add_error(field, _("Cannot change once the audit has responses."))
        elif field in form.fields:
            form.add_error(field, field_messages)
        else:
            form.add_error(None, field_messages)


@role_required("manager")
@require_http_methods(["GET", "POST"])
def audit_create_view(request: HttpRequest) -> HttpResponse:
    form = AuditForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            audit = audit_create(actor=request.user, **form.service_fields())
        except ValidationFailed as exc:
            _show_service_errors(form, exc.errors)
        else:
            messages.success(request, _("Audit “%(title)s” created. Share the links below.")
                             % {"title": audit.title})
            return redirect("audit-links", slug=audit.slug)
    return render(request, "surveys/audit_form.html", {"form": form, "audit": None})


@role_required("manager", "staff")
@require_http_methods(["GET", "POST"])
def audit_edit_view(request: HttpRequest, slug: str) -> HttpResponse:
    audit = audit_managed_or_denied(request.user, slug)
    # The form gets its own copy: ModelForm validation writes the posted values into
    # its instance, and audit_update must compare them with the stored ones.
    form = AuditForm(request.POST or None, instance=Audit.objects.get(pk=audit.pk), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            audit_update(audit=audit, actor=request.user, **form.service_fields())
        except ValidationFailed as exc:
            _show_service_errors(form, exc.errors)
        else:
            messages.success(request, _("Audit “%(title)s” saved.") % {"title": audit.title})
            return redirect("audit-links", slug=audit.slug)
    n_responses = audit.response_count
    return render(request, "surveys/audit_form.html",
                  {"form": form, "audit": audit, "n_responses": n_responses})


@role_required("manager")
@require_GET
def audit_links(request: HttpRequest, slug: str) -> HttpResponse:
    """Each unit's signed survey link, its QR code, and the buttons to withdraw or reissue it
    (for a manager: the units of the audit whose figures they may see)."""
    audit = audit_for_or_404(request.user, slug, "manager")
    visible = visible_unit_codes(request.user, audit, "manager")
    unit_ids = [uid for code, uid in audit_unit_ids(audit=audit).items() if code in visible]
    units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids)}
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
    can_manage = is_admin(request.user) or audit_fully_in_scope(request.user, audit, "manager")
    return render(request, "surveys/audit_links.html", {"audit": audit, "rows": rows, "can_manage": can_manage})


def _audit_unit(user: Any, slug: str, unit_code: str) -> tuple[Audit, Unit]:
    """The audit and one of the units that answer it, both within the user's manager scope, or 404."""
    audit = audit_for_or_404(user, slug, "manager")
    unit_id = audit_unit_ids(audit=audit).get(unit_code)
    if unit_id is None or unit_code not in visible_unit_codes(user, audit, "manager"):
        raise Http404("No such unit in this audit.")
    return audit, Unit.objects.get(pk=unit_id)


@role_required("manager")
@require_POST
def audit_link_revoke(request: HttpRequest, slug: str, unit_code: str) -> HttpResponse:
    audit, unit = _audit_unit(request.user, slug, unit_code)
    if link_revoke(audit=audit, unit=unit):
        messages.success(request, _("The survey link of %(unit)s is withdrawn: it now shows a “link withdrawn” "
                                    "page. Issue a new link to collect answers again.") % {"unit": unit.name})
    return redirect("audit-links", slug=audit.slug)


@role_required("manager")
@require_POST
def audit_link_reissue(request: HttpRequest, slug: str, unit_code: str) -> HttpResponse:
    audit, unit = _audit_unit(request.user, slug, unit_code)
    link_reissue(audit=audit, unit=unit)
    messages.success(request, _("A new survey link for %(unit)s is ready; the previous link no longer works.")
                     % {"unit": unit.name})
    return redirect("audit-links", slug=audit.slug)


@role_required("manager")
@require_GET
def audit_link_qr(request: HttpRequest, slug: str, unit_code: str, fmt: str) -> HttpResponse:
    """The QR code of a unit's current link, as a PNG or SVG file to print."""
    audit, unit = _audit_unit(request.user, slug, unit_code)
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
