"""Delivery evidence pages (gap 3): the frontline self-assessment, inspections with a
scorecard, the evidence list and the scorecard templates.

Staff (and admins) submit self-assessments and inspections for the units in their staff
scope. The evidence list shows staff only what they submitted; managers also see the
evidence of the units in their scope; admins everything. An inspection's page is shown to
its inspector, a manager whose scope covers its unit and admins; to anyone else it is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import audit_for_or_404, audits_for, is_admin, role_required, scope_unit_ids
from accounts.models import Role
from provider.delivery import (
    evidence_objects,
    evidence_page_rows,
    evidence_reach,
    inspection_submit,
    inspection_visible,
    scorecard_templates,
    self_assessment_submit,
    unit_standards,
)
from provider.delivery_forms import InspectionForm, SelfAssessmentForm, unit_choices
from provider.models import Inspection, SelfAssessment
from surveys.instruments import localized
from surveys.models import Audit, Item, Unit
from surveys.selectors import audit_unit_ids
from surveys.services import ValidationFailed

EVIDENCE_PER_PAGE = 25


def _item_texts(audit: Audit) -> dict[str, str]:
    """Item code → text in the active language, in the instrument's order."""
    return {i["code"]: localized(i["text"]) for d in audit.instrument_snapshot["dimensions"] for i in d["items"]}


def _in_item_order(values: dict, texts: dict[str, str]) -> list[tuple[str, object]]:
    # JSON objects come back from PostgreSQL (jsonb) with their keys re-ordered.
    return [(code, values[code]) for code in texts if code in values]


def _audit_for_evidence(user: Any, slug: str) -> Audit:
    """The audit if the user reaches it as staff or as a manager, else 404."""
    return get_object_or_404(audits_for(user, Role.STAFF) | audits_for(user, Role.MANAGER), slug=slug)


@role_required(Role.STAFF)
@require_http_methods(["GET", "POST"])
def self_assessment(request: HttpRequest, slug: str) -> HttpResponse:
    audit = audit_for_or_404(request.user, slug, Role.STAFF)
    choices = unit_choices(audit, request.user)
    unit_code = (request.POST if request.method == "POST" else request.GET).get("unit", "")
    if not unit_code and len(choices) == 1:
        unit_code = choices[0][0]
    unit_id = audit_unit_ids(audit=audit).get(unit_code)
    out_of_scope = unit_id is not None and unit_code not in {code for code, _label in choices}
    if out_of_scope:
        if request.method == "GET":
            raise Http404("No such unit in this audit.")  # a unit outside the scope looks missing
        unit_id = None  # a posted one is refused beside the unit chooser
    form = SelfAssessmentForm(request.POST or None, audit=audit, initial={"unit": unit_code})
    if request.method == "POST" and not out_of_scope and form.is_valid():
        try:
            assessment = self_assessment_submit(audit=audit, unit=form.cleaned_data["unit"], user=request.user,
                                                scores=form.scores(), comments=form.comments())
        except ValidationFailed as exc:
            form.add_service_errors(exc.errors)
        else:
            n = sum(v is not None for v in assessment.scores.values())
            messages.success(request, ngettext(
                "Self-assessment saved: %(n)d item scored for %(unit)s.",
                "Self-assessment saved: %(n)d items scored for %(unit)s.", n,
            ) % {"n": n, "unit": assessment.unit.name})
            return redirect(reverse("delivery-evidence", args=[audit.slug]) + "?mine=1")
    context = {
        "audit": audit, "form": form, "unit_choices": choices, "unit_code": unit_code,
        "unit": Unit.objects.filter(pk=unit_id).first() if unit_id else None,
        "unknown_unit": bool(unit_code) and unit_id is None and not out_of_scope, "out_of_scope": out_of_scope,
        "sections": form.sections(unit_standards(audit=audit, unit_id=unit_id)) if unit_id else [],
    }
    return render(request, "provider/delivery_self_assessment.html", context)


