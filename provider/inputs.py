"""Reads: the provider-side inputs of one audit's recompute (METHOD.md §6), as a plain
numpy snapshot for analytics.provider_gaps. Four queries, whatever the number of rows."""

from __future__ import annotations

import sys

from django.db.models import Count, Sum, Variance

from analytics.provider_gaps import ProviderInputs
from provider.models import DeliveryObservation, ManagerAnswerSet, Promise, QualityStandard
from surveys.models import Audit

# Finite values only. A range, not `NOT IN (nan, inf, -inf)`: SQLite binds NaN as
# NULL, and `x NOT IN (…, NULL)` is never true. NaN fails both comparisons in
# PostgreSQL (it sorts above every number) and is NULL in SQLite.
FINITE = {"value__gte": -sys.float_info.max, "value__lte": sys.float_info.max}


def provider_inputs(*, audit: Audit, item_codes: tuple[str, ...] | list[str]) -> ProviderInputs:
    """Manager answers, delivery observations, quality standards and promises of the
    audit, items as indices into `item_codes` (the frozen instrument's items; rows
    about any other item are left out). Promises keep their validity: which of them
    count for the audit's period is decided by provider_gaps.promise_counts.

    Observations are summed per (unit, item) by the database: n, Σx and the sample
    variance, whose (n − 1)-fold is M2 = Σ(x − mean)² (PostgreSQL's var_samp is
    computed stably, Youngs–Cramer); 100,000 rows reduce to a few hundred.
    """
    codes = list(item_codes)
    managers = ManagerAnswerSet.objects.filter(audit=audit).order_by().values_list("unit_id", "answers")
    observations = (
        DeliveryObservation.objects.filter(audit=audit, item_code__in=codes)
        .filter(**FINITE)
        .order_by().values("unit_id", "item_code")
        .annotate(n=Count("id"), s1=Sum("value"), var=Variance("value", sample=True))
        .values_list("unit_id", "item_code", "n", "s1", "var")
    )
    sums = [(unit, code, n, s1, (var or 0.0) * (n - 1)) for unit, code, n, s1, var in observations]
    standards = QualityStandard.objects.filter(audit=audit, item_code__in=codes).order_by().values_list(
        "unit_id", "item_code", "level"
    )
    promises = Promise.objects.filter(audit=audit, item_code__in=codes).order_by().values_list(
        "unit_id", "item_code", "level", "valid_from", "valid_to"
    )
    return ProviderInputs.from_records(
        codes, scale=audit.scale, managers=managers, observation_sums=sums, standards=standards,
        promises=promises, period_start=audit.period_start, period_end=audit.period_end,
    )
