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
