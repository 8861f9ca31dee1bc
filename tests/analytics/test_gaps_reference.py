"""Cross-check of analytics.gaps (§3–§5, §7 and gap 1's customer side of §6) against the
naive reference in reference.py, on seeded random data sets and a few targeted edge cases.

Every figure is compared: floats with a 1e-9 tolerance, None exactly, ints, booleans and
strings exactly, and the key sets of gap5 / zone / ipa exactly."""

from __future__ import annotations

import itertools
import random

import pytest

from analytics.gaps import Design, Responses, compute_scopes

from .reference import reference


def _approx(x):
    return pytest.approx(x, rel=1e-9, abs=1e-9)


def _compare(actual, expected, path: str, errors: list[str]) -> None:
    if expected is None:
        if actual is not None:
            errors.append(f"{path}: expected None, got {actual!r}")
    elif isinstance(expected, bool):
        if not (isinstance(actual, bool) and actual is expected):
            errors.append(f"{path}: expected {expected!r}, got {actual!r}")
    elif isinstance(expected, int):
        if type(actual) is not int or actual != expected:
            errors.append(f"{path}: expected int {expected!r}, got {actual!r} ({type(actual).__name__})")
    elif isinstance(expected, float):
        if (actual is None or isinstance(actual, bool) or not isinstance(actual, int | float)
                or actual != _approx(expected)):
            errors.append(f"{path}: expected {expected!r}, got {actual!r}")
    elif isinstance(expected, str):
        if actual != expected:
            errors.append(f"{path}: expected {expected!r}, got {actual!r}")
    elif isinstance(expected, dict):
        if not isinstance(actual, dict):
            errors.append(f"{path}: expected a dict, got {actual!r}")
            return
        if set(actual) != set(expected):
            errors.append(f"{path}: keys differ: missing {sorted(set(expected) - set(actual))}, "
                          f"extra {sorted(set(actual) - set(expected))}")
        for key in expected:
            if key in actual:
                _compare(actual[key], expected[key], f"{path}.{key}", errors)
    else:  # pragma: no cover
        raise TypeError(type(expected))


def _check(item_dims: dict[str, list[str]], records: list[dict], *, three_column: bool, scale: int,
           min_sample: int, n_groups: int, scopes: dict | None = None, label: str = "") -> None:
    item_codes = [c for items in item_dims.values() for c in items]
    owners = [j for j, items in enumerate(item_dims.values()) for _ in items]
    dsg = Design(item_codes=tuple(item_codes), item_dimensions=tuple(owners),
                 dimension_codes=tuple(item_dims), scale=scale, three_column=three_column,
                 min_sample=min_sample)
    if scopes is None:
        gs = list(range(n_groups))
        scopes = {f"g{g}": [g] for g in gs}
        scopes.update({f"g{a}+g{b}": [a, b] for a, b in itertools.combinations(gs, 2)})
        scopes["all"] = gs
    actual = compute_scopes(dsg, Responses.from_records(dsg, records), scopes, n_groups)
    errors: list[str] = []
    for key, groups in scopes.items():
        exp = reference(item_codes=item_codes, item_dimensions=owners, dimension_codes=list(item_dims),
                        three_column=three_column, min_sample=min_sample, records=records, groups=groups)
        got = actual[key]
        where = f"{label}[{key}]"
        _compare(got["n_responses"], exp["n_responses"], f"{where}.n_responses", errors)
        _compare(got["gap5"], exp["gap5"], f"{where}.gap5", errors)
        _compare(got["zone"], exp["zone"], f"{where}.zone", errors)
        _compare(got["ipa"], exp["ipa"], f"{where}.ipa", errors)
        for item, fig in exp["gap1_items"].items():
            for k, v in fig.items():
                _compare(got["gap1"]["items"][item][k], v, f"{where}.gap1.items.{item}.{k}", errors)
    assert not errors, f"{len(errors)} mismatches:\n" + "\n".join(errors[:40])


# ------------------------------------------------------------------ random data sets


def _split(rng: random.Random, dims: list[str]) -> dict[str, int]:
    """Random non-negative integer points summing to exactly 100 (some dimensions 0)."""
    if len(dims) == 1:
        return {dims[0]: 100}
    zero = {d for d in dims if rng.random() < 0.25}
    live = [d for d in dims if d not in zero] or [dims[0]]
    cuts = sorted(rng.randint(0, 100) for _ in range(len(live) - 1))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    out = dict.fromkeys(dims, 0)
    out.update(zip(live, parts, strict=True))
    assert sum(out.values()) == 100
    return out


