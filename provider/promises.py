"""The promise register (gap 4, METHOD.md §6): writes, and each promise beside the
delivery evidence of its item in its scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum

from accounts.models import AuditLogEntry
from accounts.services import audit_log_record
from analytics.services import audit_data_changed
from provider.models import DeliveryObservation, Promise
from provider.standards import (
    field_changes,
    item_error,
    level_error,
    scope_units_by_code,
    unit_code_of,
    unit_error,
)
from surveys.models import Audit, Unit
from surveys.selectors import audit_layout, descendant_ids, unit_tree
from surveys.services import ValidationFailed

MAX_TEXT = 2000
TOLERANCE = 1e-9  # METHOD.md §2: comparisons of means within 1e-9
FIELDS = ("item_code", "unit", "text", "channel", "level", "valid_from", "valid_to")


# ------------------------------------------------------------------ writes
def _validate(*, audit: Audit, values: dict[str, Any]) -> tuple[dict[str, list[str]], Unit | None]:
    layout = audit_layout(audit=audit)
    units = scope_units_by_code(audit=audit)
    errors: dict[str, list[str]] = {}
    if message := item_error(layout, values["item_code"]):
        errors["item"] = [message]
    if message := unit_error(units, values["unit"]):
        errors["unit"] = [message]
    text = values["text"]
    if not isinstance(text, str) or not text.strip():
        errors["text"] = ["write the promise as it is made to customers"]
    elif len(text) > MAX_TEXT:
        errors["text"] = [f"must be at most {MAX_TEXT} characters"]
    if values["channel"] not in Promise.Channel.values:
        errors["channel"] = [f"must be one of {', '.join(Promise.Channel.values)}"]
    if message := level_error(values["level"], audit.scale):
        errors["level"] = [message]
    for name in ("valid_from", "valid_to"):
        value = values[name]
        if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
            errors[name] = ["must be a date, or null for an open end"]
    start, end = values["valid_from"], values["valid_to"]
    if "valid_from" not in errors and "valid_to" not in errors and start and end and end < start:
        errors["valid_to"] = ["must not be before valid from"]
    unit = units.get(values["unit"]) if isinstance(values["unit"], str) else None
    return errors, unit


def promise_repr(promise: Promise) -> str:
    """How the audit log names a promise: its item, its unit and the start of its text."""
    where = promise.unit.code if promise.unit_id else "whole chain"
    text = promise.text if len(promise.text) <= 60 else promise.text[:59] + "…"
    return f"{promise.item_code} · {where}: {text}"


def _logged_fields(promise: Promise) -> dict[str, Any]:
    return {
        "item": promise.item_code, "unit": promise.unit.code if promise.unit_id else None, "text": promise.text,
        "channel": promise.channel, "level": promise.level,
        "valid_from": promise.valid_from.isoformat() if promise.valid_from else None,
        "valid_to": promise.valid_to.isoformat() if promise.valid_to else None,
    }


def _log(*, actor: Any, action: str, promise: Promise, audit: Audit,
         before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """One audit-log entry (see field_changes); an update that changed nothing is not recorded."""
    changes = field_changes(before, after)
    if action == AuditLogEntry.Action.UPDATED and not changes:
        return  # saved unchanged: nothing to record
    audit_log_record(actor=actor, action=action, obj_type="promise", obj_id=promise.pk,
                     obj_repr=promise_repr(promise), changes=changes, audit=audit)


def _write(*, audit_id: int, promise: Promise | None, values: dict[str, Any], actor: Any) -> Promise:
    with transaction.atomic():
        current = Audit.objects.select_for_update().get(pk=audit_id)
        values = {**values, "unit": unit_code_of(values["unit"])}
        errors, unit = _validate(audit=current, values=values)
        if errors:
            raise ValidationFailed(errors)
        before = _logged_fields(promise) if promise is not None else None
        promise = promise or Promise(audit=current)
        for name in FIELDS:
            if name != "unit":
                setattr(promise, name, values[name])
        promise.unit = unit
        promise.text = values["text"].strip()
        promise.save()
        _log(actor=actor, action=AuditLogEntry.Action.CREATED if before is None else AuditLogEntry.Action.UPDATED,
             promise=promise, audit=current, before=before, after=_logged_fields(promise))
        audit_data_changed(audit_id=current.pk)
    return promise


def promise_create(
    *,
    audit: Audit,
    item_code: str,
    text: str,
    level: int,
    unit: Unit | str | None = None,
    channel: str = Promise.Channel.POSTER,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    actor: Any = None,
) -> Promise:
    """Record a promise. Raises ValidationFailed and writes nothing on bad input; the
    audit log records it under `actor`."""
    values = {"item_code": item_code, "unit": unit, "text": text, "channel": channel, "level": level,
              "valid_from": valid_from, "valid_to": valid_to}
    return _write(audit_id=audit.pk, promise=None, values=values, actor=actor)


def promise_update(*, promise: Promise, actor: Any = None, **fields: Any) -> Promise:
    """Change some of the promise's fields (FIELDS)."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    values = {name: getattr(promise, name) for name in FIELDS}
    values["unit"] = promise.unit.code if promise.unit_id else None
    values.update(fields)
    return _write(audit_id=promise.audit_id, promise=promise, values=values, actor=actor)


