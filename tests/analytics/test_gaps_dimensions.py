"""Gap 5 dimensions, overall, importance and weighted overall (METHOD §3)."""

import math

from ._helpers import approx, check_stats, design, p_two_sided, rec, run, tq

# rel has 3 items (needs ⌈3/2⌉ = 2 pairs), emp has 2 (needs 1)
D1 = design({"rel": ["R1", "R2", "R3"], "emp": ["M1", "M2"]})
# five items need 3 pairs, four need 2, one needs 1
DK = design({"five": ["F1", "F2", "F3", "F4", "F5"], "four": ["G1", "G2", "G3", "G4"], "one": ["H1"]})


def _k_records():
    return [
        # a: F1-F3 paired (d = -2, 0, 1), F4 only E -> 3 pairs: counts, score -1/3, E 4, P 11/3
        #    G1, G2 paired (d = 1, 0) -> 2 pairs: counts, score 0.5, E 3, P 3.5
        #    H1 (5,7) -> d 2
        rec(F1=(4, 2), F2=(5, 5), F3=(3, 4), F4=(6, None), G1=(2, 3), G2=(4, 4), H1=(5, 7)),
        # b: 2 pairs of five (too few), 1 pair of four (too few), H1 (3,3) d 0
        rec(F1=(1, 2), F2=(2, 3), G1=(6, 1), G2=(None, 5), H1=(3, 3)),
        # c: all five (7,6) -> score -1, E 7, P 6; G1-G3 paired d = 0,1,2 -> 1, E 5, P 6; no H1
        rec(F1=(7, 6), F2=(7, 6), F3=(7, 6), F4=(7, 6), F5=(7, 6),
            G1=(5, 5), G2=(5, 6), G3=(5, 7), G4=(None, 3)),
    ]


def test_dimension_needs_ceil_half_of_its_items_paired():
    dims = run(DK, _k_records())["gap5"]["dimensions"]
    assert dims["five"]["n"] == 2   # a (3 of 5), c (5 of 5); b has 2 of 5
    assert dims["four"]["n"] == 2   # a (2 of 4), c (3 of 4); b has 1 of 4
    assert dims["one"]["n"] == 2    # a, b (1 of 1); c has none


def test_dimension_gap_and_means_over_the_same_paired_items():
    dims = run(DK, _k_records())["gap5"]["dimensions"]
    # five: scores -1/3, -1 -> gap -2/3; E 4, 7 -> 5.5; P 11/3, 6 -> 29/6 (29/6 - 33/6 = -2/3)
    # sd = |(-1/3) - (-1)| / sqrt2 = (2/3)/sqrt2 = sqrt2/3; se = 1/3; t = -2
    check_stats(dims["five"], gap=-2 / 3, n=2, sd=math.sqrt(2) / 3, mean_e=5.5, mean_p=29 / 6,
                low_sample=True)
    assert dims["five"]["se"] == approx(1 / 3)
    assert dims["five"]["p_value"] == approx(p_two_sided(-2.0, 1))
    # four: scores 0.5, 1 -> 0.75; E 3, 5 -> 4; P 3.5, 6 -> 4.75; sd = 0.5/sqrt2, se 0.25, t 3
    check_stats(dims["four"], gap=0.75, n=2, sd=0.5 / math.sqrt(2), mean_e=4.0, mean_p=4.75)
    assert dims["four"]["ci_low"] == approx(0.75 - tq(1) * 0.25)
    # one: scores 2, 0 -> 1; E 5, 3 -> 4; P 7, 3 -> 5; sd = 2/sqrt2 = sqrt2, se 1, t 1
    check_stats(dims["one"], gap=1.0, n=2, sd=math.sqrt(2), mean_e=4.0, mean_p=5.0)
    assert dims["one"]["p_value"] == approx(p_two_sided(1.0, 1))


def test_overall_counts_only_responses_scored_in_every_dimension():
    res = run(DK, _k_records())["gap5"]["overall"]
    # only a has all three: mean(-1/3, 1/2, 2) = (-2 + 3 + 12)/18 = 13/18
    # E = mean(4, 3, 5) = 4; P = mean(11/3, 7/2, 7) = (22 + 21 + 42)/18 = 85/18
    assert res["n"] == 1
    assert res["gap"] == approx(13 / 18)
    assert res["mean_e"] == approx(4.0)
    assert res["mean_p"] == approx(85 / 18)
    assert res["sd"] is None and res["p_value"] is None
    # the mean of the dimension gaps would be (-2/3 + 3/4 + 1)/3 = 13/36: not the overall
    assert res["gap"] != approx(13 / 36)


