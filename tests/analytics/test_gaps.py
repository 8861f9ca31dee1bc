"""Gap 5 item figures and the shared statistics (METHOD §2, §3 items, §7 low_sample).

Every expected value is worked out by hand in the comments; scipy is used only
for the t quantile (t.ppf) and the two-sided p (t.sf).
"""

import math

import numpy as np

from analytics.gaps import STAT_KEYS
from analytics.stats import sample_stats

from ._helpers import approx, design, p_two_sided, rec, run, tq

D1 = design({"rel": ["R1", "R2", "R3"], "emp": ["M1", "M2"]})


def test_item_gap_mean_e_mean_p_sd_se_ci_and_paired_t_by_hand():
    # R1 pairs (E, P): (5,3) (4,4) (6,5) -> d = [-2, 0, -1]
    # mean_e = 15/3 = 5, mean_p = 12/3 = 4, gap = -1 (= mean_p - mean_e)
    # deviations from -1: [-1, 1, 0] -> Σ = 2 -> var = 2/2 = 1, sd = 1
    # se = 1/sqrt(3); ci = -1 ± t(0.975, 2)/sqrt(3); t = -1/(1/sqrt 3) = -sqrt 3
    res = run(D1, [rec(R1=(5, 3)), rec(R1=(4, 4)), rec(R1=(6, 5))])
    item = res["gap5"]["items"]["R1"]
    assert set(item) == set(STAT_KEYS)
    se = 1 / math.sqrt(3)
    assert item["gap"] == approx(-1.0)
    assert item["mean_e"] == approx(5.0)
    assert item["mean_p"] == approx(4.0)
    assert item["n"] == 3
    assert item["sd"] == approx(1.0)
    assert item["se"] == approx(se)
    assert item["ci_low"] == approx(-1 - tq(2) * se)
    assert item["ci_high"] == approx(-1 + tq(2) * se)
    assert item["p_value"] == approx(p_two_sided(-math.sqrt(3), 2))
    assert item["low_sample"] is True


def test_item_gap_uses_only_responses_with_both_answers():
    # Same three pairs as above plus (7, None) and (None, 2): those two are no pair.
    records = [rec(R1=(5, 3)), rec(R1=(4, 4)), rec(R1=(6, 5)),
               rec(R1=(7, None)), rec(R1=(None, 2))]
    item = run(D1, records)["gap5"]["items"]["R1"]
    assert item["n"] == 3
    # mean_e stays 5 (the lone E = 7 is not used), mean_p stays 4 (the lone P = 2 neither)
    assert item["mean_e"] == approx(5.0)
    assert item["mean_p"] == approx(4.0)
    assert item["gap"] == approx(-1.0)
    assert item["sd"] == approx(1.0)


def test_missing_answers_are_excluded_pairwise_per_item():
    # One response answers R1 fully but R2 only on E: it counts for R1, not for R2.
    records = [rec(R1=(2, 6), R2=(3, None)), rec(R1=(4, 4), R2=(5, 6)), rec(R2=(1, 3))]
    items = run(D1, records)["gap5"]["items"]
    # R1: d = [4, 0] -> mean 2, sd = 4/sqrt2 = 2 sqrt2, mean_e = 3, mean_p = 5
    assert items["R1"]["n"] == 2
    assert items["R1"]["gap"] == approx(2.0)
    assert items["R1"]["mean_e"] == approx(3.0)
    assert items["R1"]["mean_p"] == approx(5.0)
    assert items["R1"]["sd"] == approx(2 * math.sqrt(2))
    # R2: pairs (5,6) (1,3) -> d = [1, 2] -> mean 1.5, sd = 1/sqrt2; mean_e 3, mean_p 4.5
    assert items["R2"]["n"] == 2
    assert items["R2"]["gap"] == approx(1.5)
    assert items["R2"]["mean_e"] == approx(3.0)
    assert items["R2"]["mean_p"] == approx(4.5)
    assert items["R2"]["sd"] == approx(1 / math.sqrt(2))
    # se = sd/sqrt2 = 0.5; t = 1.5/0.5 = 3 with df 1
    assert items["R2"]["se"] == approx(0.5)
    assert items["R2"]["p_value"] == approx(p_two_sided(3.0, 1))


def test_item_with_one_pair_has_null_spread_and_low_sample():
    # R3: one pair (4, 6) -> gap 2, mean_e 4, mean_p 6, n = 1; sd/se/ci/p null
    item = run(D1, [rec(R3=(4, 6))])["gap5"]["items"]["R3"]
    assert item == {"gap": approx(2.0), "mean_e": approx(4.0), "mean_p": approx(6.0), "n": 1,
                    "sd": None, "se": None, "ci_low": None, "ci_high": None, "p_value": None,
                    "low_sample": True}


