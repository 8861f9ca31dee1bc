"""Writes: mark audits stale, compute and store their gap results."""

from __future__ import annotations

import datetime as dt
import json
import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from analytics import gaps, provider_gaps
from analytics.models import ComputeJob, GapResult
from analytics.selectors import audit_design
from provider.inputs import provider_inputs
from surveys.models import Audit
from surveys.selectors import audit_layout, audit_scope_units, response_matrix

log = logging.getLogger(__name__)


def audit_data_changed(*, audit_id: int, added_responses: int = 0) -> None:
    """Mark the audit stale and enqueue one recompute once the transaction commits.

    Only the first change after a recompute started enqueues: a burst of
    submissions finds `recompute_queued` already set and adds nothing.
    """
    Audit.objects.filter(pk=audit_id).update(
        data_version=F("data_version") + 1, response_count=F("response_count") + added_responses
    )
    now = timezone.now()
    # A recompute queued long ago and never started (a lost message, a worker that
    # was down) must not block every later one.
    lost = Q(recompute_queued_at__lt=now - dt.timedelta(seconds=settings.GAP_RECOMPUTE_LOST_AFTER))
    claimed = Audit.objects.filter(Q(recompute_queued=False) | lost, pk=audit_id).update(
        recompute_queued=True, recompute_queued_at=now
    )
    if claimed:
        transaction.on_commit(lambda: _enqueue(audit_id=audit_id, job_id=None))


def audit_recompute_request(*, audit: Audit) -> ComputeJob:
    """Queue a recompute that can be polled by its job id."""
    # Asking again while a recompute is waiting or running answers that one.
    recent = timezone.now() - dt.timedelta(seconds=settings.GAP_RECOMPUTE_LOST_AFTER)
    pending = ComputeJob.objects.filter(
        audit=audit, status__in=[ComputeJob.Status.QUEUED, ComputeJob.Status.RUNNING], created_at__gte=recent
    ).first()
    if pending is not None:
        return pending
    job = ComputeJob.objects.create(audit=audit)
    Audit.objects.filter(pk=audit.pk).update(recompute_queued=True, recompute_queued_at=timezone.now())
    transaction.on_commit(lambda: _enqueue(audit_id=audit.pk, job_id=str(job.pk), delay=0))
    return job


def _enqueue(*, audit_id: int, job_id: str | None, delay: float | None = None) -> None:
    from analytics.tasks import audit_compute_task

    countdown = settings.GAP_RECOMPUTE_DELAY if delay is None else delay
    kwargs = {"audit_id": audit_id, "job_id": job_id}
    if job_id:
        audit_compute_task.apply_async(kwargs=kwargs, countdown=countdown, task_id=job_id)
    else:
        audit_compute_task.apply_async(kwargs=kwargs, countdown=countdown)


