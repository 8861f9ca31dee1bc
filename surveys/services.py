"""Writes: audits and customer responses."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics.services import audit_data_changed
from surveys.instruments import instrument_export
from surveys.layout import Layout, validate_answers, validate_importance
from surveys.models import Audit, Instrument, Response, Unit
from surveys.selectors import audit_layout, audit_unit_ids, descendant_ids, unit_tree


class ValidationFailed(ValueError):
    """Bad input; `errors` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


def units_ensure(*, codes: Iterable[str]) -> list[Unit]:
    """The units with these codes; the missing ones are created at the top level."""
    codes = list(dict.fromkeys(codes))
    existing = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    for code in codes:
        if code not in existing:
            existing[code] = Unit.objects.create(code=code, name=code)
    return [existing[c] for c in codes]


def _loggable(value: Any) -> Any:
    """A value as the audit log stores it (JSON): objects by code, dates as ISO text."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (Instrument, Unit)):
        return value.code
    if isinstance(value, (list, tuple, set)):
        return sorted(_loggable(v) for v in value)
    return value


def _audit_log(*, actor: Any, action: str, audit: Audit, changes: dict[str, list[Any]]) -> None:
    # Imported here: accounts.services imports this module.
    from accounts.services import audit_log_record

    audit_log_record(actor=actor, action=action, obj_type="audit", obj_id=audit.pk,
                     obj_repr=f"{audit.title} ({audit.slug})", changes=changes, audit=audit)


AUDIT_LOGGED_FIELDS = (
    "title", "instrument", "scale", "format", "min_sample", "is_open", "period_start", "period_end",
)


@transaction.atomic
def audit_create(
    *,
    actor: Any = None,
    slug: str,
    title: str,
    instrument: Instrument,
    units: Iterable[Unit],
    scale: int = 7,
    format: str = Audit.Format.TWO_COLUMN,
    min_sample: int = 5,
    is_open: bool = True,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> Audit:
    try:
        with transaction.atomic():
            audit = Audit.objects.create(
                slug=slug, title=title, instrument=instrument,
                instrument_snapshot=instrument_export(instrument=instrument),
                scale=scale, format=format, min_sample=min_sample, is_open=is_open,
                period_start=period_start, period_end=period_end,
            )
    except IntegrityError as exc:  # two audits created at once with one slug
        raise ValidationFailed({"slug": [f'an audit with slug "{slug}" already exists']}) from exc
    units = list(units)
    audit.units.set(units)
    changes = {"slug": [None, slug]}
    changes.update({name: [None, _loggable(getattr(audit, name))] for name in AUDIT_LOGGED_FIELDS})
    changes["units"] = [None, _loggable(units)]
    _audit_log(actor=actor, action="created", audit=audit, changes=changes)
    audit_data_changed(audit_id=audit.pk)
    return audit


@transaction.atomic
def audit_update(*, audit: Audit, actor: Any = None, units: Iterable[Unit] | None = None, **fields: Any) -> Audit:
    """Change an audit; instrument, scale and format only while it has no responses,
    and never its slug (it is part of every survey link handed out). The audit log
    records what changed (nothing is recorded when nothing did)."""
    if "slug" in fields and fields["slug"] != audit.slug:
        raise ValidationFailed({"slug": ["cannot change: it is part of every survey link"]})
    Audit.objects.select_for_update().filter(pk=audit.pk).exists()  # see response_submit
    frozen = ("instrument", "scale", "format")
    changes_layout = any(k in fields and fields[k] != getattr(audit, k) for k in frozen)
    if changes_layout and audit.responses.exists():
        raise ValidationFailed({
            k: ["cannot change once the audit has responses"] for k in frozen
            if k in fields and fields[k] != getattr(audit, k)
        })
    changes: dict[str, list[Any]] = {}
    if units is not None:
        units = list(units)
        audit_units_check(audit=audit, units=units)
        before = _loggable(list(audit.units.all()))
        if before != _loggable(units):
            changes["units"] = [before, _loggable(units)]
    for key, value in fields.items():
        old = _loggable(getattr(audit, key))
        if old != _loggable(value):
            changes[key] = [old, _loggable(value)]
        setattr(audit, key, value)
    if changes_layout:
        audit.instrument_snapshot = instrument_export(instrument=audit.instrument)
    audit.save()
    if units is not None:
        audit.units.set(units)
    if changes:
        _audit_log(actor=actor, action="updated", audit=audit, changes=changes)
    audit_data_changed(audit_id=audit.pk)
    return audit


def audit_units_check(*, audit: Audit, units: list[Unit]) -> None:
    """Units whose responses are stored stay in the audit (their figures and the export depend on them)."""
    _, children = unit_tree()
    allowed = {uid for unit in units for uid in descendant_ids(unit.pk, children)}
    orphaned = (
        Response.objects.filter(audit=audit).exclude(unit_id__in=allowed)
        .values_list("unit__code", flat=True).distinct().order_by("unit__code")
    )
    if orphaned:
        raise ValidationFailed({"units": [
            "cannot remove units that already have responses: " + ", ".join(orphaned)
        ]})


def response_validate(
    *, audit: Audit, layout: Layout, unit_code: Any, answers: Any, importance: Any, channel: Any
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not audit.is_open:
        errors["audit"] = ["this audit is closed and accepts no more responses"]
    if not isinstance(unit_code, str) or not unit_code:
        errors["unit"] = ["a unit code is required"]
    elif unit_code not in audit_unit_ids(audit=audit):
        errors["unit"] = [f'unknown unit "{unit_code}" for this audit']
    if channel is not None and (not isinstance(channel, str) or len(channel) > 64):
        errors["channel"] = ["must be text of at most 64 characters, or null"]
    errors.update(validate_answers(layout, answers))
    errors.update(validate_importance(layout, importance))
    return errors


def response_submit(
    *,
    audit: Audit,
    submission_id: uuid.UUID,
    unit_code: str,
    answers: dict[str, dict[str, int | None]] | None,
    importance: dict[str, int] | None = None,
    channel: str | None = None,
    submitted_at: dt.datetime | None = None,
) -> tuple[Response, bool]:
    """Store one response; the same submission_id again returns the stored one.

    Returns (response, created). Raises ValidationFailed and writes nothing on bad input.
    """
    existing = Response.objects.filter(audit=audit, submission_id=submission_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            # Locked, so that the layout the answers are packed in cannot change
            # under them (audit_update locks the same row).
            current = Audit.objects.select_for_update().get(pk=audit.pk)
            layout = audit_layout(audit=current)
            errors = response_validate(
                audit=current, layout=layout, unit_code=unit_code, answers=answers,
                importance=importance, channel=channel,
            )
            if errors:
                raise ValidationFailed(errors)
            response = Response.objects.create(
                audit=current, unit_id=audit_unit_ids(audit=current)[unit_code], submission_id=submission_id,
                channel=channel or "", submitted_at=submitted_at or timezone.now(),
                answers=layout.pack_answers(answers or {}),
                importance=layout.pack_importance(importance),
            )
            audit_data_changed(audit_id=audit.pk, added_responses=1)
    except IntegrityError:
        # A concurrent double submit won the race: answer with its row.
        return Response.objects.get(audit=audit, submission_id=submission_id), False
    return response, True
