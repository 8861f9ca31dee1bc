"""Unit roll-up with compute_scopes (METHOD §7): a scope's figures are those of
its pooled responses, so the per-group sums must combine exactly."""

import math

from ._helpers import approx, check_stats, design, rec, run_scopes

D1 = design({"rel": ["R1", "R2", "R3"], "emp": ["M1", "M2"]})
SCOPES = {"region": [0, 1], "hall0": [0], "hall1": [1], "empty": [2]}


def _records():
    return [
        # hall 0
        # g0a: rel d -2,0,-1 -> -1 (E 5, P 4); emp d 1,-1 -> 0 (E 4, P 4); overall -0.5
        rec(0, {"rel": 60, "emp": 40}, R1=(5, 3), R2=(4, 4), R3=(6, 5), M1=(4, 5), M2=(4, 3)),
        # g0b: rel d 1,2,0 -> 1 (E 8/3, P 11/3); emp d 0,0 -> 0 (E 5.5, P 5.5); overall 0.5
        rec(0, None, R1=(3, 4), R2=(2, 4), R3=(3, 3), M1=(5, 5), M2=(6, 6)),
        # hall 1
        # g1a: rel d 0,-2,0 -> -2/3 (E 17/3, P 5); emp d 3,0 -> 1.5 (E 2.5, P 4); overall 5/12
        rec(1, {"rel": 20, "emp": 80}, R1=(6, 6), R2=(7, 5), R3=(4, 4), M1=(3, 6), M2=(2, 2)),
        # g1b: rel 1 pair only (no score); emp M1 d -1 -> -1 (E 7, P 6)
        rec(1, None, R1=(1, 2), M1=(7, 6)),
        # g1c: all empty
        rec(1, None),
    ]


def _run():
    return run_scopes(D1, _records(), SCOPES, 3)


def test_region_item_equals_pooled_hand_figures():
    res = _run()
    # region R1: d = [-2, 1, 0, 1] -> mean 0, SS 6, var 2, sd sqrt2, se sqrt2/2, t 0 -> p = 1
    # mean_e (5+3+6+1)/4 = 15/4; mean_p (3+4+6+2)/4 = 15/4
    r1 = res["region"]["gap5"]["items"]["R1"]
    check_stats(r1, gap=0.0, n=4, sd=math.sqrt(2), mean_e=3.75, mean_p=3.75, low_sample=True)
    assert r1["p_value"] == approx(1.0)
    # hall0 R1: d = [-2, 1] -> -0.5, sd 3/sqrt2; mean_e 4, mean_p 3.5
    check_stats(res["hall0"]["gap5"]["items"]["R1"], gap=-0.5, n=2, sd=3 / math.sqrt(2),
                mean_e=4.0, mean_p=3.5)
    # hall1 R1: d = [0, 1] -> 0.5, sd 1/sqrt2; mean_e 3.5, mean_p 4
    check_stats(res["hall1"]["gap5"]["items"]["R1"], gap=0.5, n=2, sd=1 / math.sqrt(2),
                mean_e=3.5, mean_p=4.0)


