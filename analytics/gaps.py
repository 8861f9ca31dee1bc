"""Gap 5, reliability, zone of tolerance and importance–performance (METHOD.md §2–§5, §7);
gaps 1–4 (§6) come from analytics.provider_gaps, inside the same per-scope pass.

Pure numpy/scipy: nothing here knows of Django, Celery or HTTP.

Every figure of §3–§5 is a closed-form function of per-sample running sums
(n, Σx, Σx², and per-dimension item and total sums). So the computation runs in
two passes: `group_sums` reduces the responses of each unit (a *group*) to
those sums in one vectorised pass, and `scope_result` adds up the sums of the
groups in a scope (a unit and its descendants, or the whole audit) and turns
them into figures. Integer answers keep their sums exact; floating samples
(dimension and overall scores) carry sums of squared deviations from their
group's mean, combined across groups with Chan's formula, so that their sd is
accurate to rounding (and a constant sample's sd is far below TOL).

Answers come in feature-major (see `Responses`): unsigned byte matrices
(m items × n responses) with 0 meaning "no opinion", importance as a
(dimensions × n) integer matrix with -1 meaning "not given".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics import provider_gaps
from analytics.stats import TOL, cronbach_alpha, exact_var, float_var, sample_stats

STAT_KEYS = ("gap", "mean_e", "mean_p", "n", "sd", "se", "ci_low", "ci_high", "p_value", "low_sample")
ZONE_KEYS = ("mean_adequate", "mean_desired", "mean_p", "msa", "mss", "position", "n", "low_sample")


@dataclass(frozen=True)
class Design:
    """What the computation needs to know of an audit."""

    item_codes: tuple[str, ...]
    item_dimensions: tuple[int, ...]  # dimension index of each item
    dimension_codes: tuple[str, ...]
    scale: int
    three_column: bool
    min_sample: int = 5

    def dimension_items(self, d_index: int) -> np.ndarray:
        return np.flatnonzero(np.asarray(self.item_dimensions) == d_index)


@dataclass
class Responses:
    """One audit's responses, feature-major: E, P (and A) are (m items × n) uint8 with
    0 = missing, importance is (dimensions × n) int16 with -1 = not given. Feature-major
    arrays make each group's responses a contiguous run once sorted by group."""

    groups: np.ndarray  # (n,) int group (unit) index of each response
    expectation: np.ndarray
    perception: np.ndarray
    adequate: np.ndarray | None
    importance: np.ndarray

    @classmethod
    def from_rows(cls, groups: np.ndarray, expectation: np.ndarray, perception: np.ndarray,
                  adequate: np.ndarray | None, importance: np.ndarray) -> Responses:
        """From response-major (n × m) arrays."""
        def t(x: np.ndarray | None) -> np.ndarray | None:
            return None if x is None else np.ascontiguousarray(x.T)

        return cls(np.asarray(groups), t(expectation), t(perception), t(adequate), t(importance))

    @classmethod
    def from_records(cls, design: Design, records: list[dict[str, Any]]) -> Responses:
        """Build from plain records, for tests and small data.

        A record: {"group": int, "answers": {item: {"expectation", "perception",
        "adequate"}}, "importance": {dimension: points} | None}.
        """
        n, m, nd = len(records), len(design.item_codes), len(design.dimension_codes)
        blocks = {c: np.zeros((n, m), dtype=np.uint8) for c in ("expectation", "perception", "adequate")}
        importance = np.full((n, nd), -1, dtype=np.int16)
        for row, record in enumerate(records):
            for i, code in enumerate(design.item_codes):
                for column, block in blocks.items():
                    block[row, i] = (record.get("answers", {}).get(code) or {}).get(column) or 0
            if record.get("importance"):
                importance[row] = [record["importance"][c] for c in design.dimension_codes]
        return cls.from_rows(
            np.array([r.get("group", 0) for r in records], dtype=np.int64),
            blocks["expectation"], blocks["perception"],
            blocks["adequate"] if design.three_column else None, importance,
        )


# ---------------------------------------------------------------- pass 1: per-group sums


