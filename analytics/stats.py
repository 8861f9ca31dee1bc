"""The shared statistics of METHOD.md §2: t-based figures from sums, and Cronbach's alpha.

Pure numpy/scipy. Every comparison with zero uses the tolerance TOL (§2).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

TOL = 1e-9


def sample_stats(
    n: np.ndarray, mean: np.ndarray, var: np.ndarray, *, reference: np.ndarray | float = 0.0
) -> dict[str, np.ndarray]:
    """§2 figures for arrays of samples given n, mean and variance (ddof = 1).

    n < 2: sd, se, ci and p are NaN; var = 0 (within TOL): p is NaN, se = 0 and
    the CI collapses onto the mean; n = 0: everything is NaN.
    """
    n = np.asarray(n, dtype=float)
    mean = np.where(n > 0, mean, np.nan)
    many = n >= 2
    var = np.where(many, np.maximum(var, 0.0), np.nan)
    sd = np.sqrt(var)
    constant = many & (sd <= TOL)
    sd = np.where(constant, 0.0, sd)
    se = sd / np.sqrt(np.where(many, n, np.nan))
    df = np.where(many, n - 1, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = sps.t.ppf(0.975, df) * se
        t = (mean - reference) / se
        p = 2.0 * sps.t.sf(np.abs(t), df)
    p = np.where(constant | ~many, np.nan, p)
    return {
        "mean": mean, "n": n, "sd": sd, "se": se,
        "ci_low": mean - half, "ci_high": mean + half, "p_value": p,
    }


def exact_var(n: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Sample variance from exact integer sums: (nΣx² − (Σx)²) / (n(n − 1))."""
    n = np.asarray(n, dtype=np.int64)
    num = n * np.asarray(s2, dtype=np.int64) - np.asarray(s1, dtype=np.int64) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return num.astype(float) / (n * (n - 1)).astype(float)


def float_var(n: np.ndarray, m2: np.ndarray) -> np.ndarray:
    """Sample variance from the sum of squared deviations from the mean."""
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return m2 / (n - 1)


def cronbach_alpha(k: int, n: int, item_vars: np.ndarray, total_var: float) -> float:
    """α = k/(k−1)·(1 − Σ s_i² / s_T²); NaN when n < 2, k < 2 or s_T² = 0 (§3)."""
    if n < 2 or k < 2 or not total_var > TOL:
        return math.nan
    return k / (k - 1) * (1.0 - float(np.sum(item_vars)) / total_var)


def welch_stats(
    n1: np.ndarray, mean1: np.ndarray, var1: np.ndarray,
    n2: np.ndarray, mean2: np.ndarray, var2: np.ndarray,
) -> dict[str, np.ndarray]:
    """Welch's two-sample t-test of the difference mean1 − mean2 (METHOD.md §6, gap 1).

    Per element, with sample variances s1², s2² (ddof = 1):
      gap = mean1 − mean2                       (NaN unless n1 ≥ 1 and n2 ≥ 1)
      se  = sqrt(s1²/n1 + s2²/n2)               (needs n1 ≥ 2 and n2 ≥ 2, else se, df, ci, p are NaN)
      df  = se⁴ / ((s1²/n1)²/(n1 − 1) + (s2²/n2)²/(n2 − 1))   (Welch–Satterthwaite)
      t   = gap / se,  p_value = 2·t.sf(|t|, df)
      ci  = gap ∓ t.ppf(0.975, df)·se
    A variance within TOL of 0 (sd ≤ TOL) is 0, so its term adds nothing to df.
    se ≤ TOL (both samples constant): p and df are NaN and ci_low = ci_high = gap.
    """
    n1 = np.asarray(n1, dtype=float)
    n2 = np.asarray(n2, dtype=float)
    gap = np.where((n1 >= 1) & (n2 >= 1), np.asarray(mean1, dtype=float) - np.asarray(mean2, dtype=float), np.nan)
    many = (n1 >= 2) & (n2 >= 2)

    def clean(var: np.ndarray) -> np.ndarray:
        var = np.maximum(np.asarray(var, dtype=float), 0.0)
        return np.where(np.sqrt(var) <= TOL, 0.0, var)

    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(many, clean(var1) / n1, np.nan)
        b = np.where(many, clean(var2) / n2, np.nan)
        se = np.sqrt(a + b)
        constant = many & (se <= TOL)
        se = np.where(constant, 0.0, se)
        df = np.where(constant, np.nan, (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1)))
        t = gap / se
        p = np.where(constant, np.nan, 2.0 * sps.t.sf(np.abs(t), df))
        half = np.where(constant, 0.0, sps.t.ppf(0.975, df) * se)
    return {"gap": gap, "se": se, "df": df, "ci_low": gap - half, "ci_high": gap + half, "p_value": p}