def test_region_dimension_overall_and_weighted_equal_pooled_hand_figures():
    g5 = _run()["region"]["gap5"]
    # rel scores [-1, 1, -2/3] -> mean -2/9; deviations -7/9, 11/9, -4/9 -> SS 186/81, var 31/27
    # mean_e (5 + 8/3 + 17/3)/3 = 40/9; mean_p (4 + 11/3 + 5)/3 = 38/9
    check_stats(g5["dimensions"]["rel"], gap=-2 / 9, n=3, sd=math.sqrt(31 / 27), mean_e=40 / 9,
                mean_p=38 / 9)
    # emp scores [0, 0, 1.5, -1] -> mean 0.125; SS 2·0.015625 + 1.890625 + 1.265625 = 3.1875
    # var 1.0625; mean_e (4 + 5.5 + 2.5 + 7)/4 = 4.75; mean_p (4 + 5.5 + 4 + 6)/4 = 4.875
    check_stats(g5["dimensions"]["emp"], gap=0.125, n=4, sd=math.sqrt(1.0625), mean_e=4.75,
                mean_p=4.875)
    # overall [-0.5, 0.5, 5/12] -> 5/36; deviations -23/36, 13/36, 10/36 -> SS 798/1296, var 399/1296
    # E: g0a (5+4)/2 = 4.5, g0b (8/3 + 5.5)/2 = 49/12, g1a (17/3 + 2.5)/2 = 49/12 -> (54+49+49)/36 = 152/36
    # P: g0a 4, g0b (11/3 + 5.5)/2 = 55/12, g1a (5 + 4)/2 = 4.5 -> (48+55+54)/36 = 157/36
    check_stats(g5["overall"], gap=5 / 36, n=3, sd=math.sqrt(399 / 1296), mean_e=152 / 36,
                mean_p=157 / 36)
    # weighted: g0a 0.6·(-1) + 0.4·0 = -0.6; g1a 0.2·(-2/3) + 0.8·1.5 = 16/15 -> mean 7/30
    # sd = |16/15 + 9/15| / sqrt2 = (5/3)/sqrt2
    check_stats(g5["weighted_overall"], gap=7 / 30, n=2, sd=(5 / 3) / math.sqrt(2), has_means=False)


def test_region_alpha_combines_group_sums():
    res = _run()
    rel = res["region"]["gap5"]["dimensions"]["rel"]
    # complete cases g0a, g0b, g1a (in SS·9 units)
    # P: R1 3,4,6 (42); R2 4,4,5 (6); R3 5,3,4 (18); totals 12,11,15 (78) -> 1.5·(1 − 66/78) = 3/13
    assert rel["alpha_p"] == approx(3 / 13)
    # E: R1 5,3,6 (42); R2 4,2,7 (114); R3 6,3,4 (42); totals 15,8,17 (402) -> 1.5·204/402 = 51/67
    assert rel["alpha_e"] == approx(51 / 67)
    # d: R1 -2,1,0 (42); R2 0,2,-2 (72); R3 -1,0,0 (6); totals -3,3,-2 (186) -> 1.5·66/186 = 33/62
    assert rel["alpha_gap"] == approx(33 / 62)
    # hall0: two cases. P SS: R1 0.5, R2 0, R3 2; totals 12, 11 -> SS 0.5
    # alpha_p = 1.5·(1 − 2.5/0.5) = -6 (negative, reported)
    assert res["hall0"]["gap5"]["dimensions"]["rel"]["alpha_p"] == approx(-6.0)
    # hall1: one complete case -> null
    assert res["hall1"]["gap5"]["dimensions"]["rel"]["alpha_p"] is None


def test_scope_importance_ipa_and_n_responses_use_only_scope_responses():
    res = _run()
    assert res["region"]["n_responses"] == 5
    assert res["hall0"]["n_responses"] == 2
    assert res["hall1"]["n_responses"] == 3  # g1c is all empty
    assert res["empty"]["n_responses"] == 0
    # importance region (60+20)/2 = 40, (40+80)/2 = 60; hall0 60/40; hall1 20/80
    assert res["region"]["gap5"]["dimensions"]["rel"]["importance"] == approx(40.0)
    assert res["region"]["gap5"]["dimensions"]["emp"]["importance"] == approx(60.0)
    assert res["hall0"]["gap5"]["dimensions"]["rel"]["importance"] == approx(60.0)
    assert res["hall1"]["gap5"]["dimensions"]["emp"]["importance"] == approx(80.0)
    # region: perf rel 38/9 < emp 4.875 -> rel low imp/low perf, emp high/high
    assert res["region"]["ipa"]["rel"]["quadrant"] == "low_priority"
    assert res["region"]["ipa"]["emp"]["quadrant"] == "keep_up"
    # hall0: importance 60/40, perf rel (4 + 11/3)/2 = 23/6 < emp (4 + 5.5)/2 = 4.75
    assert res["hall0"]["ipa"]["rel"] == {"importance": approx(60.0), "performance": approx(23 / 6),
                                          "quadrant": "concentrate_here"}
    assert res["hall0"]["ipa"]["emp"]["quadrant"] == "possible_overkill"