class _Grouper:
    """Per-group reductions over the last axis of arrays whose columns are responses
    sorted by group. Feature-major (features × responses) arrays make every group a
    contiguous run, which `ufunc.reduceat` sums several times faster than rows."""

    def __init__(self, groups: np.ndarray, n_groups: int):
        self.n_groups = n_groups
        # `groups` is sorted: each group starts where the value changes.
        self.starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]) if len(groups) else np.zeros(0, int)
        self.present = groups[self.starts]
        self.groups = groups
        self.n = len(groups)

    def _accumulator(self, dtype: np.dtype) -> type:
        """Exact integer sums: int32 (twice as fast) while n times the largest value
        the input type can hold stays below 2³¹; int64 otherwise; float64 for floats."""
        if dtype.kind not in "biu":
            return np.float64
        largest = 1 if dtype.kind == "b" else np.iinfo(dtype).max
        return np.int32 if self.n * largest < 2**31 else np.int64

    def sum(self, x: np.ndarray) -> np.ndarray:
        """(..., n) → (n_groups, ...) sums; exact int64 for integer input."""
        dtype = self._accumulator(x.dtype)
        out = np.zeros(x.shape[:-1] + (self.n_groups,), dtype=dtype)
        if len(self.starts):
            out[..., self.present] = np.add.reduceat(x, self.starts, axis=-1, dtype=dtype)
        out = np.moveaxis(out, -1, 0)
        return out.astype(np.int64) if x.dtype.kind in "biu" else out


def _ceil_half(k: int) -> int:
    return (k + 1) // 2


def _dimension_slices(design: Design) -> list[slice | np.ndarray]:
    """Each dimension's item rows: a slice when contiguous (the usual layout), else indices."""
    out: list[slice | np.ndarray] = []
    for j in range(len(design.dimension_codes)):
        idx = design.dimension_items(j)
        contiguous = len(idx) and idx[-1] - idx[0] + 1 == len(idx)
        out.append(slice(int(idx[0]), int(idx[-1]) + 1) if contiguous else idx)
    return out


