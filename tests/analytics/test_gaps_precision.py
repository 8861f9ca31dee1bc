"""Float dimension/overall scores must keep §2's 1e-9 agreement on large audits."""

import math

import numpy as np

from analytics.gaps import Design, Responses, compute_one

from ._helpers import approx


def test_dimension_sd_is_accurate_for_a_large_nearly_constant_sample():
    # n = 200 000 responses on a 3-item dimension: every response has E = 1, P = 7
    # (score 6) except the first, whose T1 has P = 6 (d = 5+6+6 = 17 -> score 17/3).
    # mean = 6 − (1/3)/n; SS = (1/3)²·(1 − 1/n) = (n − 1)/(9n)
    # var = SS/(n − 1) = 1/(9n) -> sd = 1/(3·sqrt(n)); se = sd/sqrt(n) = 1/(3n)
    n = 200_000
    dsg = Design(("T1", "T2", "T3"), (0, 0, 0), ("t",), 7, False)
    E = np.full((n, 3), 1, dtype=np.uint8)
    P = np.full((n, 3), 7, dtype=np.uint8)
    P[0, 0] = 6
    no_importance = np.full((n, 1), -1, dtype=np.int16)
    res = compute_one(dsg, Responses.from_rows(np.zeros(n, dtype=np.int64), E, P, None, no_importance))
    for fig in (res["gap5"]["dimensions"]["t"], res["gap5"]["overall"]):
        assert fig["n"] == n
        assert fig["gap"] == approx(6 - 1 / (3 * n))
        assert fig["sd"] == approx(1 / (3 * math.sqrt(n)))
        assert fig["se"] == approx(1 / (3 * n))


def test_alpha_sums_do_not_overflow_for_a_large_unit_of_long_dimensions():
    # 20 items on a 10-point scale: a response's total reaches 200, its square 40 000,
    # and 100 000 responses sum those squares past 2³¹.
    rng = np.random.default_rng(3)
    n, k = 100_000, 20
    dsg = Design(tuple(f"I{i}" for i in range(k)), (0,) * k, ("d",), 10, False)
    E = rng.integers(8, 11, (n, k)).astype(np.uint8)
    P = rng.integers(7, 11, (n, k)).astype(np.uint8)
    res = compute_one(dsg, Responses.from_rows(np.zeros(n, dtype=np.int64), E, P, None,
                                               np.full((n, 1), -1, dtype=np.int16)))

    def alpha(x: np.ndarray) -> float:
        x = x.astype(float)
        return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))

    dim = res["gap5"]["dimensions"]["d"]
    assert dim["alpha_e"] == approx(alpha(E))
    assert dim["alpha_p"] == approx(alpha(P))
    assert dim["alpha_gap"] == approx(alpha(P.astype(int) - E))
