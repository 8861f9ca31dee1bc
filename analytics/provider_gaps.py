"""Gaps 1–4, the provider side of the gaps model (METHOD.md §6, §7).

Pure numpy/scipy: nothing here knows of Django, Celery or HTTP.

Like gap 5 (see analytics.gaps) the computation runs in two passes. `provider_sums`
reduces the manager answers and delivery observations of each unit (a *group*) to
running sums per item, kept in the same dict as gap 5's sums so that
`gaps.scope_sums` adds them up per scope; `scope_references` resolves, per scope,
the quality standard S and the promised level C of every item; `scopes_gaps_1_to_4`
turns the sums and references of all scopes into the §8 figures in one vectorised
pass (a scipy call per figure, not per scope).

Manager answers are integers, so their sums are exact; observations are floats
and carry sums of squared deviations from their group's mean (`obs_m2`), combined
across groups with Chan's formula by `gaps.scope_sums`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from analytics.stats import exact_var, float_var, sample_stats, welch_stats

if TYPE_CHECKING:
    from analytics.gaps import Design

GAP1_KEYS = ("gap", "mean_m", "mean_e", "n_managers", "n_customers", "p_value", "ci_low", "ci_high")
GAP2_KEYS = ("gap", "standard", "mean_m")
DELIVERY_KEYS = ("gap", "mean_d", "standard", "n", "sd", "se", "ci_low", "ci_high", "p_value", "low_sample")
GAP4_KEYS = DELIVERY_KEYS + ("promised",)
PROVIDER_SUM_KEYS = ("mgr_n", "mgr_s1", "mgr_s2", "obs_n", "obs_s1", "obs_m2")


class StandardRow(NamedTuple):
    """A quality standard S of one item: `unit` None is the audit's value, else a unit's override."""

    unit: int | None
    item: int  # index into the audit's items
    level: float


class PromiseRow(NamedTuple):
    """A promise of level C about one item; `unit` None is chain-wide. Null bounds are open."""

    unit: int | None
    item: int
    level: float
    valid_from: dt.date | None
    valid_to: dt.date | None


@dataclass(frozen=True)
class ProviderInputs:
    """A plain snapshot of one audit's provider-side inputs, items as indices into its
    frozen instrument (rows about other items are dropped when the snapshot is built).

    Manager answers are (answer sets × items) int16 with 0 = no opinion. Delivery
    observations come as sample rows (unit, item, n, Σx, M2 = Σ(x − mean)²): one row per
    observation (n = 1, M2 = 0) or per (unit, item) already summed by the database;
    `provider_sums` combines rows either way."""

    n_items: int
    manager_units: np.ndarray  # (s,) int64 unit of each manager answer set
    manager_answers: np.ndarray  # (s, m) int16, 0 = no opinion
    observation_units: np.ndarray  # (o,) int64
    observation_items: np.ndarray  # (o,) int64
    observation_n: np.ndarray  # (o,) int64
    observation_s1: np.ndarray  # (o,) float64
    observation_m2: np.ndarray  # (o,) float64
    standards: tuple[StandardRow, ...] = ()
    promises: tuple[PromiseRow, ...] = ()
    period_start: dt.date | None = None
    period_end: dt.date | None = None

    @classmethod
    def from_records(
        cls,
        item_codes: tuple[str, ...] | list[str],
        *,
        scale: int,
        managers: Iterable[tuple[int, Mapping[str, Any]]] = (),
        observations: Iterable[tuple[int, str, float]] = (),
        observation_sums: Iterable[tuple[int, str, int, float, float]] = (),
        standards: Iterable[tuple[int | None, str, float]] = (),
        promises: Iterable[tuple[int | None, str, float, dt.date | None, dt.date | None]] = (),
        period_start: dt.date | None = None,
        period_end: dt.date | None = None,
    ) -> ProviderInputs:
        """From plain rows: managers (unit, {item code: level | None}); observations
        (unit, item code, value) and/or observation_sums (unit, item code, n, Σx, M2);
        standards (unit | None, item code, level); promises (unit | None, item code,
        level, valid_from, valid_to).

        Items not in `item_codes` are ignored; so are manager answers that are not an
        integer in 1..scale and observations that are not finite (the write paths
        reject both, so this only keeps a stray row from breaking a recompute).
        """
        index = {code: i for i, code in enumerate(item_codes)}
        m = len(item_codes)
        manager_units: list[int] = []
        rows: list[list[int]] = []
        for unit, answers in managers:
            row = [0] * m
            for code, value in (answers or {}).items():
                i = index.get(code)
                if i is not None and type(value) is int and 1 <= value <= scale:
                    row[i] = value
            manager_units.append(unit)
            rows.append(row)
        samples = [(u, index[c], 1, float(v), 0.0) for u, c, v in observations
                   if c in index and v is not None and math.isfinite(v)]
        samples += [(u, index[c], int(n), float(s1), float(m2 or 0.0)) for u, c, n, s1, m2 in observation_sums
                    if c in index and n and math.isfinite(s1) and math.isfinite(m2 or 0.0)]
        columns = list(zip(*samples, strict=True)) or [(), (), (), (), ()]
        return cls(
            n_items=m,
            manager_units=np.array(manager_units, dtype=np.int64),
            manager_answers=np.array(rows, dtype=np.int16).reshape(len(rows), m),
            observation_units=np.array(columns[0], dtype=np.int64),
            observation_items=np.array(columns[1], dtype=np.int64),
            observation_n=np.array(columns[2], dtype=np.int64),
            observation_s1=np.array(columns[3], dtype=np.float64),
            observation_m2=np.array(columns[4], dtype=np.float64),
            standards=tuple(StandardRow(u, index[c], float(level)) for u, c, level in standards if c in index),
            promises=tuple(PromiseRow(u, index[c], float(level), start, end)
                           for u, c, level, start, end in promises if c in index),
            period_start=period_start,
            period_end=period_end,
        )

    @property
    def unit_ids(self) -> set[int]:
        """Every unit the manager answers and observations come from."""
        return set(self.manager_units.tolist()) | set(self.observation_units.tolist())


# ---------------------------------------------------------------- pass 1: per-group sums


def provider_sums(inputs: ProviderInputs, group_of: Mapping[int, int], n_groups: int) -> dict[str, np.ndarray]:
    """Per group g and item i (arrays of shape (n_groups, m)):
    mgr_n = #managers with an answer M, mgr_s1 = ΣM, mgr_s2 = ΣM² (exact integers);
    obs_n = #observations x, obs_s1 = Σx, obs_m2 = Σ(x − mean_g,i)², the observation
    rows r of (g, i) combined with Chan's formula: M2 = Σ M2_r + Σ n_r (mean_r − mean)²
    (for single observations, the two-pass sum of squared deviations).
    `group_of` maps each unit id of the inputs to its group."""
    m = inputs.n_items
    mgr_groups = np.array([group_of[u] for u in inputs.manager_units.tolist()], dtype=np.int64)
    answers = inputs.manager_answers.astype(np.int64)
    mgr_n, mgr_s1, mgr_s2 = (np.zeros((n_groups, m), dtype=np.int64) for _ in range(3))
    np.add.at(mgr_n, mgr_groups, (answers > 0).astype(np.int64))
    np.add.at(mgr_s1, mgr_groups, answers)
    np.add.at(mgr_s2, mgr_groups, answers * answers)

    obs_groups = np.array([group_of[u] for u in inputs.observation_units.tolist()], dtype=np.int64)
    key = obs_groups * m + inputs.observation_items
    n_r, s1_r = inputs.observation_n, inputs.observation_s1
    size = n_groups * m
    obs_n = np.bincount(key, weights=n_r, minlength=size).astype(np.int64)
    obs_s1 = np.bincount(key, weights=s1_r, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = obs_s1 / np.where(obs_n > 0, obs_n, 1)
        mean_r = s1_r / np.where(n_r > 0, n_r, 1)
    spread = inputs.observation_m2 + n_r * (mean_r - mean[key]) ** 2
    obs_m2 = np.bincount(key, weights=spread, minlength=size)
    return {
        "mgr_n": mgr_n, "mgr_s1": mgr_s1, "mgr_s2": mgr_s2,
        "obs_n": obs_n.reshape(n_groups, m), "obs_s1": obs_s1.reshape(n_groups, m),
        "obs_m2": obs_m2.reshape(n_groups, m),
    }


# ---------------------------------------------------------------- references per scope


def promise_counts(promise: PromiseRow, period_start: dt.date | None, period_end: dt.date | None) -> bool:
    """A promise counts for an audit when its validity [valid_from, valid_to] overlaps the
    audit period [period_start, period_end], both closed; a null bound is open."""
    starts_in_time = promise.valid_from is None or period_end is None or promise.valid_from <= period_end
    lasts_long_enough = promise.valid_to is None or period_start is None or promise.valid_to >= period_start
    return starts_in_time and lasts_long_enough


def lineage(unit: int, parents: Mapping[int, int | None]) -> list[int]:
    """The unit, its parent, its parent's parent … up to the root (a cycle stops the walk)."""
    out: list[int] = []
    current: int | None = unit
    while current is not None and current not in out:
        out.append(current)
        current = parents.get(current)
    return out