def _d1_records(importance=False):
    imp = (lambda r, e: {"rel": r, "emp": e}) if importance else (lambda r, e: None)
    return [
        # r1: rel d -2,0,-1 -> -1 (E 5, P 4); emp d 1,-1 -> 0 (E 4, P 4); overall -0.5 (E 4.5, P 4)
        rec(importance=imp(70, 30), R1=(5, 3), R2=(4, 4), R3=(6, 5), M1=(4, 5), M2=(4, 3)),
        # r2: rel d 0,-2 -> -1 (E 6.5, P 5.5); emp M1 d 3 -> 3 (E 3, P 6); overall 1 (E 4.75, P 5.75)
        rec(importance=imp(0, 100), R1=(7, 7), R2=(6, 4), M1=(3, 6), M2=(None, 2)),
        # r3: rel only 1 pair (skips the dimension); emp d 0,0 -> 0 (E 5.5, P 5.5); no overall
        rec(importance=imp(50, 50), R1=(2, 5), M1=(5, 5), M2=(6, 6)),
        # r4: nothing answered (importance only, when given)
        rec(importance=imp(20, 80)),
    ]


def test_response_skipping_a_dimension_counts_for_the_others_not_for_overall():
    res = run(D1, _d1_records())["gap5"]
    # rel: r1 -1, r2 -1 -> gap -1, zero variance (floats, equal values): sd 0, p null
    # mean_e (5 + 6.5)/2 = 5.75, mean_p (4 + 5.5)/2 = 4.75
    check_stats(res["dimensions"]["rel"], gap=-1.0, n=2, sd=0.0, mean_e=5.75, mean_p=4.75)
    assert res["dimensions"]["rel"]["se"] == 0.0
    # emp: r1 0, r2 3, r3 0 -> gap 1; E (4 + 3 + 5.5)/3 = 25/6; P (4 + 6 + 5.5)/3 = 31/6
    # deviations -1, 2, -1 -> Σ² 6 -> var 3, sd sqrt3, se 1, t = 1, df 2
    check_stats(res["dimensions"]["emp"], gap=1.0, n=3, sd=math.sqrt(3), mean_e=25 / 6, mean_p=31 / 6)
    assert res["dimensions"]["emp"]["p_value"] == approx(p_two_sided(1.0, 2))
    # overall: r1 -0.5, r2 1 (r3 lacks rel) -> 0.25; E (4.5 + 4.75)/2 = 4.625; P (4 + 5.75)/2 = 4.875
    # sd = 1.5/sqrt2, se = 0.75, t = 1/3, df 1
    check_stats(res["overall"], gap=0.25, n=2, sd=1.5 / math.sqrt(2), mean_e=4.625, mean_p=4.875)
    assert res["overall"]["se"] == approx(0.75)


def test_overall_differs_from_mean_of_dimension_gaps_when_data_missing():
    res = run(D1, _d1_records())["gap5"]
    dims = res["dimensions"]
    # mean of dimension gaps = (-1 + 1)/2 = 0, the per-response overall is 0.25
    assert (dims["rel"]["gap"] + dims["emp"]["gap"]) / 2 == approx(0.0)
    assert res["overall"]["gap"] == approx(0.25)


def test_importance_is_mean_points_over_responses_that_gave_them():
    records = _d1_records(importance=True) + [rec(R1=(1, 1), R2=(1, 1), M1=(1, 1))]  # no points
    dims = run(D1, records)["gap5"]["dimensions"]
    # rel (70 + 0 + 50 + 20)/4 = 35; emp (30 + 100 + 50 + 80)/4 = 65 (r4 has no answers, still counts)
    assert dims["rel"]["importance"] == approx(35.0)
    assert dims["emp"]["importance"] == approx(65.0)


def test_importance_is_null_without_points():
    dims = run(D1, _d1_records())["gap5"]["dimensions"]
    assert dims["rel"]["importance"] is None and dims["emp"]["importance"] is None


def test_weighted_overall_uses_points_and_every_dimension_score():
    res = run(D1, _d1_records(importance=True))["gap5"]["weighted_overall"]
    assert set(res) == {"gap", "n", "sd", "se", "ci_low", "ci_high", "p_value", "low_sample"}
    # r1: 0.7·(-1) + 0.3·0 = -0.7; r2: 0·(-1) + 1·3 = 3; r3 (no rel score), r4 (nothing) excluded
    # mean 2.3/2 = 1.15; sd = 3.7/sqrt2; se = 1.85; t = 1.15/1.85, df 1
    check_stats(res, gap=1.15, n=2, sd=3.7 / math.sqrt(2), has_means=False, low_sample=True)
    assert res["se"] == approx(1.85)
    assert res["p_value"] == approx(p_two_sided(1.15 / 1.85, 1))


def test_weighted_overall_needs_a_score_in_a_zero_point_dimension():
    # all points on emp, but rel has no score: the response does not count
    records = [rec(importance={"rel": 0, "emp": 100}, M1=(2, 4), M2=(3, 3))]
    res = run(D1, records)["gap5"]
    assert res["weighted_overall"]["n"] == 0
    assert res["weighted_overall"]["gap"] is None
    assert res["dimensions"]["emp"]["gap"] == approx(1.0)  # d 2, 0 -> 1
    assert res["dimensions"]["emp"]["importance"] == approx(100.0)
    assert res["dimensions"]["rel"]["importance"] == approx(0.0)
