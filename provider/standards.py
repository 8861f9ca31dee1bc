"""Quality standards (gap 2, METHOD.md §6): writes and reads.

A standard is a target level 1..K for an item plus the operational standard behind
it in words. `unit` null is the audit's standard; a unit's row overrides it for
that unit and its descendants. The checks of item codes, units and levels below
are shared with the promise register.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from accounts.models import AuditLogEntry
from accounts.services import audit_log_record
from analytics.selectors import audit_gaps
from analytics.services import audit_data_changed
from provider.models import QualityStandard
from surveys.instruments import localized
from surveys.layout import Layout
from surveys.models import Audit, Unit
from surveys.selectors import audit_layout, audit_scope_units, tree_order
from surveys.services import ValidationFailed

MAX_DESCRIPTION = 2000


# ------------------------------------------------------------------ shared checks
def scope_units_by_code(*, audit: Audit) -> dict[str, Unit]:
    """The units the audit reports on (its units, their descendants and ancestors), by code."""
    units, _covers = audit_scope_units(audit=audit)
    return {unit.code: unit for unit in units.values()}


def scope_unit_choices(*, audit: Audit) -> list[tuple[Unit, int]]:
    """The audit's scope units in tree order, each with its depth (for selects)."""
    units, _covers = audit_scope_units(audit=audit)
    return tree_order(units)


def item_error(layout: Layout, item_code: Any) -> str | None:
    if not isinstance(item_code, str) or not item_code:
        return "an item code is required"
    if item_code not in layout.item_codes:
        return f'unknown item "{item_code[:40]}" for this audit'
    return None


def unit_error(units: dict[str, Unit], unit_code: Any) -> str | None:
    """Why an optional unit code is not one of the audit's units, else None."""
    if unit_code is None:
        return None
    if not isinstance(unit_code, str) or not unit_code:
        return "must be a unit code, or null for the whole audit"
    if unit_code not in units:
        return f'unknown unit "{unit_code[:40]}" for this audit'
    return None


def level_error(level: Any, scale: int) -> str | None:
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= scale:
        return f"must be a whole number from 1 to {scale}"
    return None


def unit_code_of(unit: Unit | str | None) -> str | None:
    return unit.code if isinstance(unit, Unit) else unit


def field_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """The audit log's `changes`, {field: [old, new]}: every field of a created (before
    None) or deleted (after None) object, the fields that changed of an updated one."""
    old, new = before or {}, after or {}
    return {name: [old.get(name), new.get(name)] for name in (after or before or {})
            if before is None or after is None or old.get(name) != new.get(name)}


# ------------------------------------------------------------------ writes
def _validate(
    *, audit: Audit, item_code: Any, unit_code: Any, level: Any, description: Any
) -> tuple[dict[str, list[str]], Unit | None]:
    layout = audit_layout(audit=audit)
    units = scope_units_by_code(audit=audit)
    errors: dict[str, list[str]] = {}
    if message := item_error(layout, item_code):
        errors["item"] = [message]
    if message := unit_error(units, unit_code):
        errors["unit"] = [message]
    if message := level_error(level, audit.scale):
        errors["level"] = [message]
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        errors["description"] = [f"must be text of at most {MAX_DESCRIPTION} characters"]
    unit = units.get(unit_code) if isinstance(unit_code, str) else None
    return errors, unit


def standard_repr(standard: QualityStandard) -> str:
    """How the audit log names a standard: its item and the unit it overrides for."""
    return f"{standard.item_code} · {standard.unit.code if standard.unit_id else 'whole audit'}"


def _logged_fields(standard: QualityStandard) -> dict[str, Any]:
    return {"item": standard.item_code, "unit": standard.unit.code if standard.unit_id else None,
            "level": standard.level, "description": standard.description}