def scope_references(
    inputs: ProviderInputs, parents: Mapping[int, int | None], scope_keys: Iterable[Hashable]
) -> dict[Hashable, tuple[np.ndarray, np.ndarray]]:
    """(S, C) per scope: two (m,) float arrays, NaN where undefined.

    S, the quality standard: for a unit scope U, per item, the override of U or else of
    its nearest ancestor that has one, else the audit's value (unit null); for the
    whole-audit scope (key None) the audit's value only.
    C, the promised level: the highest level of the promises that count for the audit
    (`promise_counts`) and apply to the scope: for the whole audit the promises whose
    unit is null; for a unit U those whose unit is null, U or an ancestor of U.
    """
    m = inputs.n_items
    audit_standard = np.full(m, np.nan)
    unit_standard: dict[int, np.ndarray] = {}
    for row in inputs.standards:
        target = audit_standard if row.unit is None else unit_standard.setdefault(row.unit, np.full(m, np.nan))
        target[row.item] = row.level
    counting = [p for p in inputs.promises if promise_counts(p, inputs.period_start, inputs.period_end)]

    out: dict[Hashable, tuple[np.ndarray, np.ndarray]] = {}
    for key in scope_keys:
        chain = [] if key is None else lineage(key, parents)
        standard = np.full(m, np.nan)
        for unit in chain:
            override = unit_standard.get(unit)
            if override is not None:
                standard = np.where(np.isnan(standard), override, standard)
        standard = np.where(np.isnan(standard), audit_standard, standard)
        promised = np.full(m, np.nan)
        applies = {None, *chain}
        for p in counting:
            if p.unit in applies:
                promised[p.item] = np.fmax(promised[p.item], p.level)
        out[key] = (standard, promised)
    return out


