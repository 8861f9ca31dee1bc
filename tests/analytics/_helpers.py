"""Small builders shared by the gap tests (no Django, no database).

Expected values in the tests are always written out by hand; nothing here
computes a figure.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from analytics.gaps import Design, Responses, compute_one, compute_scopes


def approx(x):
    return pytest.approx(x, rel=1e-9, abs=1e-12)


def design(dims: dict[str, list[str]], *, three_column: bool = False, min_sample: int = 5,
           scale: int = 7) -> Design:
    """dims: {dimension code: [item codes]} in order."""
    items, owners = [], []
    for j, codes in enumerate(dims.values()):
        items += codes
        owners += [j] * len(codes)
    return Design(item_codes=tuple(items), item_dimensions=tuple(owners),
                  dimension_codes=tuple(dims), scale=scale, three_column=three_column,
                  min_sample=min_sample)


def rec(group: int = 0, importance: dict | None = None, **answers) -> dict:
    """answers: ITEM=(E, P) for two-column, ITEM=(A, D, P) for three-column; None = no opinion."""
    out = {}
    for code, values in answers.items():
        if len(values) == 2:
            out[code] = {"expectation": values[0], "perception": values[1]}
        else:
            out[code] = {"adequate": values[0], "expectation": values[1], "perception": values[2]}
    return {"group": group, "answers": out, "importance": importance}


def run(dsg: Design, records: list[dict]) -> dict:
    return compute_one(dsg, Responses.from_records(dsg, records))


def run_scopes(dsg: Design, records: list[dict], scopes: dict, n_groups: int) -> dict:
    return compute_scopes(dsg, Responses.from_records(dsg, records), scopes, n_groups)


def tq(df: int) -> float:
    """t(0.975, df): the only place scipy is used for an expected quantile."""
    return float(stats.t.ppf(0.975, df))


def p_two_sided(t: float, df: int) -> float:
    return float(2 * stats.t.sf(abs(t), df))


def check_stats(fig: dict, *, gap, n, sd, mean_e=None, mean_p=None, low_sample=None,
                has_means: bool = True) -> None:
    """Check an S figure against hand values: se, ci and p follow from gap, n and sd (§2)."""
    assert fig["n"] == n and isinstance(fig["n"], int)
    assert fig["gap"] == approx(gap)
    if has_means:
        assert fig["mean_e"] == approx(mean_e)
        assert fig["mean_p"] == approx(mean_p)
    assert fig["sd"] == approx(sd)
    se = sd / math.sqrt(n)
    assert fig["se"] == approx(se)
    assert fig["ci_low"] == approx(gap - tq(n - 1) * se)
    assert fig["ci_high"] == approx(gap + tq(n - 1) * se)
    if sd == 0:
        assert fig["p_value"] is None
    else:
        assert fig["p_value"] == approx(p_two_sided(gap / se, n - 1))
    if low_sample is not None:
        assert fig["low_sample"] is low_sample