@role_required(Role.STAFF)
@require_http_methods(["GET", "POST"])
def inspection_new(request: HttpRequest, slug: str) -> HttpResponse:
    audit = audit_for_or_404(request.user, slug, Role.STAFF)
    templates = list(scorecard_templates(active_only=True))
    code = (request.POST if request.method == "POST" else request.GET).get("template", "")
    template = next((t for t in templates if t.code == code), None)
    if not code and templates:
        template = templates[0]
    form = None
    if template is not None:
        form = InspectionForm(request.POST or None, audit=audit, template=template, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                inspection = inspection_submit(
                    audit=audit, unit=data["unit"], template=template, user=request.user,
                    role=data["inspector_role"], reference=data["reference"], observed_at=data["observed_at"],
                    failed_checks=data["failed"], notes=data["notes"],
                )
            except ValidationFailed as exc:
                form.add_service_errors(exc.errors)
            else:
                messages.success(request, _("Inspection saved."))
                return redirect("inspection-detail", slug=audit.slug, pk=inspection.pk)
    context = {"audit": audit, "templates": [(t, localized(t.name) or t.code) for t in templates],
               "template": template, "unknown_template": bool(code) and template is None, "form": form}
    return render(request, "provider/inspection_form.html", context)


@role_required(Role.STAFF, Role.MANAGER)
@require_GET
def inspection_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    audit = _audit_for_evidence(request.user, slug)
    inspection = get_object_or_404(Inspection.objects.select_related("unit", "template", "inspector"),
                                   audit=audit, pk=pk)
    if not inspection_visible(request.user, inspection):
        raise Http404("No such inspection.")
    texts = _item_texts(audit)
    failed = set(inspection.failed_checks)
    checks = [{**c, "text": localized(c.get("text")), "failed": c["code"] in failed,
               "counted": c["item_code"] in inspection.scores} for c in inspection.checks]
    scores = [{"code": code, "text": texts.get(code, ""), "score": score,
               "deducted": sum(c["deduction"] for c in checks if c["item_code"] == code and c["failed"]),
               "maximum": sum(c["deduction"] for c in checks if c["item_code"] == code)}
              for code, score in _in_item_order(inspection.scores, texts)]
    context = {
        "audit": audit, "inspection": inspection, "checks": checks, "scores": scores,
        "template_name": localized(inspection.template.name) or inspection.template.code,
        "deducted": sum(c["deduction"] for c in checks if c["failed"]),
        "maximum": sum(c["deduction"] for c in checks),
        "ignored": [c for c in checks if not c["counted"]],
    }
    return render(request, "provider/inspection_detail.html", context)


@role_required(Role.STAFF, Role.MANAGER)
@require_GET
def evidence_list(request: HttpRequest, slug: str) -> HttpResponse:
    audit = _audit_for_evidence(request.user, slug)
    # Staff see only what they submitted, whatever the query string says.
    can_see_all = is_admin(request.user) or bool(scope_unit_ids(request.user, Role.MANAGER))
    mine = request.GET.get("mine") == "1" or not can_see_all
    page = Paginator(evidence_page_rows(audit=audit, **evidence_reach(request.user, mine=mine)),
                     EVIDENCE_PER_PAGE).get_page(request.GET.get("page"))
    texts = _item_texts(audit)
    rows = []
    for obj in evidence_objects(page.object_list):
        if isinstance(obj, SelfAssessment):
            scored = {code: v for code, v in _in_item_order(obj.scores, texts) if v is not None}
            rows.append({"kind": "self_assessment", "obj": obj, "by": obj.submitted_by, "scores": [
                {"code": code, "text": texts.get(code, ""), "score": v, "comment": obj.comments.get(code, "")}
                for code, v in scored.items()
            ], "n": len(scored), "mean": sum(scored.values()) / len(scored) if scored else None})
        else:
            rows.append({"kind": "inspection", "obj": obj, "by": obj.inspector, "scores": [
                {"code": code, "text": texts.get(code, ""), "score": v} for code, v in _in_item_order(obj.scores, texts)
            ], "n_failed": len(obj.failed_checks), "name": localized(obj.template.name) or obj.template.code,
                "deducted": sum(c["deduction"] for c in obj.checks if c["code"] in obj.failed_checks)})
    context = {"audit": audit, "page": page, "rows": rows, "mine": mine, "can_see_all": can_see_all}
    return render(request, "provider/delivery_evidence.html", context)


@role_required(Role.STAFF, Role.MANAGER)
@require_GET
def scorecard_list(request: HttpRequest) -> HttpResponse:
    item_texts = {code: localized(text) for code, text in
                  Item.objects.filter(instrument__code="servqual").values_list("code", "text")}
    templates = []
    for template in scorecard_templates():
        checks = [{"check": c, "text": localized(c.text), "item_text": item_texts.get(c.item_code, "")}
                  for c in template.checks.all()]
        templates.append({"template": template, "name": localized(template.name) or template.code,
                          "description": localized(template.description), "checks": checks,
                          "maximum": sum(c.deduction for c in template.checks.all()),
                          "items": sorted({c.item_code for c in template.checks.all()})})
    return render(request, "provider/scorecard_list.html", {"templates": templates})