def test_scope_without_responses_is_all_null():
    res = _run()["empty"]
    assert res["gap5"]["overall"]["n"] == 0 and res["gap5"]["overall"]["gap"] is None
    assert res["gap5"]["items"]["R1"]["n"] == 0 and res["gap5"]["items"]["R1"]["gap"] is None
    assert res["gap5"]["dimensions"]["rel"]["alpha_p"] is None
    assert res["gap5"]["dimensions"]["rel"]["importance"] is None
    assert res["ipa"]["rel"]["quadrant"] is None


def test_zero_variance_across_groups_is_exact_for_float_scores():
    d3 = design({"t": ["T1", "T2", "T3"]})
    # every response scores 1/3 on t (d = 1,0,0 or 0,0,1 or 0,1,0): sd must be exactly 0
    records = [rec(0, T1=(3, 4), T2=(5, 5), T3=(2, 2)), rec(0, T1=(6, 6), T2=(1, 1), T3=(4, 5)),
               rec(1, T1=(2, 2), T2=(3, 4), T3=(7, 7)), rec(1, T1=(5, 6), T2=(6, 6), T3=(1, 1)),
               rec(1, T1=(1, 1), T2=(1, 1), T3=(6, 7))]
    res = run_scopes(d3, records, {"region": [0, 1]}, 2)["region"]["gap5"]
    for fig in (res["dimensions"]["t"], res["overall"]):
        assert fig["n"] == 5
        assert fig["gap"] == approx(1 / 3)
        assert fig["sd"] == 0.0 and fig["se"] == 0.0
        assert fig["ci_low"] == approx(1 / 3) and fig["ci_high"] == approx(1 / 3)
        assert fig["p_value"] is None


def test_constant_groups_with_different_values_are_not_constant_together():
    d1 = design({"t": ["T1"]})
    # hall 0 all d = 1, hall 1 all d = 2: each hall sd 0; region d = [1,1,2,2]
    # mean 1.5, SS 4·0.25 = 1, var 1/3, sd sqrt(1/3)
    records = [rec(0, T1=(3, 4)), rec(0, T1=(4, 5)), rec(1, T1=(2, 4)), rec(1, T1=(5, 7))]
    res = run_scopes(d1, records, {"region": [0, 1], "h0": [0], "h1": [1]}, 2)
    assert res["h0"]["gap5"]["dimensions"]["t"]["sd"] == 0.0
    assert res["h1"]["gap5"]["dimensions"]["t"]["sd"] == 0.0
    assert res["h1"]["gap5"]["dimensions"]["t"]["p_value"] is None
    check_stats(res["region"]["gap5"]["dimensions"]["t"], gap=1.5, n=4, sd=math.sqrt(1 / 3),
                mean_e=3.5, mean_p=5.0)
    check_stats(res["region"]["gap5"]["overall"], gap=1.5, n=4, sd=math.sqrt(1 / 3),
                mean_e=3.5, mean_p=5.0)


def test_zone_dimension_rolls_up_across_groups():
    dz = design({"q": ["Q1", "Q2"]}, three_column=True)
    # k = 2 -> 1 triple needed. rec(ITEM=(A, D, P))
    # hall0 r1: Q1 (3,6,5), Q2 (5,6,4) -> A 4, D 6, P 4.5
    # hall1 r2: Q1 (2,4,6) only -> A 2, D 4, P 6; r3: Q2 (None,5,5) -> no triple
    # region: A 3, D 5, P 5.25 -> msa 2.25, mss 0.25 -> above; n 2
    records = [rec(0, Q1=(3, 6, 5), Q2=(5, 6, 4)), rec(1, Q1=(2, 4, 6)), rec(1, Q2=(None, 5, 5))]
    res = run_scopes(dz, records, {"region": [0, 1], "h1": [1]}, 2)
    z = res["region"]["zone"]["dimensions"]["q"]
    assert z == {"mean_adequate": approx(3.0), "mean_desired": approx(5.0), "mean_p": approx(5.25),
                 "msa": approx(2.25), "mss": approx(0.25), "position": "above", "n": 2,
                 "low_sample": True}
    assert res["h1"]["zone"]["dimensions"]["q"]["n"] == 1
    assert res["h1"]["zone"]["items"]["Q2"]["n"] == 0
