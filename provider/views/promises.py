"""The promise register (gap 4): promises with their delivery evidence, add, edit and delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from analytics.dashboard import instrument_labels, num
from provider.forms import PromiseForm, add_service_errors
from provider.models import Promise
from provider.promises import promise_create, promise_delete, promise_register, promise_update
from provider.standards import scope_unit_choices
from surveys.models import Audit
from surveys.services import ValidationFailed


@login_required
@require_http_methods(["GET", "POST"])
def promises(request: HttpRequest, slug: str) -> HttpResponse:
    audit = get_object_or_404(Audit, slug=slug)
    form = PromiseForm(request.POST or None, audit=audit, units=scope_unit_choices(audit=audit))
    if request.method == "POST" and form.is_valid():
        try:
            promise = promise_create(audit=audit, **form.service_fields())
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, _("Promise on %(item)s recorded.") % {"item": promise.item_code})
            return redirect("audit-promises", slug=audit.slug)
    _dims, items = instrument_labels(audit.instrument_snapshot, get_language() or "en")
    rows = []
    for row in promise_register(audit=audit):
        evidence = row.evidence
        rows.append({
            "promise": row.promise, "evidence": evidence, "status": evidence.status, "in_period": row.in_period,
            "item_text": items.get(row.promise.item_code, row.promise.item_code),
            "mean_d": num(evidence.mean_d), "shortfall": num(evidence.shortfall),
        })
    counts = {status: sum(1 for r in rows if r["status"] == status) for status in ("unmet", "no_evidence", "met")}
    return render(request, "provider/promises.html", {
        "audit": audit, "form": form, "rows": rows, "counts": counts, "active_tab": "promises",
        "form_open": request.method == "POST" or not rows,
    })


@login_required
@require_http_methods(["GET", "POST"])
def promise_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    audit = get_object_or_404(Audit, slug=slug)
    promise = get_object_or_404(Promise.objects.select_related("unit"), pk=pk, audit=audit)
    form = PromiseForm(request.POST or None, audit=audit, units=scope_unit_choices(audit=audit),
                       initial=PromiseForm.initial_from(promise))
    if request.method == "POST" and form.is_valid():
        try:
            promise_update(promise=promise, **form.service_fields())
        except ValidationFailed as exc:
            add_service_errors(form, exc.errors)
        else:
            messages.success(request, _("Promise on %(item)s saved.") % {"item": promise.item_code})
            return redirect("audit-promises", slug=audit.slug)
    return render(request, "provider/promise_edit.html",
                  {"audit": audit, "form": form, "promise": promise, "active_tab": "promises"})


@login_required
@require_POST
def promise_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    audit = get_object_or_404(Audit, slug=slug)
    promise = get_object_or_404(Promise, pk=pk, audit=audit)
    item_code = promise.item_code
    promise_delete(promise=promise)
    messages.success(request, _("Promise on %(item)s deleted.") % {"item": item_code})
    return redirect("audit-promises", slug=audit.slug)
