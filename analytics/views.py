"""The audit dashboard and the five-gap pages: check the user's scope, validate the unit
filter, read the stored result, render.

Admins and managers only. A manager sees the units of the audit whose figures lie wholly
in their scope (accounts.access.visible_unit_codes); the audit level (no ?unit=) only
when the whole audit does, else the page shows their highest visible unit instead.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.access import (
    audit_for_or_404,
    audit_fully_in_scope,
    result_unit_for,
    role_required,
    scope_unit_ids,
    top_visible_unit_code,
)
from analytics import five_gaps
from analytics.dashboard import (
    ALPHA_FLOOR,
    dashboard_charts,
    headline,
    instrument_labels,
    table_rows,
    unit_label,
)
from analytics.selectors import UnitNotInAudit, audit_gaps, unit_results
from surveys.models import Audit, Unit
from surveys.selectors import audit_scope_units, tree_order

TASK_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
CACHE_SECONDS = 24 * 3600
FIVE_GAP_FIGURES = "v1"  # bump when the five-gap figures change shape, so cached ones are rebuilt


# ------------------------------------------------------------------ shared
class ShowUnit(Exception):
    """The page would show the audit level to a manager who may see only some of its units."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def results_audit(request: HttpRequest, slug: str) -> tuple[Audit, str | None]:
    """The audit (404 outside the user's manager scope) and the unit code to show (None:
    the audit level). Raises Http404 for an audit unit outside the scope, and ShowUnit
    (a redirect to the highest unit the user may see) in place of a forbidden audit level."""
    audit = audit_for_or_404(request.user, slug, "manager")
    try:
        unit_code = result_unit_for(request.user, audit, request.GET.get("unit"))
    except PermissionDenied:
        query = request.GET.copy()
        query["unit"] = top_visible_unit_code(request.user, audit)
        raise ShowUnit(redirect(f"{request.path}?{query.urlencode()}")) from None
    return audit, unit_code


def results_page(view):
    """A results page: admins and managers (role_required), with the ShowUnit redirect."""
    @role_required("manager")
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ShowUnit as show:
            return show.response
    return wrapped


def scope_context(request: HttpRequest, audit: Audit, unit_code: str | None
                  ) -> tuple[dict[str, Any], list[tuple[Unit, int]], dict]:
    """The page context every audit results page shares (unit picker, status, recompute),
    the audit's units in tree order, and the ids each unit's figures cover. The picker
    offers the units the user may see, and "All units" only to those who may see them all."""
    units, covers = audit_scope_units(audit=audit)
    tree = tree_order(units)
    scope = scope_unit_ids(request.user, "manager")  # as visible_unit_codes, without reading the tree again
    picker = [(u, d) for u, d in tree if scope is None or scope.issuperset(covers[u.pk])]
    selected = next((u for u, _depth in picker if u.code == unit_code), None)
    context: dict[str, Any] = {
        "audit": audit,
        "unit_options": [{"code": u.code, "label": "\u00a0\u00a0\u00a0" * d + unit_label(u)} for u, d in picker],
        "show_all_units": audit_fully_in_scope(request.user, audit, "manager"),
        "unit_code": unit_code,
        "unit_query": f"?{urlencode({'unit': unit_code})}" if unit_code else "",
        "selected_unit": selected,
        "status_labels": {"fresh": _("fresh"), "stale": _("stale"), "computing": _("computing")},
        "task_url_template": reverse("api-task", kwargs={"task_id": TASK_PLACEHOLDER}),
        "task_placeholder": TASK_PLACEHOLDER,
    }
    if unit_code and selected is None:
        context["error"] = _('There is no unit "%(code)s" in this audit. Pick one from the list.') % {
            "code": unit_code}
    return context, tree, covers


def read_result(context: dict[str, Any]) -> dict[str, Any] | None:
    """The stored result of the context's scope, or None with context["error"] set."""
    if context.get("error"):
        return None
    try:
        result = audit_gaps(audit=context["audit"], unit_code=context["unit_code"])
    except UnitNotInAudit as exc:
        context["error"] = str(exc)
        return None
    context["result"] = result
    context["computed_at"] = dt.datetime.fromisoformat(result["computed_at"]) if result["computed_at"] else None
    return result


def figure_key(kind: str, context: dict[str, Any], language: str) -> str:
    """A cache key per figure, scope, language and stored result."""
    return (f"{kind}:{FIVE_GAP_FIGURES}:{context['audit'].pk}:{context['unit_code'] or ''}:{language}:"
            f"{context['result']['computed_at']}")


def cached(key: str, build):
    """Figures change only with a recompute: build them once per result, scope and language."""
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=CACHE_SECONDS)
    return value