def audit_figures(*, audit: Audit) -> dict[int | None, dict]:
    """§3–§6 figures for the audit (key None) and each unit id: gap 5 and the rest from
    the customer responses, gaps 1–4 from the provider inputs, pooled per scope alike."""
    layout = audit_layout(audit=audit)
    design = audit_design(audit=audit)
    unit_ids, rows = response_matrix(audit=audit, layout=layout)
    provider = provider_inputs(audit=audit, item_codes=design.item_codes)
    units, covers = audit_scope_units(audit=audit)
    group_of = {uid: i for i, uid in enumerate(sorted(
        set(units) | set(np.unique(unit_ids).tolist()) | provider.unit_ids
    ))}
    lookup = np.zeros(max(group_of, default=0) + 1, dtype=np.int64)
    for uid, g in group_of.items():
        lookup[uid] = g
    groups = lookup[unit_ids]
    n_groups = len(group_of) or 1
    # Sort responses by group, then reduce two halves (split at a group boundary)
    # on two threads: numpy releases the GIL, and the sums of disjoint groups add.
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    middle = int(np.searchsorted(sorted_groups, sorted_groups[len(order) // 2])) if len(order) else 0
    halves = [(lo, hi) for lo, hi in ((0, middle), (middle, len(order))) if hi > lo] or [(0, 0)]

    def half_sums(bounds: tuple[int, int]) -> dict[str, np.ndarray]:
        lo, hi = bounds
        # Feature-major once (see gaps.Responses): one row per answer column.
        features = np.ascontiguousarray(rows[order[lo:hi]].T)
        m, width = layout.n_items, layout.width
        importance = features[width:].astype(np.int16)
        importance[importance == 255] = -1
        responses = gaps.Responses(
            groups=sorted_groups[lo:hi], expectation=features[:m], perception=features[m : 2 * m],
            adequate=features[2 * m : 3 * m] if layout.three_column else None, importance=importance,
        )
        return gaps.group_sums(design, responses, n_groups)

    with ThreadPoolExecutor(len(halves)) as pool:
        sums = gaps.add_sums(list(pool.map(half_sums, halves)))
    sums.update(provider_gaps.provider_sums(provider, group_of, n_groups))
    scopes: dict[int | None, list[int]] = {None: list(group_of.values())}
    for uid, cover in covers.items():
        scopes[uid] = [group_of[c] for c in cover if c in group_of]
    parents = {uid: unit.parent_id for uid, unit in units.items()}
    references = provider_gaps.scope_references(provider, parents, scopes)
    return gaps.scope_figures(design, sums, scopes, references)


def results_store(*, audit_id: int, figures: dict[int | None, dict], computed_at: dt.datetime) -> None:
    """Insert one GapResult per scope; COPY on PostgreSQL (client-side quoting of
    ~60 large JSON documents costs more than computing them)."""
    if connection.vendor != "postgresql":
        GapResult.objects.bulk_create(
            GapResult(audit_id=audit_id, unit_id=uid, payload=payload, computed_at=computed_at)
            for uid, payload in figures.items()
        )
        return
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            "COPY analytics_gapresult (audit_id, unit_id, payload, computed_at) FROM STDIN"
        ) as copy:
            for uid, payload in figures.items():
                copy.write_row((audit_id, uid, json.dumps(payload, allow_nan=False, ensure_ascii=False), computed_at))


def audit_compute(*, audit_id: int, job_id: str | None = None) -> None:
    """Compute every figure for the audit and each of its units, and store them."""
    Audit.objects.filter(pk=audit_id).update(recompute_queued=False, computing=True)
    if job_id:
        ComputeJob.objects.filter(pk=job_id).update(status=ComputeJob.Status.RUNNING, started_at=timezone.now())
    try:
        audit = Audit.objects.get(pk=audit_id)
        version = audit.data_version
        figures = audit_figures(audit=audit)
        now = timezone.now()
        with transaction.atomic():
            # Two recomputes of one audit may overlap: they store one at a time, and
            # an older one never overwrites figures computed from newer data.
            stored = Audit.objects.select_for_update().only("computed_version").get(pk=audit_id)
            if version >= stored.computed_version:
                GapResult.objects.filter(audit_id=audit_id).delete()
                results_store(audit_id=audit_id, figures=figures, computed_at=now)
                Audit.objects.filter(pk=audit_id).update(
                    computed_version=version, computed_at=now, computing=False,
                    response_count=figures[None]["n_responses"],
                )
            else:
                Audit.objects.filter(pk=audit_id).update(computing=False)
        if job_id:
            ComputeJob.objects.filter(pk=job_id).update(status=ComputeJob.Status.DONE, finished_at=timezone.now())
    except Exception as exc:
        Audit.objects.filter(pk=audit_id).update(computing=False)
        if job_id:
            ComputeJob.objects.filter(pk=job_id).update(
                status=ComputeJob.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000]
            )
        log.exception("recompute of audit %s failed", audit_id)
        raise