def _random_case(seed: int) -> dict:
    rng = random.Random(seed)
    n_dims = rng.randint(1, 5)
    item_dims = {f"dim{j}": [f"D{j}_I{i}" for i in range(rng.randint(1, 6))] for j in range(n_dims)}
    items = [c for v in item_dims.values() for c in v]
    scale = rng.randint(3, 10)
    three = rng.random() < 0.5
    min_sample = rng.randint(1, 6)
    n_groups = rng.randint(1, 4)
    n = rng.choice([0, 1, 2, 3, rng.randint(0, 40), rng.randint(10, 40)])
    columns = ("adequate", "expectation", "perception") if three else ("expectation", "perception")
    # per item and column: a constant value (zero-variance columns) or free
    constant = {(i, c): rng.randint(1, scale) for i in items for c in columns if rng.random() < 0.12}
    # some items with a constant difference P − E
    const_d = {i: rng.randint(-1, 1) for i in items if rng.random() < 0.1}
    importance_rate = rng.choice([0.0, 0.3, 0.7, 1.0])
    max_miss, skip_rate = rng.choice([(0.15, 0.0), (0.6, 0.15), (0.6, 0.05)])
    records = []
    for _ in range(n):
        group = rng.randrange(n_groups)
        imp = _split(rng, list(item_dims)) if rng.random() < importance_rate else None
        answers: dict[str, dict] = {}
        if rng.random() >= 0.08:  # else all-empty
            miss = rng.uniform(0.0, max_miss)
            skipped = {d for d in item_dims if rng.random() < skip_rate}
            for d, codes in item_dims.items():
                if d in skipped:
                    continue
                for i in codes:
                    a = {}
                    for c in columns:
                        v = constant.get((i, c), rng.randint(1, scale))
                        a[c] = None if rng.random() < miss else v
                    if i in const_d and a["expectation"] is not None and a["perception"] is not None:
                        a["perception"] = min(scale, max(1, a["expectation"] + const_d[i]))
                    if rng.random() < 0.1:  # ordered zone A ≤ D sometimes, inverted otherwise
                        if three and a["adequate"] and a["expectation"] and a["adequate"] > a["expectation"]:
                            a["adequate"], a["expectation"] = a["expectation"], a["adequate"]
                    answers[i] = a
        records.append({"group": group, "answers": answers, "importance": imp})
    return dict(item_dims=item_dims, records=records, three_column=three, scale=scale,
                min_sample=min_sample, n_groups=n_groups)


@pytest.mark.parametrize("seed", range(60))
def test_random_data_sets_match_reference(seed):
    case = _random_case(seed)
    _check(case.pop("item_dims"), case.pop("records"), label=f"seed{seed}", **case)


# ------------------------------------------------------------------ targeted edge cases


def _rec(group=0, importance=None, **answers):
    out = {}
    for code, v in answers.items():
        if len(v) == 2:
            out[code] = {"expectation": v[0], "perception": v[1]}
        else:
            out[code] = {"adequate": v[0], "expectation": v[1], "perception": v[2]}
    return {"group": group, "answers": out, "importance": importance}


DIMS = {"a": ["A1", "A2", "A3"], "b": ["B1", "B2"], "c": ["C1"]}


@pytest.mark.parametrize("three", [False, True])
def test_no_responses(three):
    _check(DIMS, [], three_column=three, scale=7, min_sample=5, n_groups=2, label="n0")


@pytest.mark.parametrize("three", [False, True])
def test_one_response(three):
    r = _rec(0, {"a": 0, "b": 37, "c": 63}, A1=(2, 5, 4), A2=(3, 6, 6), A3=(1, 1, 7), B1=(2, 3, 1),
             B2=(1, 4, 4), C1=(5, 6, 2))
    if not three:
        r = _rec(0, r["importance"], **{k: (v["expectation"], v["perception"]) for k, v in r["answers"].items()})
    _check(DIMS, [r], three_column=three, scale=7, min_sample=1, n_groups=2, label="n1")


def test_zero_variance_everywhere():
    # every d = −1 on every item; E and P constant per item, importance identical
    recs = [_rec(g, {"a": 50, "b": 25, "c": 25}, A1=(2, 5, 4), A2=(2, 5, 4), A3=(2, 5, 4), B1=(3, 3, 2),
                 B2=(3, 3, 2), C1=(1, 7, 6)) for g in (0, 0, 1, 1, 1)]
    _check(DIMS, recs, three_column=True, scale=7, min_sample=3, n_groups=2, label="sd0")