# ---------------------------------------------------------------- pass 2: figures


def _floats(x: np.ndarray) -> list[float | None]:
    """Plain floats for JSON, NaN and infinities as None."""
    return [v if math.isfinite(v) else None for v in np.asarray(x, dtype=float).tolist()]


def _summary(design: Design, item_gaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per scope (rows of `item_gaps`, scopes × items): a dimension's gap is the mean of
    its items' gaps where defined, the overall gap the mean of the dimension gaps where
    defined; NaN when none is. Returns (dimension gaps (scopes × dimensions), overall)."""
    def defined_mean(x: np.ndarray) -> np.ndarray:
        ok = np.isfinite(x)
        count = ok.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, np.where(ok, x, 0.0).sum(axis=1) / count, np.nan)

    dims = np.stack([defined_mean(item_gaps[:, design.dimension_items(j)])
                     for j in range(len(design.dimension_codes))], axis=1)
    return dims, defined_mean(dims)


def _blocks(design: Design, item_gaps: np.ndarray, rows: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One §8 gap block per scope from its item gaps and item rows."""
    dims, overall = _summary(design, item_gaps)
    out = []
    for k, scope_rows in enumerate(rows):
        out.append({
            "overall": {"gap": _floats(overall[k : k + 1])[0]},
            "dimensions": {c: {"gap": g} for c, g in zip(design.dimension_codes, _floats(dims[k]), strict=True)},
            "items": dict(zip(design.item_codes, scope_rows, strict=True)),
        })
    return out


def _rows(columns: dict[str, np.ndarray | list], shape: tuple[int, int]) -> list[list[dict[str, Any]]]:
    """Per scope, per item, one dict of the columns (each a scopes × items array; float
    arrays become JSON floats, NaN None; lists are taken as they are)."""
    k, m = shape
    flat = {key: value if isinstance(value, list) else _floats(np.ravel(value)) for key, value in columns.items()}
    keys = list(flat)
    values = list(zip(*(flat[key] for key in keys), strict=True))
    return [[dict(zip(keys, values[s * m + i], strict=True)) for i in range(m)] for s in range(k)]


def _delivery(n: np.ndarray, mean_d: np.ndarray, var_d: np.ndarray, reference: np.ndarray,
              standard: np.ndarray, min_sample: int) -> tuple[np.ndarray, dict[str, np.ndarray | list]]:
    """Observations x against a reference R (S for gap 3, C for gap 4): gap = mean_d − R;
    n, sd, se of x (§2); ci = gap ± t(0.975, n − 1)·se; p_value = one-sample t-test of x
    against R (= of the gap against 0). R null: gap, ci and p are null, mean_d, sd, se stay.
    n < 2: sd, se, ci, p null; sd = 0: se = 0, ci = gap, p null; n = 0: all null but n."""
    with np.errstate(invalid="ignore"):
        gap = mean_d - reference
    st = sample_stats(n, gap, var_d)
    counts = n.ravel().tolist()
    return st["mean"], {
        "gap": st["mean"], "mean_d": mean_d, "standard": standard, "n": counts, "sd": st["sd"], "se": st["se"],
        "ci_low": st["ci_low"], "ci_high": st["ci_high"], "p_value": st["p_value"],
        "low_sample": [c < min_sample for c in counts],
    }


def scopes_gaps_1_to_4(
    design: Design, sums: Mapping[Hashable, Mapping[str, np.ndarray]],
    references: Mapping[Hashable, tuple[np.ndarray, np.ndarray]] | None = None,
) -> dict[Hashable, dict[str, dict[str, Any]]]:
    """Gaps 1–4 of every scope in the §8 shape, all scopes in one vectorised pass.

    `sums` holds each scope's summed sums (gap 5's `eall_*` for the customers, the
    `provider_sums` keys for the provider side; a missing key means no data) and
    `references` each scope's (S, C) from `scope_references` (missing: none).

    Gap 1 = mean_m − mean_e, M the managers' answers and E every customer expectation
      answer in scope, with Welch's t-test (`stats.welch_stats`) for p_value and ci;
      n_managers, n_customers count the non-null answers.
    Gap 2 = S − mean_m.
    Gap 3 = mean_d − S, stats of the observations against S (`_delivery`).
    Gap 4 = mean_d − C, stats against C; `promised` = C, `standard` = S.
    Dimension gap = mean of its items' gaps where defined; overall = mean of the
    dimension gaps where defined (`_summary`).
    """
    keys = list(sums)
    m, k = len(design.item_codes), len(keys)
    references = references or {}

    def stack(name: str, dtype: type) -> np.ndarray:
        return np.array([np.asarray(sums[key][name], dtype=dtype) if name in sums[key]
                         else np.zeros(m, dtype=dtype) for key in keys], dtype=dtype).reshape(k, m)

    nan = np.full(m, np.nan)
    standard = np.array([references.get(key, (nan, nan))[0] for key in keys], dtype=float).reshape(k, m)
    promised = np.array([references.get(key, (nan, nan))[1] for key in keys], dtype=float).reshape(k, m)
    mn, ms1, ms2 = stack("mgr_n", np.int64), stack("mgr_s1", np.int64), stack("mgr_s2", np.int64)
    en, es1, es2 = stack("eall_n", np.int64), stack("eall_s1", np.int64), stack("eall_s2", np.int64)
    on, os1, om2 = stack("obs_n", np.int64), stack("obs_s1", float), stack("obs_m2", float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_m = np.where(mn > 0, ms1 / mn, np.nan)
        mean_e = np.where(en > 0, es1 / en, np.nan)
        mean_d = np.where(on > 0, os1 / on, np.nan)
        welch = welch_stats(mn, mean_m, exact_var(mn, ms1, ms2), en, mean_e, exact_var(en, es1, es2))
        gap2 = standard - mean_m
    var_d = float_var(on, om2)

    gap1_rows = _rows({
        "gap": welch["gap"], "mean_m": mean_m, "mean_e": mean_e, "n_managers": mn.ravel().tolist(),
        "n_customers": en.ravel().tolist(), "p_value": welch["p_value"], "ci_low": welch["ci_low"],
        "ci_high": welch["ci_high"],
    }, (k, m))
    gap2_rows = _rows({"gap": gap2, "standard": standard, "mean_m": mean_m}, (k, m))
    gap3, columns3 = _delivery(on, mean_d, var_d, standard, standard, design.min_sample)
    gap4, columns4 = _delivery(on, mean_d, var_d, promised, standard, design.min_sample)
    blocks = {
        "gap1": _blocks(design, welch["gap"], gap1_rows),
        "gap2": _blocks(design, gap2, gap2_rows),
        "gap3": _blocks(design, gap3, _rows(columns3, (k, m))),
        "gap4": _blocks(design, gap4, _rows({**columns4, "promised": promised}, (k, m))),
    }
    return {key: {name: blocks[name][s] for name in blocks} for s, key in enumerate(keys)}


def scope_gaps_1_to_4(
    design: Design, s: Mapping[str, np.ndarray], standard: np.ndarray | None = None,
    promised: np.ndarray | None = None,
) -> dict[str, dict[str, Any]]:
    """Gaps 1–4 of one scope (see `scopes_gaps_1_to_4`); S and C None: no standard, no promise."""
    nan = np.full(len(design.item_codes), np.nan)
    refs = {0: (nan if standard is None else standard, nan if promised is None else promised)}
    return scopes_gaps_1_to_4(design, {0: s}, refs)[0]