def group_sums(design: Design, responses: Responses, n_groups: int) -> dict[str, np.ndarray]:
    """Reduce every response to the running sums of its group (first axis = group)."""
    groups = responses.groups
    already_sorted = bool(np.all(groups[:-1] <= groups[1:]))
    order = None if already_sorted else np.argsort(groups, kind="stable")
    if order is not None:
        groups = groups[order]
    G = _Grouper(groups, n_groups)
    n, nd = len(groups), len(design.dimension_codes)

    def features(block: np.ndarray) -> np.ndarray:
        return block if order is None else block[:, order]

    E, P = features(responses.expectation), features(responses.perception)  # (m × n) uint8
    W = features(responses.importance).astype(np.int16)  # (dimensions × n), -1 = none
    out: dict[str, np.ndarray] = {"responses": np.bincount(groups, minlength=n_groups)}

    # Items (§3): pairs answered on both sides. Answers ≤ 10 fit int8, d² ≤ 81 too.
    pair = (E > 0) & (P > 0)
    e = (E * pair).view(np.int8)
    p = (P * pair).view(np.int8)
    d = p - e
    out.update(item_n=G.sum(pair), item_e=G.sum(e), item_p=G.sum(p), item_d=G.sum(d), item_d2=G.sum(d * d))
    # Every expectation answer, paired or not: the customer side of gap 1 (§6).
    # E ≤ 10, so E² fits uint8; the sums are exact integers.
    out.update(eall_n=G.sum(E > 0), eall_s1=G.sum(E), eall_s2=G.sum(E * E))

    # Dimensions (§3): a response counts when ⌈k/2⌉ of the k items have a pair.
    score = np.full((nd, n), np.nan)
    dim_e = np.full((nd, n), np.nan)
    dim_p = np.full((nd, n), np.nan)
    slices = _dimension_slices(design)
    for j, rows in enumerate(slices):
        k = len(design.dimension_items(j))
        cnt = pair[rows].sum(axis=0, dtype=np.int16)
        ok = cnt >= _ceil_half(k)
        safe = np.where(ok, cnt, 1)
        for target, block in ((score, d), (dim_e, e), (dim_p, p)):
            target[j] = np.where(ok, block[rows].sum(axis=0, dtype=np.int16) / safe, np.nan)
        # Reliability sample: both E and P on every item of the dimension.
        complete = pair[rows].all(axis=0)
        out[f"alpha{j}_n"] = G.sum(complete)
        for name, block in (("p", p), ("e", e), ("d", d)):
            values = block[rows] * complete
            total = values.sum(axis=0, dtype=np.int32)
            out[f"alpha{j}_{name}_s1"] = G.sum(values)
            out[f"alpha{j}_{name}_s2"] = G.sum(values * values)
            out[f"alpha{j}_{name}_t1"] = G.sum(total)
            out[f"alpha{j}_{name}_t2"] = G.sum(total.astype(np.int64) ** 2)

    counts = np.bincount(groups, minlength=n_groups)

    def float_sample(prefix: str, values: np.ndarray, extra: dict[str, np.ndarray]) -> None:
        # Sums of squared deviations from each group's own mean (two passes), combined
        # across groups with Chan's formula in scope_sums: Σx² − (Σx)²/n cancels badly.
        # A constant sample then has sd within rounding of 0, far below TOL.
        ok = ~np.isnan(values)
        clean = np.where(ok, values, 0.0)
        n_g, s1_g = G.sum(ok), G.sum(clean)
        mean_g = np.moveaxis(s1_g / np.where(n_g > 0, n_g, 1), 0, -1)
        dev = np.where(ok, values - np.repeat(mean_g, counts, axis=-1), 0.0)
        out[f"{prefix}_n"] = n_g
        out[f"{prefix}_s1"] = s1_g
        out[f"{prefix}_m2"] = G.sum(dev * dev)
        for key, value in extra.items():
            out[f"{prefix}_{key}"] = G.sum(np.where(ok, value, 0.0))

    float_sample("dim", score, {"e": dim_e, "p": dim_p})
    overall = score.mean(axis=0)  # NaN unless every dimension has a score
    float_sample("overall", overall, {"e": dim_e.mean(axis=0), "p": dim_p.mean(axis=0)})
    # Weighted (§3): importance given and a score in every dimension.
    has_w = W[0] >= 0
    weighted = np.where(has_w, (score * W).sum(axis=0) / 100.0, np.nan)
    float_sample("weighted", weighted, {})
    out["importance_n"] = G.sum(has_w)
    out["importance_s1"] = G.sum((W * has_w).astype(np.int32))

    if design.three_column and responses.adequate is not None:
        A = features(responses.adequate)
        triple = (A > 0) & (E > 0) & (P > 0)
        a3, d3, p3 = (A * triple), (E * triple), (P * triple)
        out.update(zone_n=G.sum(triple), zone_a=G.sum(a3), zone_d=G.sum(d3), zone_p=G.sum(p3))
        zn = np.zeros((n_groups, nd), dtype=np.int64)
        za, zd, zp = (np.zeros((n_groups, nd)) for _ in range(3))
        for j, rows in enumerate(slices):
            cnt = triple[rows].sum(axis=0, dtype=np.int16)
            ok = cnt >= _ceil_half(len(design.dimension_items(j)))
            safe = np.where(ok, cnt, 1)
            zn[:, j] = G.sum(ok)
            for target, block in ((za, a3), (zd, d3), (zp, p3)):
                target[:, j] = G.sum(np.where(ok, block[rows].sum(axis=0, dtype=np.int16) / safe, 0.0))
        out.update(zdim_n=zn, zdim_a=za, zdim_d=zd, zdim_p=zp)
    return out


def scope_sums(sums: dict[str, np.ndarray], groups: list[int] | np.ndarray) -> dict[str, np.ndarray]:
    """Add up the sums of the groups in one scope (a unit and its descendants)."""
    idx = np.asarray(groups, dtype=np.int64)
    out = {}
    for key, value in sums.items():
        if key.endswith("_m2"):
            # Chan et al.: M2 = Σ M2_g + Σ n_g (mean_g − mean)².
            prefix = key[:-3]
            n_g, s1_g = sums[f"{prefix}_n"][idx], sums[f"{prefix}_s1"][idx]
            n = n_g.sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = s1_g.sum(axis=0) / np.where(n > 0, n, 1)
                mean_g = np.where(n_g > 0, s1_g / np.where(n_g > 0, n_g, 1), mean)
            out[key] = value[idx].sum(axis=0) + (n_g * (mean_g - mean) ** 2).sum(axis=0)
        else:
            out[key] = value[idx].sum(axis=0)
    return out


# ---------------------------------------------------------------- pass 2: figures


