"""A deliberately naive reference for METHOD.md §2–§5 and §7 (plus gap 1's customer
side of §6), written from the spec alone: plain loops over per-response dicts, the
`statistics` and `math` modules, and scipy only for t quantiles and tail areas.

It shares no code with analytics/gaps.py. A record is the same plain dict the tests
feed to `Responses.from_records`:
{"group": int, "answers": {item: {"expectation", "perception", "adequate"}},
 "importance": {dimension: points} | None}.
"""

from __future__ import annotations

import math
import statistics
from functools import cache

from scipy.stats import t as student_t

TOL = 1e-9  # §2: every comparison uses a tolerance of 1e-9


@cache
def t975(df: int) -> float:
    return float(student_t.ppf(0.975, df))


def clean(x):
    """§2: NaN and infinities become null."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def sample(values: list[float], min_sample: int, reference: float = 0.0) -> dict:
    """§2 statistics of one sample: gap (mean), n, sd, se, ci_low, ci_high, p_value, low_sample."""
    n = len(values)
    out = {"gap": None, "n": n, "sd": None, "se": None, "ci_low": None, "ci_high": None,
           "p_value": None, "low_sample": n < min_sample}
    if n == 0:
        return out
    mean = statistics.fmean(values)
    out["gap"] = clean(mean)
    if n < 2:
        return out
    sd = statistics.stdev(values)
    out["sd"] = clean(sd)
    if sd <= TOL:  # sd = 0: all values equal
        out["se"] = 0.0
        out["ci_low"] = out["ci_high"] = clean(mean)
        return out
    se = sd / math.sqrt(n)
    half = t975(n - 1) * se
    out["se"] = clean(se)
    out["ci_low"] = clean(mean - half)
    out["ci_high"] = clean(mean + half)
    t_stat = (mean - reference) / se
    out["p_value"] = clean(2.0 * float(student_t.sf(abs(t_stat), n - 1)))
    return out


def with_means(stats: dict, es: list[float], ps: list[float]) -> dict:
    """An S figure: the §2 stats plus mean_e and mean_p (null when empty)."""
    out = dict(stats)
    out["mean_e"] = clean(statistics.fmean(es)) if es else None
    out["mean_p"] = clean(statistics.fmean(ps)) if ps else None
    return out


def mean_or_none(values: list[float]):
    return clean(statistics.fmean(values)) if values else None


def need(k: int) -> int:
    """⌈k/2⌉ items (5 → 3, 4 → 2, 1 → 1)."""
    return (k + 1) // 2


def cronbach(columns: list[list[float]]):
    """α = k/(k−1)·(1 − Σ s_i² / s_T²); columns[i][r] is item i of response r."""
    k = len(columns)
    if k < 2:
        return None
    n = len(columns[0])
    if n < 2:
        return None
    totals = [sum(col[r] for col in columns) for r in range(n)]
    s_t2 = statistics.variance(totals)
    if s_t2 <= TOL:
        return None
    s_i2 = sum(statistics.variance(col) for col in columns)
    return clean(k / (k - 1) * (1.0 - s_i2 / s_t2))


def _answer(record: dict, item: str, column: str):
    value = ((record.get("answers") or {}).get(item) or {}).get(column)
    return value if value else None  # 0 / None = no opinion


def position(mean_p: float, mean_a: float, mean_d: float) -> str:
    if mean_p < mean_a - TOL:
        return "below"
    if mean_p > mean_d + TOL:
        return "above"
    return "within"


def zone_figure(As: list[float], Ds: list[float], Ps: list[float], min_sample: int) -> dict:
    n = len(Ps)
    out = {"mean_adequate": None, "mean_desired": None, "mean_p": None, "msa": None, "mss": None,
           "position": None, "n": n, "low_sample": n < min_sample}
    if n == 0:
        return out
    ma, md, mp = statistics.fmean(As), statistics.fmean(Ds), statistics.fmean(Ps)
    out.update(mean_adequate=ma, mean_desired=md, mean_p=mp, msa=mp - ma, mss=mp - md,
               position=position(mp, ma, md))
    return out


def reference(
    *,
    item_codes: list[str],
    item_dimensions: list[int],
    dimension_codes: list[str],
    three_column: bool,
    min_sample: int,
    records: list[dict],
    groups,
) -> dict:
    """§3–§5 figures (and gap 1 items' customer side) over the records whose group is in `groups`."""
    groups = set(groups)
    scope = [r for r in records if r.get("group", 0) in groups]
    dim_items = {d: [item_codes[i] for i in range(len(item_codes)) if item_dimensions[i] == j]
                 for j, d in enumerate(dimension_codes)}

    # ---- per-response values
    per = []
    for r in scope:
        resp = {"pairs": {}, "triples": {}, "E": {}, "dim": {}, "zdim": {}, "imp": None}
        for item in item_codes:
            e = _answer(r, item, "expectation")
            p = _answer(r, item, "perception")
            a = _answer(r, item, "adequate") if three_column else None
            if e is not None:
                resp["E"][item] = e
            if e is not None and p is not None:
                resp["pairs"][item] = (e, p)
                if a is not None:
                    resp["triples"][item] = (a, e, p)
        for d, items in dim_items.items():
            paired = [resp["pairs"][i] for i in items if i in resp["pairs"]]
            if len(paired) >= need(len(items)):
                ds = [p - e for e, p in paired]
                resp["dim"][d] = (statistics.fmean(ds), statistics.fmean([e for e, _ in paired]),
                                  statistics.fmean([p for _, p in paired]))
            trip = [resp["triples"][i] for i in items if i in resp["triples"]]
            if three_column and len(trip) >= need(len(items)):
                resp["zdim"][d] = tuple(statistics.fmean([t[c] for t in trip]) for c in range(3))
        if r.get("importance"):
            resp["imp"] = {d: r["importance"][d] for d in dimension_codes}
        per.append(resp)

    # ---- gap 5 items
    items_out = {}
    for item in item_codes:
        pairs = [resp["pairs"][item] for resp in per if item in resp["pairs"]]
        st = sample([p - e for e, p in pairs], min_sample)
        items_out[item] = with_means(st, [e for e, _ in pairs], [p for _, p in pairs])

    # ---- gap 5 dimensions (+ importance, reliability)
    dims_out = {}
    for d, items in dim_items.items():
        vals = [resp["dim"][d] for resp in per if d in resp["dim"]]
        st = sample([v[0] for v in vals], min_sample)
        fig = with_means(st, [v[1] for v in vals], [v[2] for v in vals])
        imps = [resp["imp"][d] for resp in per if resp["imp"] is not None]
        fig["importance"] = mean_or_none(imps)
        complete = [resp for resp in per if all(i in resp["pairs"] for i in items)]
        fig["alpha_p"] = cronbach([[resp["pairs"][i][1] for resp in complete] for i in items])
        fig["alpha_e"] = cronbach([[resp["pairs"][i][0] for resp in complete] for i in items])
        fig["alpha_gap"] = cronbach([[resp["pairs"][i][1] - resp["pairs"][i][0] for resp in complete]
                                     for i in items])
        dims_out[d] = fig

    # ---- overall (unweighted) and weighted overall
    full = [resp for resp in per if all(d in resp["dim"] for d in dimension_codes)]
    overall = with_means(
        sample([statistics.fmean([resp["dim"][d][0] for d in dimension_codes]) for resp in full], min_sample),
        [statistics.fmean([resp["dim"][d][1] for d in dimension_codes]) for resp in full],
        [statistics.fmean([resp["dim"][d][2] for d in dimension_codes]) for resp in full],
    )
    weighted_scores = []
    for resp in full:
        if resp["imp"] is None:
            continue
        weighted_scores.append(sum(resp["imp"][d] / 100 * resp["dim"][d][0] for d in dimension_codes))
    weighted = sample(weighted_scores, min_sample)

    # ---- zone (§4)
    zone = None
    if three_column:
        z_items = {}
        for item in item_codes:
            trip = [resp["triples"][item] for resp in per if item in resp["triples"]]
            z_items[item] = zone_figure([t[0] for t in trip], [t[1] for t in trip], [t[2] for t in trip],
                                        min_sample)
        z_dims = {}
        for d in dimension_codes:
            trip = [resp["zdim"][d] for resp in per if d in resp["zdim"]]
            z_dims[d] = zone_figure([t[0] for t in trip], [t[1] for t in trip], [t[2] for t in trip],
                                    min_sample)
        zone = {"dimensions": z_dims, "items": z_items}

    # ---- IPA (§5)
    ipa = {}
    both = [d for d in dimension_codes
            if dims_out[d]["importance"] is not None and dims_out[d]["mean_p"] is not None]
    if both:
        axis_i = statistics.fmean([dims_out[d]["importance"] for d in both])
        axis_p = statistics.fmean([dims_out[d]["mean_p"] for d in both])
    for d in dimension_codes:
        imp, perf = dims_out[d]["importance"], dims_out[d]["mean_p"]
        quadrant = None
        if d in both:
            high_i = imp >= axis_i - TOL
            high_p = perf >= axis_p - TOL
            quadrant = {(True, False): "concentrate_here", (True, True): "keep_up",
                        (False, True): "possible_overkill", (False, False): "low_priority"}[(high_i, high_p)]
        ipa[d] = {"importance": imp, "performance": perf, "quadrant": quadrant}

    # ---- gap 1 customer side (§6): over all customer expectation answers
    gap1_items = {}
    for item in item_codes:
        es = [resp["E"][item] for resp in per if item in resp["E"]]
        gap1_items[item] = {"mean_e": mean_or_none(es), "n_customers": len(es)}

    return {
        "n_responses": len(scope),
        "gap5": {"overall": overall, "weighted_overall": weighted, "dimensions": dims_out, "items": items_out},
        "zone": zone,
        "ipa": ipa,
        "gap1_items": gap1_items,
    }