def test_item_without_pairs_is_all_null_but_n_zero():
    item = run(D1, [rec(R1=(4, 6)), rec(M2=(None, 3))])["gap5"]["items"]["M2"]
    assert item == {"gap": None, "mean_e": None, "mean_p": None, "n": 0, "sd": None, "se": None,
                    "ci_low": None, "ci_high": None, "p_value": None, "low_sample": True}
    assert isinstance(item["n"], int)


def test_item_with_zero_variance_has_sd_zero_collapsed_ci_and_null_p():
    # pairs (3,4) (5,6) (2,3): d = [1, 1, 1] -> gap 1, sd 0, se 0, ci = [1, 1], p null
    # mean_e = 10/3, mean_p = 13/3
    item = run(D1, [rec(R2=(3, 4)), rec(R2=(5, 6)), rec(R2=(2, 3))])["gap5"]["items"]["R2"]
    assert item["gap"] == approx(1.0)
    assert item["mean_e"] == approx(10 / 3)
    assert item["mean_p"] == approx(13 / 3)
    assert item["n"] == 3
    assert item["sd"] == 0.0
    assert item["se"] == 0.0
    assert item["ci_low"] == approx(1.0)
    assert item["ci_high"] == approx(1.0)
    assert item["p_value"] is None


def test_low_sample_flag_follows_design_min_sample():
    d3 = design({"rel": ["R1", "R2", "R3"], "emp": ["M1", "M2"]}, min_sample=3)
    # R1 has 3 pairs (= min_sample: not low), R2 has 2 (low)
    records = [rec(R1=(5, 3), R2=(1, 2)), rec(R1=(4, 4), R2=(2, 2)), rec(R1=(6, 5))]
    items = run(d3, records)["gap5"]["items"]
    assert items["R1"]["low_sample"] is False
    assert items["R2"]["low_sample"] is True
    # default min_sample is 5: the same R1 (n = 3) is low there
    assert run(D1, records)["gap5"]["items"]["R1"]["low_sample"] is True
    # with 5 pairs under the default it is not low
    five = [rec(R1=(4, 5))] * 5
    assert run(D1, five)["gap5"]["items"]["R1"]["low_sample"] is False


def test_n_responses_counts_all_empty_submissions():
    records = [rec(R1=(5, 3)), rec(), rec(group=0), rec(M1=(None, None))]
    res = run(D1, records)
    assert res["n_responses"] == 4
    assert isinstance(res["n_responses"], int)
    assert res["gap5"]["items"]["R1"]["n"] == 1


def test_no_responses_at_all_gives_nulls_and_zero_counts():
    res = run(D1, [])
    assert res["n_responses"] == 0
    assert res["gap5"]["overall"]["n"] == 0
    assert res["gap5"]["overall"]["gap"] is None
    assert res["gap5"]["weighted_overall"]["n"] == 0
    for code in ("rel", "emp"):
        dim = res["gap5"]["dimensions"][code]
        assert dim["n"] == 0
        assert all(dim[k] is None for k in dim if k not in ("n", "low_sample"))
        assert res["ipa"][code]["quadrant"] is None
    assert res["zone"] is None


def test_sample_stats_direct_on_hand_sums():
    # sample 1: n = 4, mean 2.5, var 5/3 (x = 1,2,3,4): sd = sqrt(5/3), se = sd/2
    # sample 2: n = 1; sample 3: n = 0; sample 4: n = 3, var 0
    out = sample_stats(np.array([4, 1, 0, 3]), np.array([2.5, 7.0, np.nan, -1.0]),
                       np.array([5 / 3, np.nan, np.nan, 0.0]))
    sd = math.sqrt(5 / 3)
    se = sd / 2
    assert out["sd"][0] == approx(sd)
    assert out["se"][0] == approx(se)
    assert out["ci_low"][0] == approx(2.5 - tq(3) * se)
    assert out["ci_high"][0] == approx(2.5 + tq(3) * se)
    assert out["p_value"][0] == approx(p_two_sided(2.5 / se, 3))
    assert out["mean"][1] == approx(7.0)
    assert all(np.isnan(out[k][1]) for k in ("sd", "se", "ci_low", "ci_high", "p_value"))
    assert all(np.isnan(out[k][2]) for k in ("mean", "sd", "se", "ci_low", "ci_high", "p_value"))
    assert out["sd"][3] == 0.0 and out["se"][3] == 0.0
    assert out["ci_low"][3] == -1.0 and out["ci_high"][3] == -1.0
    assert np.isnan(out["p_value"][3])
