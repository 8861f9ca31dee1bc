"""The audit dashboard page: validate the unit filter, read the stored result, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from analytics.dashboard import (
    ALPHA_FLOOR,
    dashboard_charts,
    headline,
    instrument_labels,
    table_rows,
    unit_label,
)
from analytics.selectors import UnitNotInAudit, audit_gaps, unit_results
from surveys.models import Audit
from surveys.selectors import audit_scope_units, tree_order

TASK_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


# ------------------------------------------------------------------ view
def audit_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    audit = get_object_or_404(Audit, slug=slug)
    units, covers = audit_scope_units(audit=audit)
    tree = tree_order(units)
    unit_code = request.GET.get("unit") or None
    selected = next((u for u, _depth in tree if u.code == unit_code), None)
    context: dict[str, Any] = {
        "audit": audit,
        "unit_options": [{"code": u.code, "label": "\u00a0\u00a0\u00a0" * d + unit_label(u)} for u, d in tree],
        "unit_code": unit_code,
        "selected_unit": selected,
        "status_labels": {"fresh": _("fresh"), "stale": _("stale"), "computing": _("computing")},
        "task_url_template": reverse("api-task", kwargs={"task_id": TASK_PLACEHOLDER}),
        "task_placeholder": TASK_PLACEHOLDER,
    }
    if unit_code and selected is None:
        context["error"] = _('There is no unit "%(code)s" in this audit. Pick one from the list.') % {
            "code": unit_code}
        return render(request, "analytics/dashboard.html", context, status=400)
    try:
        result = audit_gaps(audit=audit, unit_code=unit_code)
    except UnitNotInAudit as exc:
        context["error"] = str(exc)
        return render(request, "analytics/dashboard.html", context, status=400)
    context["result"] = result
    context["computed_at"] = dt.datetime.fromisoformat(result["computed_at"]) if result["computed_at"] else None
    gap5 = result.get("gap5")
    if not result["computed_at"] or not result["n_responses"]:
        return render(request, "analytics/dashboard.html", context)

    language = get_language() or "en"
    snapshot = audit.instrument_snapshot
    dims, items = instrument_labels(snapshot, language)
    # Figures change only with a recompute: build them once per result and language.
    cache_key = f"dashboard-panels:{audit.pk}:{unit_code or ''}:{language}:{result['computed_at']}"
    panels = cache.get(cache_key)
    if panels is None:
        in_view = set(covers[selected.pk]) if selected else set(units)
        stored = unit_results(audit=audit)
        heat_rows = [
            ("· " * d + u.code, unit_label(u), ((stored.get(u.code) or {}).get("gap5") or {}).get("dimensions"))
            for u, d in tree if u.pk in in_view
        ]
        panels = dashboard_charts(audit=audit, result=result, dims=dims, items=items, heat_rows=heat_rows)
        cache.set(cache_key, panels, timeout=24 * 3600)
    context.update(
        panels=panels,
        overall=headline(gap5.get("overall")),
        weighted=headline(gap5.get("weighted_overall")),
        rows=table_rows(gap5, dims, items, snapshot),
        alpha_floor=ALPHA_FLOOR,
    )
    context["any_alpha_flag"] = any(c["flag"] for r in context["rows"] for c in r["cells"])
    context["any_low_sample"] = any(r["low_sample"] for r in context["rows"])
    return render(request, "analytics/dashboard.html", context)
