"""The manager survey (gap 1) and the management-beliefs comparison page."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import (
    audit_for_or_404,
    audit_fully_in_scope,
    result_unit_for,
    role_required,
    scope_unit_ids,
    top_visible_unit_code,
    visible_unit_codes,
)
from accounts.models import Role
from analytics.dashboard import instrument_labels, num, p_text, unit_label
from provider.beliefs import beliefs_overview, manager_answer_set_get, manager_answers_submit
from provider.beliefs_charts import CUSTOMERS_COLOUR, MANAGERS_COLOUR, grouped_bars
from provider.forms import ManagerSurveyForm
from surveys.models import Audit, Unit
from surveys.selectors import audit_scope_units, audit_unit_ids, tree_order
from surveys.services import ValidationFailed


def manager_units(audit: Audit, user: Any = None) -> list[tuple[Unit, int]]:
    """The units a manager may answer for, in tree order: the audit's units and their
    descendants that lie in the user's manager scope (all of them for admins)."""
    ids = set(audit_unit_ids(audit=audit).values())
    scope = scope_unit_ids(user, Role.MANAGER) if user is not None else None
    if scope is not None:
        ids &= scope
    return tree_order({u.pk: u for u in Unit.objects.filter(pk__in=ids)})


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def manager_survey(request: HttpRequest, slug: str) -> HttpResponse:
    audit = audit_for_or_404(request.user, slug, Role.MANAGER)
    units = manager_units(audit, request.user)
    stored = manager_answer_set_get(audit=audit, manager=request.user)
    initial = ManagerSurveyForm.initial_from(stored)
    status = 200
    form = ManagerSurveyForm(request.POST if request.method == "POST" and audit.is_open else None,
                             audit=audit, units=units, initial=initial)
    if request.method == "POST":
        if not audit.is_open:
            status = 409  # closed: the stored answers stand
        elif form.is_valid():
            try:
                _answer_set, created = manager_answers_submit(
                    audit=audit, manager=request.user, unit=form.cleaned_data["unit"],
                    answers=form.answers(), importance=form.importance(),
                )
            except ValidationFailed as exc:
                if "audit" in exc.errors:  # closed while the manager was answering
                    audit.refresh_from_db()
                    stored = manager_answer_set_get(audit=audit, manager=request.user)
                    form = ManagerSurveyForm(audit=audit, units=units, initial=ManagerSurveyForm.initial_from(stored))
                    status = 409
                else:
                    form.add_service_errors(exc.errors)
            else:
                messages.success(request, _("Your answers are saved.") if created
                                 else _("Your answers are updated."))
                return redirect("manager-survey", slug=audit.slug)
    context = {
        "audit": audit, "form": form, "stored": stored, "read_only": not audit.is_open,
        "refused": status == 409, "active_tab": "manager-survey",
        "n_items": sum(len(d["items"]) for d in audit.instrument_snapshot["dimensions"]),
    }
    return render(request, "provider/manager_survey.html", context, status=status)


def _figure(fig) -> dict[str, Any]:
    return json.loads(fig.to_json())


def _belief_charts(audit: Audit, overview: dict[str, Any], dims: dict[str, str],
                   items: dict[str, str]) -> list[dict[str, Any]]:
    charts = []
    codes = list(overview["items"])
    mean_m = [overview["items"][c].get("mean_m") for c in codes]
    mean_e = [overview["items"][c].get("mean_e") for c in codes]
    if any(v is not None for v in mean_m):
        fig = grouped_bars(
            codes, [items.get(c, c) for c in codes],
            [(_("Managers believe"), mean_m, MANAGERS_COLOUR), (_("Customers expect"), mean_e, CUSTOMERS_COLOUR)],
            {"title": _("What customers expect: managers' belief and customers' answers"),
             "axis": _("Mean level")}, y_max=audit.scale,
        )
        charts.append({"id": "chart-beliefs-items", "key": "beliefs-items", "figure": _figure(fig)})
    rows = overview["dimensions"]
    if any(r["managers"] is not None for r in rows):
        fig = grouped_bars(
            [dims.get(r["code"], r["code"]) for r in rows], [r["code"] for r in rows],
            [(_("Managers think"), [r["managers"] for r in rows], MANAGERS_COLOUR),
             (_("Customers say"), [r["customers"] for r in rows], CUSTOMERS_COLOUR)],
            {"title": _("Importance points by dimension"), "axis": _("Mean points (of 100)")},
            y_max=100,
        )
        charts.append({"id": "chart-beliefs-importance", "key": "beliefs-importance", "figure": _figure(fig)})
    for chart in charts:
        chart["data_id"] = f"{chart['id']}-data"
    return charts