def _log(*, actor: Any, action: str, standard: QualityStandard, audit: Audit,
         before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """One audit-log entry (see field_changes); an update that changed nothing is not recorded."""
    changes = field_changes(before, after)
    if action == AuditLogEntry.Action.UPDATED and not changes:
        return  # saved unchanged: nothing to record
    audit_log_record(actor=actor, action=action, obj_type="standard", obj_id=standard.pk,
                     obj_repr=standard_repr(standard), changes=changes, audit=audit)


def standard_set(
    *, audit: Audit, item_code: str, unit: Unit | str | None, level: int, description: str = "", actor: Any = None
) -> tuple[QualityStandard, bool]:
    """Create or update the standard of (audit, item, unit); returns (standard, created).

    Raises ValidationFailed and writes nothing on bad input. The change is recorded in
    the audit log under `actor`.
    """
    unit_code = unit_code_of(unit)
    with transaction.atomic():
        # One writer per audit at a time, so two sets of one key cannot both create it.
        current = Audit.objects.select_for_update().get(pk=audit.pk)
        errors, unit_obj = _validate(audit=current, item_code=item_code, unit_code=unit_code, level=level,
                                     description=description)
        if errors:
            raise ValidationFailed(errors)
        existing = QualityStandard.objects.select_related("unit").filter(
            audit=current, item_code=item_code, unit=unit_obj).first()
        before = _logged_fields(existing) if existing else None
        standard, created = QualityStandard.objects.update_or_create(
            audit=current, item_code=item_code, unit=unit_obj,
            defaults={"level": level, "description": description.strip()},
        )
        _log(actor=actor, action=AuditLogEntry.Action.CREATED if created else AuditLogEntry.Action.UPDATED,
             standard=standard, audit=current, before=before, after=_logged_fields(standard))
        audit_data_changed(audit_id=audit.pk)
    return standard, created


def standard_update(*, standard: QualityStandard, actor: Any = None, **fields: Any) -> QualityStandard:
    """Change some of item_code, unit, level and description of a standard.

    Moving it onto an (item, unit) that already has a standard is refused.
    """
    unknown = set(fields) - {"item_code", "unit", "level", "description"}
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        current = Audit.objects.select_for_update().get(pk=standard.audit_id)
        before = _logged_fields(standard)
        item_code = fields.get("item_code", standard.item_code)
        unit_code = unit_code_of(fields["unit"]) if "unit" in fields else (
            standard.unit.code if standard.unit_id else None)
        level = fields.get("level", standard.level)
        description = fields.get("description", standard.description)
        errors, unit_obj = _validate(audit=current, item_code=item_code, unit_code=unit_code, level=level,
                                     description=description)
        if not errors:
            clash = QualityStandard.objects.filter(audit=current, item_code=item_code, unit=unit_obj) \
                .exclude(pk=standard.pk).exists()
            if clash:
                errors["item"] = ["this item already has a standard for this unit: edit that one instead"]
        if errors:
            raise ValidationFailed(errors)
        standard.item_code, standard.unit, standard.level = item_code, unit_obj, level
        standard.description = description.strip()
        standard.save()
        _log(actor=actor, action=AuditLogEntry.Action.UPDATED, standard=standard, audit=current, before=before,
             after=_logged_fields(standard))
        audit_data_changed(audit_id=current.pk)
    return standard


def standard_delete(*, standard: QualityStandard, actor: Any = None) -> None:
    with transaction.atomic():
        audit_id, pk = standard.audit_id, standard.pk
        before = _logged_fields(standard)
        standard.delete()
        standard.pk = pk  # for the log entry
        _log(actor=actor, action=AuditLogEntry.Action.DELETED, standard=standard, audit=Audit(pk=audit_id),
             before=before, after=None)
        audit_data_changed(audit_id=audit_id)


# ------------------------------------------------------------------ reads
def audit_standards(*, audit: Audit, unit_ids: Collection[int] | None = None):
    """The audit's standards by item, the audit's own value before the unit overrides.

    `unit_ids`: only the unit overrides of these units (the audit's own standards always).
    """
    standards = QualityStandard.objects.filter(audit=audit)
    if unit_ids is not None:
        standards = standards.filter(Q(unit__isnull=True) | Q(unit_id__in=unit_ids))
    return standards.select_related("unit").order_by("item_code", F("unit__code").asc(nulls_first=True), "id")


@dataclass
class StandardRow:
    """One item of the standards page: its audit standard, unit overrides and gap 2."""

    code: str
    text: str
    dimension: str
    standard: QualityStandard | None
    overrides: list[QualityStandard] = field(default_factory=list)
    gap: float | None = None
    mean_m: float | None = None


def standards_overview(
    *, audit: Audit, unit_code: str | None = None, unit_ids: Collection[int] | None = None
) -> dict[str, Any]:
    """Every item of the audit with its standards, coverage and the stored gap 2 (S − mean_m).

    `unit_code`: the gap 2 figures of that unit instead of the audit's; `unit_ids`: list only
    the unit overrides of these units.
    """
    result = audit_gaps(audit=audit, unit_code=unit_code)
    gap2_items = (result.get("gap2") or {}).get("items") or {}
    by_item: dict[str, list[QualityStandard]] = {}
    for standard in audit_standards(audit=audit, unit_ids=unit_ids):
        by_item.setdefault(standard.item_code, []).append(standard)
    sections = []
    for dimension in audit.instrument_snapshot.get("dimensions", []):
        rows = []
        for item in dimension.get("items", []):
            code = item["code"]
            standards = by_item.get(code, [])
            stored = gap2_items.get(code) or {}
            rows.append(StandardRow(
                code=code, text=localized(item.get("text")) or code,
                dimension=localized(dimension.get("name")) or dimension["code"],
                standard=next((s for s in standards if s.unit_id is None), None),
                overrides=[s for s in standards if s.unit_id is not None],
                gap=stored.get("gap"), mean_m=stored.get("mean_m"),
            ))
        sections.append({"code": dimension["code"], "name": localized(dimension.get("name")) or dimension["code"],
                         "rows": rows})
    rows = [row for section in sections for row in section["rows"]]
    missing = [row for row in rows if row.standard is None]
    return {
        "result": result, "sections": sections, "n_items": len(rows),
        "n_covered": len(rows) - len(missing), "missing": missing,
        "n_overrides": sum(len(row.overrides) for row in rows),
    }