def _num(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _stat_rows(st: dict[str, np.ndarray], mean_e: Any, mean_p: Any, min_sample: int) -> list[dict]:
    rows = []
    for i in range(len(np.atleast_1d(st["n"]))):
        n = int(np.atleast_1d(st["n"])[i])
        row = {
            "gap": _num(np.atleast_1d(st["mean"])[i]),
            "mean_e": _num(np.atleast_1d(mean_e)[i]) if n else None,
            "mean_p": _num(np.atleast_1d(mean_p)[i]) if n else None,
            "n": n,
        }
        for key in ("sd", "se", "ci_low", "ci_high", "p_value"):
            row[key] = _num(np.atleast_1d(st[key])[i])
        row["low_sample"] = n < min_sample
        rows.append(row)
    return rows


def _float_stats(s: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    n = s[f"{prefix}_n"]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s[f"{prefix}_s1"] / n
    var = float_var(n, s[f"{prefix}_m2"])
    return sample_stats(n, mean, var)


def _zone_rows(n: np.ndarray, sa: np.ndarray, sd: np.ndarray, sp: np.ndarray, min_sample: int) -> list[dict]:
    rows = []
    for i in range(len(n)):
        count = int(n[i])
        if count == 0:
            row = dict.fromkeys(ZONE_KEYS)
        else:
            ma, md, mp = sa[i] / count, sd[i] / count, sp[i] / count
            position = "below" if mp < ma - TOL else "above" if mp > md + TOL else "within"
            row = {"mean_adequate": _num(ma), "mean_desired": _num(md), "mean_p": _num(mp),
                   "msa": _num(mp - ma), "mss": _num(mp - md), "position": position}
        row["n"] = count
        row["low_sample"] = count < min_sample
        rows.append(row)
    return rows


def ipa_defined(importance: Mapping[str, float | None], performance: Mapping[str, float | None]) -> list[str]:
    """The dimensions with both an importance and a performance (§5)."""
    return [c for c in importance if importance[c] is not None and performance.get(c) is not None]


def ipa_axis_means(
    importance: Mapping[str, float | None], performance: Mapping[str, float | None]
) -> tuple[float | None, float | None]:
    """(mean importance, mean performance) over the dimensions where both are defined (§5)."""
    both = ipa_defined(importance, performance)
    if not both:
        return None, None
    return float(np.mean([importance[c] for c in both])), float(np.mean([performance[c] for c in both]))


def ipa_quadrants(importance: dict[str, float | None], performance: dict[str, float | None]) -> dict[str, dict]:
    """Importance–performance quadrants (§5) around the means of the defined dimensions."""
    both = ipa_defined(importance, performance)
    out = {}
    mean_i, mean_p = ipa_axis_means(importance, performance)
    for code in importance:
        quadrant = None
        if code in both:
            high_i = importance[code] >= mean_i - TOL
            high_p = performance[code] >= mean_p - TOL
            quadrant = {
                (True, False): "concentrate_here", (True, True): "keep_up",
                (False, True): "possible_overkill", (False, False): "low_priority",
            }[(high_i, high_p)]
        out[code] = {"importance": importance[code], "performance": performance.get(code), "quadrant": quadrant}
    return out


def scope_result(
    design: Design, s: dict[str, np.ndarray], gaps_1_to_4: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Every §3–§6 figure of one scope from its summed running sums; `gaps_1_to_4` are its
    gap 1–4 blocks when computed already (provider_gaps.scopes_gaps_1_to_4), else they
    are computed here without standards or promises."""
    ms = design.min_sample
    items: dict[str, dict] = {}
    n = s["item_n"]
    with np.errstate(divide="ignore", invalid="ignore"):
        st = sample_stats(n, s["item_d"] / n, exact_var(n, s["item_d"], s["item_d2"]))
        rows = _stat_rows(st, s["item_e"] / n, s["item_p"] / n, ms)
    items = dict(zip(design.item_codes, rows, strict=True))

    with np.errstate(divide="ignore", invalid="ignore"):
        dim_rows = _stat_rows(_float_stats(s, "dim"), s["dim_e"] / s["dim_n"], s["dim_p"] / s["dim_n"], ms)
        overall = _stat_rows(_float_stats(s, "overall"), s["overall_e"] / s["overall_n"],
                             s["overall_p"] / s["overall_n"], ms)[0]
        weighted = _stat_rows(_float_stats(s, "weighted"), np.nan, np.nan, ms)[0]
        imp_n = int(s["importance_n"])
        importance = s["importance_s1"] / imp_n if imp_n else np.full(len(design.dimension_codes), np.nan)
    del weighted["mean_e"], weighted["mean_p"]

    dimensions: dict[str, dict] = {}
    for j, code in enumerate(design.dimension_codes):
        row = dim_rows[j]
        row["importance"] = _num(importance[j])
        k = len(design.dimension_items(j))
        n_cc = int(s[f"alpha{j}_n"])
        for name, key in (("p", "alpha_p"), ("e", "alpha_e"), ("d", "alpha_gap")):
            item_vars = exact_var(np.full(k, n_cc), s[f"alpha{j}_{name}_s1"], s[f"alpha{j}_{name}_s2"])
            total_var = float(exact_var(n_cc, s[f"alpha{j}_{name}_t1"], s[f"alpha{j}_{name}_t2"]))
            row[key] = _num(cronbach_alpha(k, n_cc, item_vars, total_var))
        dimensions[code] = row

    zone = None
    if design.three_column and "zone_n" in s:
        zone = {
            "dimensions": dict(zip(design.dimension_codes, _zone_rows(
                s["zdim_n"], s["zdim_a"], s["zdim_d"], s["zdim_p"], ms), strict=True)),
            "items": dict(zip(design.item_codes, _zone_rows(
                s["zone_n"], s["zone_a"], s["zone_d"], s["zone_p"], ms), strict=True)),
        }

    ipa = ipa_quadrants(
        {c: dimensions[c]["importance"] for c in design.dimension_codes},
        {c: dimensions[c]["mean_p"] for c in design.dimension_codes},
    )
    return {
        "n_responses": int(s["responses"]),
        **(gaps_1_to_4 or provider_gaps.scope_gaps_1_to_4(design, s)),
        "gap5": {"overall": overall, "weighted_overall": weighted, "dimensions": dimensions, "items": items},
        "zone": zone,
        "ipa": ipa,
    }


def add_sums(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Sums of disjoint sets of groups (e.g. computed in parallel) added together."""
    return {key: sum(part[key] for part in parts) for key in parts[0]}


def scope_figures(
    design: Design, sums: dict[str, np.ndarray], scopes: dict[Any, list[int]],
    references: Mapping[Any, tuple[np.ndarray, np.ndarray]] | None = None,
) -> dict[Any, dict]:
    """§3–§6 figures for every scope; a scope is the list of groups it covers. `sums` may
    hold the provider side too (provider_gaps.provider_sums), `references` each scope's
    S and C (provider_gaps.scope_references); without them gaps 1–4 have no provider data."""
    summed = {key: scope_sums(sums, groups) for key, groups in scopes.items()}
    # Gaps 1–4 of all scopes at once: one vectorised call instead of one per scope.
    provider = provider_gaps.scopes_gaps_1_to_4(design, summed, references)
    return {key: scope_result(design, s, provider[key]) for key, s in summed.items()}


def compute_scopes(
    design: Design, responses: Responses, scopes: dict[Any, list[int]], n_groups: int,
    provider: provider_gaps.ProviderInputs | None = None, parents: Mapping[int, int | None] | None = None,
) -> dict[Any, dict[str, Any]]:
    """§3–§6 figures for every scope; a scope is the list of groups it covers and is keyed
    by None (the whole audit) or a unit. With `provider`, its unit ids are the groups and
    `parents` (group → parent group) places the scopes' units for standards and promises."""
    sums = group_sums(design, responses, n_groups)
    references = None
    if provider is not None:
        sums.update(provider_gaps.provider_sums(provider, {g: g for g in range(n_groups)}, n_groups))
        references = provider_gaps.scope_references(provider, parents or {}, scopes)
    return scope_figures(design, sums, scopes, references)


def compute_one(design: Design, responses: Responses) -> dict[str, Any]:
    """§3–§5 figures over all the given responses (one scope)."""
    n_groups = int(responses.groups.max()) + 1 if len(responses.groups) else 1
    return compute_scopes(design, responses, {None: list(range(n_groups))}, n_groups)[None]