def test_zero_variance_with_non_terminating_means():
    # dimension scores of 1/3 reached through different item subsets (floating rounding must not matter)
    recs = [
        _rec(0, None, A1=(3, 4), A2=(3, 3), A3=(3, 3)),
        _rec(0, None, A1=(5, 5), A2=(2, 3), A3=(6, 6)),
        _rec(1, None, A1=(1, 1), A2=(4, 4), A3=(6, 7)),
    ]
    _check({"a": ["A1", "A2", "A3"]}, recs, three_column=False, scale=7, min_sample=2, n_groups=2, label="sd0b")


def test_inverted_zone():
    # adequate above desired: P between them reads below (tested first); P above both reads above
    recs = [
        _rec(0, None, A1=(6, 3, 4), A2=(7, 2, 5), A3=(5, 5, 5), B1=(6, 2, 7), B2=(4, 4, 4), C1=(6, 2, 1)),
        _rec(1, None, A1=(6, 4, 5), A2=(7, 1, 6), A3=(5, 5, 5), B1=(7, 3, 7), B2=(5, 4, 4), C1=(7, 3, 7)),
    ]
    _check(DIMS, recs, three_column=True, scale=7, min_sample=2, n_groups=2, label="inverted")


def test_ipa_ties_on_axis_means():
    # importance of b = 100/3 = the axis mean over a, b, c; performance of b = 5 = the axis mean
    recs = [
        _rec(0, {"a": 40, "b": 33, "c": 27}, A1=(4, 4), A2=(4, 4), A3=(4, 4), B1=(5, 5), B2=(5, 5), C1=(6, 6)),
        _rec(0, {"a": 20, "b": 33, "c": 47}, A1=(4, 4), A2=(4, 4), A3=(4, 4), B1=(5, 5), B2=(5, 5), C1=(6, 6)),
        _rec(1, {"a": 30, "b": 34, "c": 36}, A1=(4, 4), A2=(4, 4), A3=(4, 4), B1=(5, 5), B2=(5, 5), C1=(6, 6)),
    ]
    _check(DIMS, recs, three_column=False, scale=7, min_sample=1, n_groups=2, label="ipa-tie")


def test_ipa_tie_with_thirds():
    # performance values 13/3, 14/3, 5 → axis mean 14/3, equal to b's performance up to rounding
    recs = [
        _rec(0, {"a": 50, "b": 50}, A1=(4, 4), A2=(4, 4), A3=(4, 5), B1=(4, 5), B2=(4, 5)),
        _rec(0, {"a": 50, "b": 50}, A1=(4, 4), A2=(4, 4), A3=(4, 4), B1=(4, 4), B2=(4, 4)),
        _rec(0, {"a": 50, "b": 50}, A1=(4, 4), A2=(4, 5), A3=(4, 5), B1=(4, 5), B2=(4, 5)),
    ]
    _check({"a": ["A1", "A2", "A3"], "b": ["B1", "B2"]}, recs, three_column=False, scale=7, min_sample=1,
           n_groups=1, label="ipa-thirds")


def test_importance_without_answers_and_partial_ipa():
    # c has importance but nobody answers C1: c's quadrant is null, axes over a and b only
    recs = [
        _rec(0, {"a": 10, "b": 0, "c": 90}),
        _rec(0, None, A1=(3, 5), A2=(3, 5), B1=(4, 2), B2=(4, 2)),
        _rec(1, {"a": 60, "b": 40, "c": 0}, A1=(6, 2), A2=(5, 5), B1=(2, 7)),
    ]
    _check(DIMS, recs, three_column=False, scale=7, min_sample=2, n_groups=2, label="partial-ipa")


def test_weighted_zero_variance_under_float_rounding():
    # every dimension score is 1/3, so every weighted score is 1/3 mathematically, but
    # Σ points/100 · 1/3 rounds differently for different splits: sd is only ~1e-17 (§2: sd = 0)
    dims = {"x": ["X1", "X2", "X3"], "y": ["Y1", "Y2", "Y3"], "z": ["Z1", "Z2", "Z3"]}
    third = {f"{d}{i}": ((3, 4) if i == 1 else (3, 3)) for d in "XYZ" for i in (1, 2, 3)}
    recs = [_rec(0, {"x": x, "y": y, "z": z}, **third)
            for x, y, z in [(0, 4, 96), (0, 50, 50), (34, 33, 33), (1, 2, 97), (10, 20, 70)]]
    _check(dims, recs, three_column=False, scale=7, min_sample=2, n_groups=1, label="w-sd0")
