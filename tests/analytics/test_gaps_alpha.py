"""Cronbach's alpha per dimension (METHOD §3 Reliability).

α = k/(k−1)·(1 − Σ s_i² / s_T²). With a common n the (n − 1) divisors cancel,
so the hand arithmetic below uses sums of squared deviations (SS).
"""

import math

import numpy as np

from analytics.stats import cronbach_alpha

from ._helpers import approx, design, rec, run

DX = design({"x": ["X1", "X2", "X3"], "y": ["Y1"]})


def _complete_cases():
    # (E, P) on every item of x
    return [
        rec(X1=(5, 3), X2=(6, 4), X3=(7, 6), Y1=(4, 4)),
        rec(X1=(4, 4), X2=(4, 5), X3=(5, 5), Y1=(3, 5)),
        rec(X1=(6, 2), X2=(7, 2), X3=(7, 4), Y1=(6, 1)),
        rec(X1=(3, 5), X2=(5, 6), X3=(6, 7), Y1=(2, 2)),
    ]


def test_alpha_p_alpha_e_alpha_gap_by_hand_on_complete_cases():
    # An incomplete response (X3 without P) still counts for the dimension score
    # (2 of 3 pairs) but not for alpha.
    records = _complete_cases() + [rec(X1=(7, 1), X2=(7, 1), X3=(7, None))]
    res = run(DX, records)["gap5"]["dimensions"]["x"]
    assert res["n"] == 5
    # P: X1 3,4,2,5 (mean 3.5, SS 5); X2 4,5,2,6 (mean 4.25, SS 8.75); X3 6,5,4,7 (mean 5.5, SS 5)
    #    totals 13,14,8,18 (mean 13.25, SS 50.75)
    #    alpha_p = 3/2·(1 − 18.75/50.75) = 1.5·32/50.75
    assert res["alpha_p"] == approx(1.5 * 32 / 50.75)
    # E: X1 5,4,6,3 (SS 5); X2 6,4,7,5 (SS 5); X3 7,5,7,6 (SS 2.75); totals 18,13,20,14 (SS 32.75)
    #    alpha_e = 1.5·(1 − 12.75/32.75) = 1.5·20/32.75
    assert res["alpha_e"] == approx(1.5 * 20 / 32.75)
    # d = P − E: X1 -2,0,-4,2 (SS 20); X2 -2,1,-5,1 (SS 24.75); X3 -1,0,-3,1 (SS 8.75)
    #    totals -5,1,-12,4 (mean -3, SS 4+16+81+49 = 150); alpha_gap = 1.5·(1 − 53.5/150)
    assert res["alpha_gap"] == approx(1.5 * (1 - 53.5 / 150))


def test_alpha_is_null_for_a_one_item_dimension():
    res = run(DX, _complete_cases())["gap5"]["dimensions"]["y"]
    assert res["alpha_p"] is None and res["alpha_e"] is None and res["alpha_gap"] is None
    assert res["n"] == 4


def test_alpha_is_null_with_fewer_than_two_complete_cases():
    # only the first response has all three pairs
    records = _complete_cases()[:1] + [rec(X1=(4, 4), X2=(4, 5)), rec(X2=(1, 2), X3=(3, 3))]
    res = run(DX, records)["gap5"]["dimensions"]["x"]
    assert res["n"] == 3
    assert res["alpha_p"] is None and res["alpha_e"] is None and res["alpha_gap"] is None


def test_negative_alpha_is_reported_and_zero_total_variance_is_null():
    d2 = design({"z": ["Z1", "Z2"]})
    # E is 7 everywhere -> E totals all 14 -> s_T² = 0 -> alpha_e null
    # P: Z1 1,6,3 (mean 10/3, SS (49+64+1)/9 = 114/9); Z2 6,2,3 (mean 11/3, SS (49+25+4)/9 = 78/9)
    #    totals 7,8,6 (mean 7, SS 2 = 18/9) -> alpha_p = 2·(1 − 192/18) = -174/9
    # d = P − 7 is P shifted: the same variances -> alpha_gap = -174/9
    records = [rec(Z1=(7, 1), Z2=(7, 6)), rec(Z1=(7, 6), Z2=(7, 2)), rec(Z1=(7, 3), Z2=(7, 3))]
    res = run(d2, records)["gap5"]["dimensions"]["z"]
    assert res["alpha_p"] == approx(-174 / 9)
    assert res["alpha_gap"] == approx(-174 / 9)
    assert res["alpha_e"] is None


def test_cronbach_alpha_function_edge_cases():
    # k = 2, item vars 1 and 1, total var 3: 2·(1 − 2/3) = 2/3
    assert cronbach_alpha(2, 5, np.array([1.0, 1.0]), 3.0) == approx(2 / 3)
    assert math.isnan(cronbach_alpha(2, 1, np.array([1.0, 1.0]), 3.0))   # n < 2
    assert math.isnan(cronbach_alpha(1, 5, np.array([1.0]), 1.0))        # k < 2
    assert math.isnan(cronbach_alpha(3, 5, np.array([1.0, 1.0, 1.0]), 0.0))  # s_T² = 0
    # negative as computed: 3/2·(1 − 3/1) = -3
    assert cronbach_alpha(3, 5, np.array([1.0, 1.0, 1.0]), 1.0) == approx(-3.0)
