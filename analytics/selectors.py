"""Reads: stored gap results in the METHOD.md §8 shape."""

from __future__ import annotations

from typing import Any

import numpy as np

from analytics import gaps
from analytics.models import ComputeJob, GapResult
from surveys.models import Audit, Unit
from surveys.selectors import audit_layout, audit_scope_units


class UnitNotInAudit(LookupError):
    pass


def audit_gaps(*, audit: Audit, unit_code: str | None = None) -> dict[str, Any]:
    """The latest computed §8 result of the audit, or of one unit (with its descendants)."""
    unit = None
    if unit_code:
        unit = Unit.objects.filter(code=unit_code).first()
        if unit is None:
            raise UnitNotInAudit(f'unknown unit "{unit_code}"')
    result = GapResult.objects.filter(audit=audit, unit=unit).only("payload", "computed_at").first()
    if result is None and unit is not None:
        # No stored figures: a unit outside the audit, or one added since the last recompute.
        if unit.pk not in audit_scope_units(audit=audit)[0]:
            raise UnitNotInAudit(f'unit "{unit_code}" is not part of audit "{audit.slug}"')
    payload = result.payload if result else empty_figures(audit=audit)
    return {
        "audit": audit.slug,
        "unit": unit.code if unit else None,
        "scale": audit.scale,
        "format": audit.format,
        "status": audit.result_status,
        "computed_at": result.computed_at.isoformat() if result else None,
        "n_responses": payload.get("n_responses", 0),
        "gap5": payload.get("gap5"),
        "gap1": payload.get("gap1"),
        "gap2": payload.get("gap2"),
        "gap3": payload.get("gap3"),
        "gap4": payload.get("gap4"),
        "zone": payload.get("zone"),
        "ipa": payload.get("ipa"),
    }


def audit_design(*, audit: Audit) -> gaps.Design:
    layout = audit_layout(audit=audit)
    return gaps.Design(
        item_codes=layout.item_codes, item_dimensions=layout.item_dimensions,
        dimension_codes=layout.dimension_codes, scale=audit.scale,
        three_column=audit.three_column, min_sample=audit.min_sample,
    )


def empty_figures(*, audit: Audit) -> dict[str, Any]:
    """The §8 figures of no responses: the contract's shape before a first recompute."""
    design = audit_design(audit=audit)
    m, nd = len(design.item_codes), len(design.dimension_codes)
    nothing = gaps.Responses(
        groups=np.zeros(0, dtype=np.int64), expectation=np.zeros((m, 0), np.uint8),
        perception=np.zeros((m, 0), np.uint8), adequate=np.zeros((m, 0), np.uint8) if design.three_column else None,
        importance=np.zeros((nd, 0), np.int16),
    )
    return gaps.compute_one(design, nothing)


def unit_results(*, audit: Audit) -> dict[str, dict[str, Any]]:
    """Every stored per-unit payload, by unit code (for the heat map)."""
    rows = GapResult.objects.filter(audit=audit, unit__isnull=False).select_related("unit")
    return {r.unit.code: r.payload for r in rows}


def job_get(*, job_id: str) -> ComputeJob | None:
    return ComputeJob.objects.select_related("audit").filter(pk=job_id).first()