@role_required(Role.MANAGER)
@require_GET
def beliefs(request: HttpRequest, slug: str) -> HttpResponse:
    audit = audit_for_or_404(request.user, slug, Role.MANAGER)
    try:
        # A unit of the audit outside the manager's scope is a 404, like a missing one.
        unit_code = result_unit_for(request.user, audit, request.GET.get("unit"), Role.MANAGER)
    except PermissionDenied:
        # Not the whole audit in scope: the manager's highest visible unit instead.
        top = top_visible_unit_code(request.user, audit, Role.MANAGER)
        if top is None:
            raise Http404("No unit of this audit is in your scope.") from None
        return redirect(f"{request.path}?{urlencode({'unit': top})}")
    units, _covers = audit_scope_units(audit=audit)
    visible = visible_unit_codes(request.user, audit, Role.MANAGER)
    tree = tree_order({uid: u for uid, u in units.items() if u.code in visible})
    selected = next((u for u, _depth in tree if u.code == unit_code), None)
    context: dict[str, Any] = {
        "audit": audit, "active_tab": "beliefs", "unit_code": unit_code, "selected_unit": selected,
        "unit_options": [{"code": u.code, "label": "\u00a0\u00a0\u00a0" * d + unit_label(u)} for u, d in tree],
        "audit_level": audit_fully_in_scope(request.user, audit, Role.MANAGER),
    }
    if unit_code and selected is None:
        context["error"] = _('There is no unit "%(code)s" in this audit. Pick one from the list.') % {
            "code": unit_code[:40]}
        return render(request, "provider/beliefs.html", context, status=400)
    overview = beliefs_overview(audit=audit, unit=selected)
    dims, items = instrument_labels(audit.instrument_snapshot, get_language() or "en")
    sections = []
    for dimension in audit.instrument_snapshot.get("dimensions", []):
        rows = []
        for item in dimension.get("items", []):
            row = overview["items"].get(item["code"], {})
            gap = row.get("gap")
            rows.append({
                "code": item["code"], "text": items[item["code"]],
                "mean_m": num(row.get("mean_m")), "mean_e": num(row.get("mean_e")),
                "gap": num(gap), "negative": gap is not None and gap < 0, "positive": gap is not None and gap > 0,
                "n_managers": row.get("n_managers") or 0, "n_customers": row.get("n_customers") or 0,
                "p_value": p_text(row.get("p_value")),
            })
        sections.append({"code": dimension["code"], "name": dims[dimension["code"]], "rows": rows})
    importance_rows = [
        {"code": r["code"], "name": dims.get(r["code"], r["code"]), "managers": num(r["managers"], 1),
         "customers": num(r["customers"], 1), "difference": num(r["difference"], 1),
         "negative": (r["difference"] or 0) < 0}
        for r in overview["dimensions"]
    ]
    result = overview["result"]
    charts = _belief_charts(audit, overview, dims, items)
    context.update(
        overview=overview, sections=sections, importance_rows=importance_rows, result=result,
        overall=num(overview["overall"]), charts=charts,
        chart_items=next((c for c in charts if c["key"] == "beliefs-items"), None),
        chart_importance=next((c for c in charts if c["key"] == "beliefs-importance"), None),
        any_customer_importance=any(r["customers"] is not None for r in overview["dimensions"]),
    )
    return render(request, "provider/beliefs.html", context)