def promise_delete(*, promise: Promise, actor: Any = None) -> None:
    with transaction.atomic():
        audit_id, pk = promise.audit_id, promise.pk
        before = _logged_fields(promise)
        promise.delete()
        promise.pk = pk  # for the log entry
        _log(actor=actor, action=AuditLogEntry.Action.DELETED, promise=promise, audit=Audit(pk=audit_id),
             before=before, after=None)
        audit_data_changed(audit_id=audit_id)


# ------------------------------------------------------------------ reads
@dataclass(frozen=True)
class Evidence:
    """The delivery observations of a promise's item in its scope."""

    level: int
    n: int = 0
    total: float = 0.0
    n_self_assessment: int = 0
    n_inspection: int = 0

    @property
    def mean_d(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def met(self) -> bool | None:
        """Unmet when mean_d < level (within 1e-9); null without evidence."""
        mean = self.mean_d
        return None if mean is None else not mean < self.level - TOLERANCE

    @property
    def shortfall(self) -> float | None:
        """level − mean_d: how far delivery falls short of the promise."""
        mean = self.mean_d
        return None if mean is None else self.level - mean

    @property
    def status(self) -> str:
        return {None: "no_evidence", True: "met", False: "unmet"}[self.met]

    def as_dict(self) -> dict[str, Any]:
        return {"mean_d": self.mean_d, "n": self.n, "met": self.met}


def promise_evidence(
    *, audit: Audit, promises: list[Promise], unit_ids: Collection[int] | None = None
) -> dict[int, Evidence]:
    """Evidence per promise id, from one aggregate query over the observations of the
    promises' items (grouped by item, unit and source), summed over each promise's
    scope: its unit and the units below it, or every unit when it has none.

    `unit_ids`: count only the observations of these units (a manager's scope)."""
    items = {p.item_code for p in promises}
    sums: dict[str, dict[int, dict[str, tuple[int, float]]]] = {}
    if items:
        observations = DeliveryObservation.objects.filter(audit=audit, item_code__in=items)
        if unit_ids is not None:
            observations = observations.filter(unit_id__in=unit_ids)
        rows = (observations.values("item_code", "unit_id", "source").order_by()
                .annotate(n=Count("id"), total=Sum("value")))
        for row in rows:
            sums.setdefault(row["item_code"], {}).setdefault(row["unit_id"], {})[row["source"]] = (
                row["n"], float(row["total"] or 0.0))
    children = unit_tree()[1] if any(p.unit_id for p in promises) else {}
    out: dict[int, Evidence] = {}
    for promise in promises:
        by_unit = sums.get(promise.item_code, {})
        scope = by_unit.keys() if promise.unit_id is None else descendant_ids(promise.unit_id, children)
        counts = {DeliveryObservation.Source.SELF_ASSESSMENT: 0, DeliveryObservation.Source.INSPECTION: 0}
        total = 0.0
        for uid in scope:
            for source, (n, subtotal) in by_unit.get(uid, {}).items():
                counts[source] = counts.get(source, 0) + n
                total += subtotal
        out[promise.pk] = Evidence(
            level=promise.level, n=sum(counts.values()), total=total,
            n_self_assessment=counts[DeliveryObservation.Source.SELF_ASSESSMENT],
            n_inspection=counts[DeliveryObservation.Source.INSPECTION],
        )
    return out


def in_audit_period(promise: Promise, audit: Audit) -> bool:
    """A promise counts for the audit when its validity overlaps the audit's period
    (open ends never exclude)."""
    if promise.valid_to and audit.period_start and promise.valid_to < audit.period_start:
        return False
    return not (promise.valid_from and audit.period_end and promise.valid_from > audit.period_end)


@dataclass(frozen=True)
class RegisterRow:
    promise: Promise
    evidence: Evidence
    in_period: bool


def audit_promises(*, audit: Audit, unit_ids: Collection[int] | None = None):
    """The audit's promises; `unit_ids`: only the chain-wide ones and those of these units."""
    promises = Promise.objects.filter(audit=audit)
    if unit_ids is not None:
        promises = promises.filter(Q(unit__isnull=True) | Q(unit_id__in=unit_ids))
    return promises.select_related("unit")


def promise_register(
    *, audit: Audit, unit_ids: Collection[int] | None = None, evidence_unit_ids: Collection[int] | None = None
) -> list[RegisterRow]:
    """Every promise of the audit with its evidence: unmet ones first (largest
    shortfall first), then those with no evidence yet, then met ones; within a
    group in instrument order.

    `unit_ids`: only the chain-wide promises and those of these units;
    `evidence_unit_ids`: evidence counted over these units only."""
    promises = list(audit_promises(audit=audit, unit_ids=unit_ids))
    evidence = promise_evidence(audit=audit, promises=promises, unit_ids=evidence_unit_ids)
    position = {code: i for i, code in enumerate(audit_layout(audit=audit).item_codes)}

    def key(promise: Promise) -> tuple:
        found = evidence[promise.pk]
        group = {"unmet": 0, "no_evidence": 1, "met": 2}[found.status]
        return (group, -found.shortfall if group == 0 else 0.0, position.get(promise.item_code, len(position)),
                promise.pk)

    return [RegisterRow(p, evidence[p.pk], in_audit_period(p, audit)) for p in sorted(promises, key=key)]
