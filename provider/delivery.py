"""Delivery evidence (gap 3, METHOD.md §6): self-assessments, inspection scorecards
and the scorecard templates they use. Writes are services (validate, write
atomically, mark the audit stale); reads follow at the end of the module."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q, QuerySet, Value
from django.utils import timezone

from accounts.access import is_admin, scope_unit_ids, unit_in_scope
from accounts.models import AuditLogEntry
from accounts.services import audit_log_record
from analytics.services import audit_data_changed
from provider.models import (
    DeliveryObservation,
    Inspection,
    QualityStandard,
    ScorecardCheck,
    ScorecardTemplate,
    SelfAssessment,
)
from provider.standards import field_changes
from surveys.layout import answer_value_error
from surveys.models import CODE_PATTERN, Audit, Unit
from surveys.selectors import audit_layout, audit_unit_ids, unit_tree
from surveys.services import ValidationFailed

MAX_COMMENT = 500
MAX_NOTES = 5000
MAX_REFERENCE = 100
MAX_CHECKS = 100
MAX_TEXT = 500
# A clock a few minutes fast (a phone, a tablet in a service hall) is not an error.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
LANGUAGE_PATTERN = r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"


def _bad_text(value: Any, limit: int) -> bool:
    """Not text, longer than the limit, or holding a NUL (PostgreSQL cannot store one)."""
    return not isinstance(value, str) or len(value) > limit or "\x00" in value


def scorecard_scores(checks: Iterable[Mapping[str, Any]], failed: Collection[str], scale: int) -> dict[str, float]:
    """One delivery observation per item evidenced by the checks (METHOD.md §6).

    For each item with checks: score = 1 + (K − 1)·(1 − deducted / maximum), where
    deducted = Σ deductions of the item's failed checks and maximum = Σ deductions of
    all its checks; K = scale. Nothing failed gives K, everything failed gives 1.
    `checks` are mappings with `code`, `item_code` and `deduction`; items come out
    in the order of their first check.
    """
    maximum: dict[str, int] = {}
    deducted: dict[str, int] = {}
    for check in checks:
        item = check["item_code"]
        maximum[item] = maximum.get(item, 0) + check["deduction"]
        deducted[item] = deducted.get(item, 0) + (check["deduction"] if check["code"] in failed else 0)
    # (K − 1)·(max − deducted) / max: one division, so that 1 + 6·5/15 is exactly 3.0.
    return {item: 1 + (scale - 1) * (top - deducted[item]) / top for item, top in maximum.items()}


def _locked_audit(audit: Audit, errors: dict[str, list[str]]) -> Audit:
    # Locked like surveys.services.response_submit: the frozen instrument and the
    # open flag cannot change while the evidence is checked against them.
    current = Audit.objects.select_for_update().get(pk=audit.pk)
    if not current.is_open:
        errors["audit"] = ["this audit is closed and accepts no more delivery evidence"]
    return current


def _unit_id(audit: Audit, unit: Unit | str | None, errors: dict[str, list[str]]) -> int | None:
    code = unit.code if isinstance(unit, Unit) else unit
    if not isinstance(code, str) or not code:
        errors["unit"] = ["a unit code is required"]
        return None
    unit_id = audit_unit_ids(audit=audit).get(code)
    if unit_id is None:
        errors["unit"] = [f'unknown unit "{code}" for this audit']
    return unit_id


def _validate_scores(scores: Any, items: Collection[str], scale: int, errors: dict[str, list[str]]) -> dict:
    if not isinstance(scores, dict):
        errors["scores"] = ["must be an object of scores keyed by item code"]
        return {}
    for code, value in scores.items():
        if code not in items:
            errors[f"scores.{code}"] = [f'unknown item "{code}"']
        elif message := answer_value_error(value, scale):
            errors[f"scores.{code}"] = [message.replace("no opinion", "not assessed")]
    if not any(v is not None for v in scores.values()) and "scores" not in errors:
        errors["scores"] = ["give at least one score"]
    return scores


def _validate_comments(comments: Any, items: Collection[str], errors: dict[str, list[str]]) -> dict[str, str]:
    if comments is None:
        return {}
    if not isinstance(comments, dict):
        errors["comments"] = ["must be an object of comments keyed by item code"]
        return {}
    for code, text in comments.items():
        if code not in items:
            errors[f"comments.{code}"] = [f'unknown item "{code}"']
        elif _bad_text(text, MAX_COMMENT):
            errors[f"comments.{code}"] = [f"must be text of at most {MAX_COMMENT} characters"]
    return {code: text.strip() for code, text in comments.items() if isinstance(text, str) and text.strip()}


def self_assessment_submit(
    *,
    audit: Audit,
    unit: Unit | str,
    user: Any = None,
    scores: Any,
    comments: Any = None,
) -> SelfAssessment:
    """Store one frontline self-assessment: per item a score 1..K or null (not
    assessed), one delivery observation per score. Raises ValidationFailed and
    writes nothing on bad input."""
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        current = _locked_audit(audit, errors)
        items = audit_layout(audit=current).item_codes
        unit_id = _unit_id(current, unit, errors)
        scores = _validate_scores(scores, items, current.scale, errors)
        comments = _validate_comments(comments, items, errors)
        if errors:
            raise ValidationFailed(errors)
        # Stored in the instrument's item order, whatever order they came in.
        ordered = {code: scores[code] for code in items if code in scores}
        assessment = SelfAssessment.objects.create(
            audit=current, unit_id=unit_id, submitted_by=user if _is_user(user) else None,
            scores=ordered, comments={code: comments[code] for code in items if code in comments},
        )
        DeliveryObservation.objects.bulk_create(
            DeliveryObservation(
                audit=current, unit_id=unit_id, item_code=code, value=float(value),
                source=DeliveryObservation.Source.SELF_ASSESSMENT, self_assessment=assessment,
            )
            for code, value in ordered.items() if value is not None
        )
        audit_data_changed(audit_id=current.pk)
    return assessment


def _is_user(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def _template(template: ScorecardTemplate | str | None, errors: dict[str, list[str]]) -> ScorecardTemplate | None:
    code = template.code if isinstance(template, ScorecardTemplate) else template
    if not isinstance(code, str) or not re.fullmatch(CODE_PATTERN, code):
        errors["template"] = ["a scorecard template code is required"]
        return None
    # Locked so that the checks frozen below are those of one version of the template.
    found = ScorecardTemplate.objects.select_for_update().filter(code=code).first()
    if found is None:
        errors["template"] = [f'unknown scorecard template "{code}"']
    elif not found.is_active:
        errors["template"] = [f'the scorecard template "{code}" is inactive']
    return found


def _validate_inspection_fields(
    *, role: Any, reference: Any, observed_at: Any, notes: Any, errors: dict[str, list[str]]
) -> None:
    if role not in Inspection.Role.values:
        errors["inspector_role"] = ["choose one of: " + ", ".join(Inspection.Role.values)]
    if _bad_text(reference, MAX_REFERENCE):
        errors["reference"] = [f"must be text of at most {MAX_REFERENCE} characters"]
    if _bad_text(notes, MAX_NOTES):
        errors["notes"] = [f"must be text of at most {MAX_NOTES} characters"]
    if not isinstance(observed_at, dt.datetime) or timezone.is_naive(observed_at):
        errors["observed_at"] = ["must be a date and time with a time zone"]
    elif observed_at > timezone.now() + FUTURE_TOLERANCE:
        errors["observed_at"] = ["cannot be in the future"]


def inspection_submit(
    *,
    audit: Audit,
    unit: Unit | str,
    template: ScorecardTemplate | str,
    user: Any = None,
    role: str = Inspection.Role.SUPERVISOR,
    reference: str = "",
    observed_at: dt.datetime | None = None,
    failed_checks: Any = (),
    notes: str = "",
) -> Inspection:
    """Store one inspection: freeze the template's checks, convert the failed checks
    to one score per item of the audit's instrument (scorecard_scores) and write one
    delivery observation per item. Checks of items outside the audit are ignored.
    Raises ValidationFailed and writes nothing on bad input."""
    errors: dict[str, list[str]] = {}
    observed_at = timezone.now() if observed_at is None else observed_at
    with transaction.atomic():
        current = _locked_audit(audit, errors)
        unit_id = _unit_id(current, unit, errors)
        found = _template(template, errors)
        _validate_inspection_fields(role=role, reference=reference, observed_at=observed_at, notes=notes,
                                    errors=errors)
        if isinstance(failed_checks, str) or not isinstance(failed_checks, list | tuple | set | frozenset):
            errors["failed_checks"] = ["must be a list of check codes"]
            failed_checks = []
        checks = [
            {"code": c.code, "text": c.text, "item_code": c.item_code, "deduction": c.deduction}
            for c in (found.checks.order_by("position", "id") if found is not None else [])
        ]
        known = {c["code"] for c in checks}
        unknown = [str(code) for code in failed_checks if not isinstance(code, str) or code not in known]
        if found is not None and unknown:
            errors["failed_checks"] = [f'unknown check "{code}" in template "{found.code}"' for code in unknown]
        items = set(audit_layout(audit=current).item_codes)
        evidencing = [c for c in checks if c["item_code"] in items]
        if found is not None and not checks:
            errors["template"] = [f'the scorecard template "{found.code}" has no checks']
        elif found is not None and not evidencing:
            errors["template"] = [f'none of the checks of "{found.code}" evidences an item of this audit']
        if errors:
            raise ValidationFailed(errors)
        failed = [c["code"] for c in checks if c["code"] in set(failed_checks)]  # template order, no repeats
        scores = scorecard_scores(evidencing, failed, current.scale)
        inspection = Inspection.objects.create(
            audit=current, unit_id=unit_id, template=found, inspector=user if _is_user(user) else None,
            inspector_role=role, reference=reference.strip(), observed_at=observed_at,
            failed_checks=failed, checks=checks, scores=scores, notes=notes.strip(),
        )
        DeliveryObservation.objects.bulk_create(
            DeliveryObservation(
                audit=current, unit_id=unit_id, item_code=code, value=value,
                source=DeliveryObservation.Source.INSPECTION, inspection=inspection,
            )
            for code, value in scores.items()
        )
        audit_data_changed(audit_id=current.pk)
    return inspection


# ---------------------------------------------------------------- scorecard templates


def _texts_errors(texts: Any, path: str, errors: dict[str, list[str]], *, required: bool = True) -> None:
    if not isinstance(texts, dict) or (required and not any(isinstance(t, str) and t.strip()
                                                            for t in texts.values())):
        errors[path] = ["must be an object of texts keyed by language code, with at least one text"]
        return
    for language, text in texts.items():
        if not re.fullmatch(LANGUAGE_PATTERN, language):
            errors[f"{path}.{language}"] = [f'"{language}" is not a language code']
        elif _bad_text(text, MAX_TEXT):
            errors[f"{path}.{language}"] = [f"must be text of at most {MAX_TEXT} characters"]


def scorecard_checks_validate(checks: Any) -> dict[str, list[str]]:
    """[{code, text: {lang: str}, item, deduction}]: 1..100 checks, unique codes,
    well-formed item codes, deductions 1..100."""
    errors: dict[str, list[str]] = {}
    if not isinstance(checks, list) or not 1 <= len(checks) <= MAX_CHECKS:
        return {"checks": [f"must be a list of 1 to {MAX_CHECKS} checks"]}
    seen: set[str] = set()
    for index, check in enumerate(checks):
        path = f"checks.{index}"
        if not isinstance(check, dict):
            errors[path] = ["must be an object with code, text, item and deduction"]
            continue
        code, item, deduction = check.get("code"), check.get("item"), check.get("deduction")
        if not isinstance(code, str) or not re.fullmatch(CODE_PATTERN, code):
            errors[f"{path}.code"] = ["use 1 to 32 letters, digits, '_' or '-'"]
        elif code in seen:
            errors[f"{path}.code"] = [f'check code "{code}" is used twice']
        else:
            seen.add(code)
        if not isinstance(item, str) or not re.fullmatch(CODE_PATTERN, item):
            errors[f"{path}.item"] = ["an item code: 1 to 32 letters, digits, '_' or '-'"]
        if isinstance(deduction, bool) or not isinstance(deduction, int) or not 1 <= deduction <= 100:
            errors[f"{path}.deduction"] = ["must be a whole number of points from 1 to 100"]
        _texts_errors(check.get("text"), f"{path}.text", errors)
    return errors


def _template_fields(template: ScorecardTemplate) -> dict[str, Any]:
    """What the audit log records of a template."""
    return {
        "code": template.code, "name": template.name, "description": template.description,
        "is_active": template.is_active,
        "checks": [{"code": c.code, "text": c.text, "item": c.item_code, "deduction": c.deduction}
                   for c in template.checks.order_by("position", "id")],
    }


def _template_log(*, actor: Any, action: str, template: ScorecardTemplate,
                  before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """One audit-log entry (see field_changes); an update that changed nothing is not recorded."""
    changes = field_changes(before, after)
    if action == AuditLogEntry.Action.UPDATED and not changes:
        return  # saved unchanged: nothing to record
    audit_log_record(actor=actor, action=action, obj_type="scorecard", obj_id=template.pk,
                     obj_repr=template.code, changes=changes)


@transaction.atomic
def scorecard_template_save(
    *,
    template: ScorecardTemplate | None = None,
    code: str | None = None,
    name: Any = None,
    description: Any = None,
    is_active: bool | None = None,
    checks: Any = None,
    actor: Any = None,
) -> ScorecardTemplate:
    """Create a template (template None) or change one; `checks`, when given, replace
    its checks in list order. Past inspections keep the checks they froze. The audit
    log records the change under `actor`."""
    errors: dict[str, list[str]] = {}
    creating = template is None
    if creating or code is not None:
        if not isinstance(code, str) or not re.fullmatch(CODE_PATTERN, code):
            errors["code"] = ["use 1 to 32 letters, digits, '_' or '-'"]
        elif not creating and code != template.code:
            errors["code"] = ["cannot change: inspections and links refer to it"]
    if creating or name is not None:
        _texts_errors(name, "name", errors)
    if description is not None:
        _texts_errors(description, "description", errors, required=False)
    if creating or checks is not None:
        errors.update(scorecard_checks_validate(checks))
    if errors:
        raise ValidationFailed(errors)
    before = None
    try:
        with transaction.atomic():
            if creating:
                template = ScorecardTemplate.objects.create(
                    code=code, name=name, description=description or {},
                    is_active=True if is_active is None else is_active,
                )
            else:
                template = ScorecardTemplate.objects.select_for_update().get(pk=template.pk)
                before = _template_fields(template)
                for field, value in (("name", name), ("description", description), ("is_active", is_active)):
                    if value is not None:
                        setattr(template, field, value)
                template.save()
    except IntegrityError as exc:
        raise ValidationFailed({"code": [f'a scorecard template "{code}" already exists']}) from exc
    if checks is not None:
        template.checks.all().delete()
        ScorecardCheck.objects.bulk_create(
            ScorecardCheck(template=template, code=c["code"], text=c["text"], item_code=c["item"],
                           deduction=c["deduction"], position=position)
            for position, c in enumerate(checks, start=1)
        )
    _template_log(actor=actor, action=AuditLogEntry.Action.CREATED if creating else AuditLogEntry.Action.UPDATED,
                  template=template, before=before, after=_template_fields(template))
    return template


def scorecard_template_delete(*, template: ScorecardTemplate, actor: Any = None) -> None:
    """Delete a template no inspection used; a used one can only be deactivated."""
    with transaction.atomic():
        n = Inspection.objects.filter(template=template).count()
        if n:
            raise ValidationFailed({"template": [
                f"{n} inspection(s) used this template: deactivate it (is_active false) instead of deleting it"
            ]})
        pk, before = template.pk, _template_fields(template)
        template.delete()
        template.pk = pk  # for the log entry
        _template_log(actor=actor, action=AuditLogEntry.Action.DELETED, template=template, before=before,
                      after=None)


# ---------------------------------------------------------------- reads


def scorecard_templates(*, active_only: bool = False) -> QuerySet[ScorecardTemplate]:
    """Templates with their checks (in order) and how many inspections used each."""
    templates = ScorecardTemplate.objects.annotate(n_inspections=Count("inspections")).prefetch_related(
        Prefetch("checks", queryset=ScorecardCheck.objects.order_by("position", "id"))
    ).order_by("code")  # Meta.ordering does not apply to aggregating queries
    return templates.filter(is_active=True) if active_only else templates


def unit_standards(*, audit: Audit, unit_id: int | None) -> dict[str, QualityStandard]:
    """The quality standard of each item as it applies to a unit (METHOD.md §6): the
    audit's row, overridden by the nearest override on the unit's path to the top."""
    rows = list(QualityStandard.objects.filter(audit=audit))
    out = {row.item_code: row for row in rows if row.unit_id is None}
    if unit_id is None:
        return out
    units, _ = unit_tree()
    path, current, seen = [], unit_id, set()
    while current is not None and current in units and current not in seen:
        seen.add(current)
        path.append(current)
        current = units[current].parent_id
    depth = {uid: d for d, uid in enumerate(path)}  # 0 = the unit itself
    overrides = sorted((r for r in rows if r.unit_id in depth), key=lambda r: -depth[r.unit_id])
    out.update({row.item_code: row for row in overrides})  # nearest applied last
    return out


def evidence_filters(*, user: Any = None, unit_ids: Collection[int] | None = None) -> tuple[Q, Q]:
    """Filters of self-assessments and of inspections: those `user` submitted, or those of
    the units in `unit_ids`; either alone narrows to it, neither keeps everything."""
    if user is None and unit_ids is None:
        return Q(), Q()
    assessments, inspections = Q(pk__in=[]), Q(pk__in=[])
    if user is not None:
        assessments, inspections = Q(submitted_by=user), Q(inspector=user)
    if unit_ids is not None:
        assessments, inspections = assessments | Q(unit_id__in=unit_ids), inspections | Q(unit_id__in=unit_ids)
    return assessments, inspections


def evidence_reach(user: Any, *, mine: bool) -> dict[str, Any]:
    """The evidence a user may list (issue 4), as keyword arguments of evidence_filters
    and evidence_page_rows: an admin everything (only their own with `mine`); a manager
    what they submitted and the evidence of the units in their manager scope; anyone
    else (staff) only what they submitted, whatever `mine` says."""
    if mine:
        return {"user": user}
    if is_admin(user):
        return {}
    managed = scope_unit_ids(user, "manager")
    return {"user": user, "unit_ids": managed} if managed else {"user": user}


def inspection_visible(user: Any, inspection: Inspection) -> bool:
    """An inspection is shown to its inspector, a manager whose scope covers its unit and admins."""
    if is_admin(user):
        return True
    if inspection.inspector_id is not None and inspection.inspector_id == getattr(user, "pk", None):
        return True
    return unit_in_scope(user, inspection.unit_id, "manager")


def evidence_page_rows(*, audit: Audit, user: Any = None, unit_ids: Collection[int] | None = None):
    """Self-assessments and inspections of an audit (those `user` submitted or those of
    the units in `unit_ids`, see evidence_filters), newest first, as
    (kind, id, submitted_at) rows of one query to page through."""
    assessment_q, inspection_q = evidence_filters(user=user, unit_ids=unit_ids)
    # No ordering inside the union's parts (the models' default ordering): SQLite
    # refuses ORDER BY in the subqueries of a compound statement.
    assessments = SelfAssessment.objects.filter(assessment_q, audit=audit).order_by()
    inspections = Inspection.objects.filter(inspection_q, audit=audit).order_by()
    return (
        assessments.annotate(kind=Value("self_assessment")).values_list("kind", "id", "submitted_at")
        .union(inspections.annotate(kind=Value("inspection")).values_list("kind", "id", "submitted_at"), all=True)
        .order_by("-submitted_at", "-id")
    )


def evidence_objects(rows: Iterable[tuple[str, int, Any]]) -> list[SelfAssessment | Inspection]:
    """The objects of a page of evidence_page_rows, in the same order, in two queries."""
    rows = list(rows)
    assessments = SelfAssessment.objects.select_related("unit", "submitted_by").in_bulk(
        [pk for kind, pk, _ in rows if kind == "self_assessment"]
    )
    inspections = Inspection.objects.select_related("unit", "template", "inspector").in_bulk(
        [pk for kind, pk, _ in rows if kind == "inspection"]
    )
    return [(assessments if kind == "self_assessment" else inspections)[pk] for kind, pk, _ in rows]