# ------------------------------------------------------------------ dashboard
@results_page
def audit_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    audit, unit_code = results_audit(request, slug)
    context, tree, covers = scope_context(request, audit, unit_code)
    result = read_result(context)
    if result is None:
        return render(request, "analytics/dashboard.html", context, status=400)
    gap5 = result.get("gap5")
    if not result["computed_at"] or not result["n_responses"]:
        return render(request, "analytics/dashboard.html", context)

    language = get_language() or "en"
    snapshot = audit.instrument_snapshot
    dims, items = instrument_labels(snapshot, language)
    unit_code, selected = context["unit_code"], context["selected_unit"]

    def build_panels():
        in_view = set(covers[selected.pk]) if selected else {u.pk for u, _d in tree}
        stored = unit_results(audit=audit)
        heat_rows = [
            ("· " * d + u.code, unit_label(u), ((stored.get(u.code) or {}).get("gap5") or {}).get("dimensions"))
            for u, d in tree if u.pk in in_view
        ]
        return dashboard_charts(audit=audit, result=result, dims=dims, items=items, heat_rows=heat_rows)

    panels = cached(f"dashboard-panels:{audit.pk}:{unit_code or ''}:{language}:{result['computed_at']}",
                    build_panels)
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


# ------------------------------------------------------------------ five gaps
def _gap_urls(audit: Audit, unit_query: str):
    def url_for(n: int) -> str:
        return reverse("audit-gap-detail", kwargs={"slug": audit.slug, "n": n}) + unit_query
    return url_for


@results_page
def audit_five_gaps(request: HttpRequest, slug: str) -> HttpResponse:
    """The gaps model with each gap's overall value, and the item × gap matrix."""
    audit, unit_code = results_audit(request, slug)
    context, _tree, _covers = scope_context(request, audit, unit_code)
    context["gap_tabs"] = [{"n": n, "title": five_gaps.gap_title(n)} for n in five_gaps.GAP_NUMBERS]
    result = read_result(context)
    if result is None:
        return render(request, "analytics/five_gaps.html", context, status=400)
    language = get_language() or "en"
    snapshot = audit.instrument_snapshot
    dims, items = instrument_labels(snapshot, language)
    url_for = _gap_urls(audit, context["unit_query"])
    cards = five_gaps.gap_cards(result, url_for)
    figure = cached(
        figure_key("five-gaps-matrix", context, language),
        lambda: five_gaps.matrix_figure(result, snapshot, items),
    )
    context.update(
        cards=cards,
        diagram=five_gaps.diagram(cards),
        severity_labels=five_gaps.severity_labels(),
        matrix_figure=figure,
        matrix_rows=five_gaps.matrix_rows(result, snapshot, dims, items),
        matrix_links=[url_for(n) for n in five_gaps.GAP_NUMBERS],
    )
    return render(request, "analytics/five_gaps.html", context)


@results_page
def audit_gap_detail(request: HttpRequest, slug: str, n: int) -> HttpResponse:
    """One gap: overall and per-dimension values, item bars worst first, every item figure."""
    if n not in five_gaps.GAP_NUMBERS:
        raise Http404("There are five gaps.")
    audit, unit_code = results_audit(request, slug)
    context, _tree, _covers = scope_context(request, audit, unit_code)
    context["gap_tabs"] = [{"n": g, "title": five_gaps.gap_title(g)} for g in five_gaps.GAP_NUMBERS]
    info = five_gaps.gap_info()[n]
    context.update(gap_n=n, gap_title=five_gaps.gap_title(n), gap=info)
    result = read_result(context)
    if result is None:
        return render(request, "analytics/gap_detail.html", context, status=400)
    language = get_language() or "en"
    snapshot = audit.instrument_snapshot
    dims, items = instrument_labels(snapshot, language)
    figure = cached(
        figure_key(f"gap-detail-{n}", context, language),
        lambda: five_gaps.detail_figure(n, result, items) or {},
    )
    rows = five_gaps.detail_rows(n, result, snapshot, dims, items)
    context.update(
        overall=five_gaps.badge(five_gaps.overall_gap(result, n)),
        overall_row=five_gaps.gap_block(result, n)["overall"],
        dimension_badges=five_gaps.dimension_badges(n, result, snapshot, dims),
        chart_figure=figure or None,
        columns=five_gaps.detail_columns(n),
        rows=rows,
        missing=five_gaps.missing_items(n, result, items),
        any_low_sample=any(r["low_sample"] for r in rows),
        has_ci=n != 2,
    )
    return render(request, "analytics/gap_detail.html", context)
