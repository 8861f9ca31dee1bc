"""Manager beliefs (gap 1, METHOD.md §6): writes and reads of ManagerAnswerSet.

A manager answers, per item, what they believe customers expect (M, 1..K or no
opinion) and may split 100 importance points over the dimensions as they think
customers would. One answer set per manager per audit, editable while the audit
is open.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import transaction

from analytics.selectors import audit_gaps
from analytics.services import audit_data_changed
from provider.models import ManagerAnswerSet
from surveys.layout import Layout, answer_value_error, validate_importance
from surveys.models import Audit, Unit
from surveys.selectors import audit_layout, audit_scope_units, audit_unit_ids
from surveys.services import ValidationFailed


# ------------------------------------------------------------------ writes
def validate_beliefs(layout: Layout, answers: Any) -> dict[str, list[str]]:
    """{item code: 1..K or null}; items left out count as no opinion."""
    if answers is None:
        return {}
    if not isinstance(answers, dict):
        return {"answers": ["must be an object of levels keyed by item code"]}
    errors: dict[str, list[str]] = {}
    known = set(layout.item_codes)
    for code, value in answers.items():
        if code not in known:
            errors[f"answers.{code}"] = [f'unknown item "{str(code)[:40]}"']
        elif message := answer_value_error(value, layout.scale):
            errors[f"answers.{code}"] = [message]
    return errors


def manager_answers_validate(
    *, audit: Audit, layout: Layout, unit_code: Any, answers: Any, importance: Any
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not audit.is_open:
        errors["audit"] = ["this audit is closed: manager answers can no longer change"]
    if not isinstance(unit_code, str) or not unit_code:
        errors["unit"] = ["a unit code is required"]
    elif unit_code not in audit_unit_ids(audit=audit):
        errors["unit"] = [f'unknown unit "{unit_code[:40]}" for this audit']
    errors.update(validate_beliefs(layout, answers))
    errors.update(validate_importance(layout, importance))
    return errors


def manager_answers_submit(
    *,
    audit: Audit,
    manager: Any,
    unit: Unit | str,
    answers: dict[str, int | None] | None,
    importance: dict[str, int] | None = None,
) -> tuple[ManagerAnswerSet, bool]:
    """Store the manager's answer set for the audit, replacing the one stored before.

    Returns (answer set, created). Raises ValidationFailed and writes nothing on bad input.
    """
    unit_code = unit.code if isinstance(unit, Unit) else unit
    with transaction.atomic():
        # Locked, as for customer responses: the layout cannot change under the answers,
        # and two submissions of one manager cannot both create a set.
        current = Audit.objects.select_for_update().get(pk=audit.pk)
        layout = audit_layout(audit=current)
        errors = manager_answers_validate(audit=current, layout=layout, unit_code=unit_code, answers=answers,
                                          importance=importance)
        if errors:
            raise ValidationFailed(errors)
        answers = answers or {}
        answer_set, created = ManagerAnswerSet.objects.update_or_create(
            audit=current, manager=manager,
            defaults={
                "unit_id": audit_unit_ids(audit=current)[unit_code],
                "answers": {code: answers.get(code) for code in layout.item_codes},
                "importance": {code: importance[code] for code in layout.dimension_codes} if importance else None,
            },
        )
        audit_data_changed(audit_id=current.pk)
    return answer_set, created


# ------------------------------------------------------------------ reads
def manager_answer_set_get(*, audit: Audit, manager: Any) -> ManagerAnswerSet | None:
    if not getattr(manager, "is_authenticated", False):
        return None
    return ManagerAnswerSet.objects.select_related("unit").filter(audit=audit, manager=manager).first()


def manager_answer_sets(*, audit: Audit, unit_ids: Collection[int] | None = None):
    """The audit's answer sets; `unit_ids`: only those of these units."""
    sets = ManagerAnswerSet.objects.filter(audit=audit)
    if unit_ids is not None:
        sets = sets.filter(unit_id__in=unit_ids)
    return sets.select_related("unit", "manager").order_by("unit__code", "manager__username", "id")


def manager_importance(*, audit: Audit, unit_ids: list[int] | None = None) -> tuple[dict[str, float | None], int]:
    """Managers' mean importance points per dimension over the sets that gave a split
    (as customers' importance, METHOD.md §3), and how many sets gave one."""
    layout = audit_layout(audit=audit)
    rows = ManagerAnswerSet.objects.filter(audit=audit, importance__isnull=False)
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    splits = [points for points in rows.values_list("importance", flat=True) if isinstance(points, dict)]
    means = {
        code: (sum(points.get(code, 0) for points in splits) / len(splits) if splits else None)
        for code in layout.dimension_codes
    }
    return means, len(splits)


def beliefs_overview(*, audit: Audit, unit: Unit | None = None) -> dict[str, Any]:
    """What managers believe customers expect, beside what customers said.

    Per item: the stored gap 1 figures (mean_m, mean_e, gap = mean_m − mean_e, Welch p).
    Per dimension: managers' mean importance split (from the answer sets) and
    customers' importance (the stored gap 5 dimension importance).
    """
    result = audit_gaps(audit=audit, unit_code=unit.code if unit else None)
    gap1_items = (result.get("gap1") or {}).get("items") or {}
    gap1_dims = (result.get("gap1") or {}).get("dimensions") or {}
    gap5_dims = (result.get("gap5") or {}).get("dimensions") or {}
    unit_ids = audit_scope_units(audit=audit)[1].get(unit.pk, [unit.pk]) if unit else None
    managers_points, n_splits = manager_importance(audit=audit, unit_ids=unit_ids)
    sets = ManagerAnswerSet.objects.filter(audit=audit)
    if unit_ids is not None:
        sets = sets.filter(unit_id__in=unit_ids)
    dimensions = []
    for code in audit_layout(audit=audit).dimension_codes:
        mine, theirs = managers_points[code], (gap5_dims.get(code) or {}).get("importance")
        dimensions.append({
            "code": code, "managers": mine, "customers": theirs,
            "difference": None if mine is None or theirs is None else mine - theirs,
            "gap": (gap1_dims.get(code) or {}).get("gap"),
        })
    return {
        "result": result,
        "items": {code: gap1_items.get(code) or {} for code in audit_layout(audit=audit).item_codes},
        "overall": ((result.get("gap1") or {}).get("overall") or {}).get("gap"),
        "dimensions": dimensions,
        "n_sets": sets.count(),
        "n_splits": n_splits,
    }
