"""The promise register (gap 4): promises with their delivery evidence, add, edit and delete.

Admins and managers read the register (a manager sees the chain-wide promises and those of
the units in their scope, with evidence counted over their scope when the audit is not
wholly theirs); only admins record, edit and delete promises.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import audit_for_or_404, audit_fully_in_scope, is_admin, role_required, scope_unit_ids
from accounts.models import Role
from analytics.dashboard import instrument_labels, num
from provider.forms import PromiseForm, add_service_errors
from provider.models import Promise
from provider.promises import promise_create, promise_delete, promise_register, promise_update
from provider.standards import scope_unit_choices
from surveys.services import ValidationFailed


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def promises(request: HttpRequest, slug: str) -> HttpResponse:
    can_edit = is_admin(request.user)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("Only an admin can record or change promises."))
    audit = audit_for_or_404(request.user, slug, Role.MANAGER)
    form = PromiseForm(request.POST or None, audit=audit, units=scope_unit_choices(audit=audit)) if can_edit else None
    if request.method == "POST" and form.is_valid():
        try:
            promise = promise_create(audit=audit, actor=request.user, **form.service_fields())
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, _("Promise on %(item)s recorded.") % {"item": promise.item_code})
            return redirect("audit-promises", slug=audit.slug)
    _dims, items = instrument_labels(audit.instrument_snapshot, get_language() or "en")
    scope = scope_unit_ids(request.user, Role.MANAGER)
    rows = []
    for row in promise_register(
        audit=audit, unit_ids=scope,
        evidence_unit_ids=None if audit_fully_in_scope(request.user, audit, Role.MANAGER) else scope,
    ):
        evidence = row.evidence
        rows.append({
            "promise": row.promise, "evidence": evidence, "status": evidence.status, "in_period": row.in_period,
            "item_text": items.get(row.promise.item_code, row.promise.item_code),
            "mean_d": num(evidence.mean_d), "shortfall": num(evidence.shortfall),
        })
    counts = {status: sum(1 for r in rows if r["status"] == status) for status in ("unmet", "no_evidence", "met")}
    return render(request, "provider/promises.html", {
        "audit": audit, "form": form, "rows": rows, "counts": counts, "active_tab": "promises",
        "can_edit": can_edit, "form_open": can_edit and (request.method == "POST" or not rows),
        "scoped_evidence": scope is not None and not audit_fully_in_scope(request.user, audit, Role.MANAGER),
    })


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def promise_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    audit = audit_for_or_404(request.user, slug, Role.ADMIN)
    promise = get_object_or_404(Promise.objects.select_related("unit"), pk=pk, audit=audit)
    form = PromiseForm(request.POST or None, audit=audit, units=scope_unit_choices(audit=audit),
                       initial=PromiseForm.initial_from(promise))
    if request.method == "POST" and form.is_valid():
        try:
            promise_update(promise=promise, actor=request.user, **form.service_fields())
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, _("Promise on %(item)s saved.") % {"item": promise.item_code})
            return redirect("audit-promises", slug=audit.slug)
    return render(request, "provider/promise_edit.html",
                  {"audit": audit, "form": form, "promise": promise, "active_tab": "promises"})


@role_required(Role.ADMIN)
@require_POST
def promise_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    audit = audit_for_or_404(request.user, slug, Role.ADMIN)
    promise = get_object_or_404(Promise.objects.select_related("unit"), pk=pk, audit=audit)
    item_code = promise.item_code
    promise_delete(promise=promise, actor=request.user)
    messages.success(request, _("Promise on %(item)s deleted.") % {"item": item_code})
    return redirect("audit-promises", slug=audit.slug)
