"""Zone of tolerance (METHOD §4) and importance–performance quadrants (§5)."""

from analytics.gaps import ZONE_KEYS, ipa_quadrants

from ._helpers import approx, design, rec, run

# q has 3 items (a response needs 2 items with A, D and P), s has 1
DZ = design({"q": ["Q1", "Q2", "Q3"], "s": ["S1"]}, three_column=True)


def _zone_records():
    # rec(ITEM=(A, D, P)); D is stored as the expectation
    return [
        rec(Q1=(3, 6, 5), Q2=(4, 6, 3), Q3=(2, 5, 6), S1=(5, 4, 5)),
        rec(Q1=(5, 7, 6), Q2=(4, 7, 4), Q3=(None, 6, 5), S1=(6, 5, 4)),
        rec(Q1=(4, 5, 7), S1=(4, 3, 4)),
    ]


def test_zone_item_means_msa_mss_and_position():
    zone = run(DZ, _zone_records())["zone"]
    items = zone["items"]
    assert set(items["Q1"]) == set(ZONE_KEYS)
    # Q1: A 3,5,4 -> 4; D 6,7,5 -> 6; P 5,6,7 -> 6; msa 2, mss 0; P = D is still within
    assert items["Q1"] == {"mean_adequate": approx(4.0), "mean_desired": approx(6.0),
                           "mean_p": approx(6.0), "msa": approx(2.0), "mss": approx(0.0),
                           "position": "within", "n": 3, "low_sample": True}
    # Q2: A 4,4 -> 4; D 6,7 -> 6.5; P 3,4 -> 3.5; msa -0.5, mss -3: below
    assert items["Q2"]["mean_desired"] == approx(6.5)
    assert items["Q2"]["msa"] == approx(-0.5)
    assert items["Q2"]["mss"] == approx(-3.0)
    assert items["Q2"]["position"] == "below"
    assert items["Q2"]["n"] == 2
    # Q3: only the first response has A: A 2, D 5, P 6; msa 4, mss 1: above
    assert items["Q3"]["n"] == 1
    assert items["Q3"]["msa"] == approx(4.0)
    assert items["Q3"]["mss"] == approx(1.0)
    assert items["Q3"]["position"] == "above"


def test_item_mss_can_differ_from_gap5_gap():
    res = run(DZ, _zone_records())
    # gap 5 for Q3 uses both (D, P) pairs (5,6) (6,5): gap 0, mean_e 5.5; the zone mss is 1
    assert res["gap5"]["items"]["Q3"]["gap"] == approx(0.0)
    assert res["gap5"]["items"]["Q3"]["n"] == 2
    assert res["zone"]["items"]["Q3"]["mss"] == approx(1.0)


def test_inverted_zone_reads_below_first():
    items = run(DZ, _zone_records())["zone"]["items"]
    # S1: A 5,6,4 -> 5; D 4,5,3 -> 4 (A > D); P 5,4,4 -> 13/3: above D but below A -> below
    s1 = items["S1"]
    assert s1["mean_adequate"] == approx(5.0)
    assert s1["mean_desired"] == approx(4.0)
    assert s1["mean_p"] == approx(13 / 3)
    assert s1["msa"] == approx(13 / 3 - 5)
    assert s1["mss"] == approx(13 / 3 - 4)
    assert s1["position"] == "below"


def test_zone_dimension_over_response_level_means_with_ceil_half_rule():
    dims = run(DZ, _zone_records())["zone"]["dimensions"]
    # q: r1 has 3 triples: A (3+4+2)/3 = 3, D (6+6+5)/3 = 17/3, P (5+3+6)/3 = 14/3
    #    r2 has 2 (Q1, Q2): A 4.5, D 7, P 5; r3 has 1 of 3 -> excluded
    #    mean A 3.75, D (17/3 + 7)/2 = 19/3, P (14/3 + 5)/2 = 29/6
    #    msa = 29/6 − 22.5/6 = 13/12; mss = 29/6 − 38/6 = -3/2 -> within
    assert dims["q"] == {"mean_adequate": approx(3.75), "mean_desired": approx(19 / 3),
                         "mean_p": approx(29 / 6), "msa": approx(13 / 12), "mss": approx(-1.5),
                         "position": "within", "n": 2, "low_sample": True}
    # s (1 item) = S1
    assert dims["s"]["n"] == 3
    assert dims["s"]["mean_p"] == approx(13 / 3)
    assert dims["s"]["position"] == "below"


def test_zone_with_no_triples_is_null_with_n_zero():
    dims = run(DZ, [rec(Q1=(None, 5, 5), S1=(None, 3, 3))])["zone"]
    assert dims["dimensions"]["q"] == {"mean_adequate": None, "mean_desired": None, "mean_p": None,
                                       "msa": None, "mss": None, "position": None, "n": 0,
                                       "low_sample": True}


def test_two_column_audit_has_no_zone():
    d2 = design({"q": ["Q1", "Q2", "Q3"], "s": ["S1"]})
    assert run(d2, [rec(Q1=(3, 4))])["zone"] is None


def test_ipa_quadrants_around_axis_means_of_defined_dimensions():
    # defined on a..d: importance mean (40+30+20+10)/4 = 25; performance mean (3+6+6+3)/4 = 4.5
    out = ipa_quadrants({"a": 40, "b": 30, "c": 20, "d": 10, "e": None},
                        {"a": 3, "b": 6, "c": 6, "d": 3, "e": 5})
    assert out["a"] == {"importance": 40, "performance": 3, "quadrant": "concentrate_here"}
    assert out["b"]["quadrant"] == "keep_up"
    assert out["c"]["quadrant"] == "possible_overkill"
    assert out["d"]["quadrant"] == "low_priority"
    assert out["e"] == {"importance": None, "performance": 5, "quadrant": None}


def test_ipa_tie_on_axis_mean_counts_as_high():
    # importance 60, 20, 40 -> mean 40: c ties -> high; performance 5, 5, 5 -> all tie -> high
    out = ipa_quadrants({"a": 60, "b": 20, "c": 40}, {"a": 5.0, "b": 5.0, "c": 5.0})
    assert out["c"]["quadrant"] == "keep_up"
    assert out["a"]["quadrant"] == "keep_up"
    assert out["b"]["quadrant"] == "possible_overkill"
    # within 1e-9 of the mean still counts as high
    out = ipa_quadrants({"a": 60, "b": 20, "c": 40 - 1e-12}, {"a": 4.0, "b": 6.0, "c": 5.0 - 1e-12})
    assert out["c"]["quadrant"] == "keep_up"


def test_ipa_null_performance_gives_null_quadrant():
    out = ipa_quadrants({"a": 50, "b": 50}, {"a": None, "b": 4.0})
    assert out["a"]["quadrant"] is None
    # b alone defines the means -> ties on both -> keep_up
    assert out["b"]["quadrant"] == "keep_up"


def test_ipa_from_responses_uses_importance_and_dimension_mean_p():
    d1 = design({"rel": ["R1", "R2", "R3"], "emp": ["M1", "M2"]})
    records = [
        rec(importance={"rel": 70, "emp": 30}, R1=(5, 3), R2=(4, 4), R3=(6, 5), M1=(4, 5), M2=(4, 3)),
        rec(importance={"rel": 0, "emp": 100}, R1=(7, 7), R2=(6, 4), M1=(3, 6)),
        rec(M1=(5, 5), M2=(6, 6)),
    ]
    ipa = run(d1, records)["ipa"]
    # importance rel (70+0)/2 = 35, emp 65 -> mean 50
    # performance = dimension mean_p: rel (4 + 5.5)/2 = 4.75; emp (4 + 6 + 5.5)/3 = 31/6 -> mean above 4.75
    assert ipa["rel"] == {"importance": approx(35.0), "performance": approx(4.75), "quadrant": "low_priority"}
    assert ipa["emp"] == {"importance": approx(65.0), "performance": approx(31 / 6), "quadrant": "keep_up"}


def test_ipa_all_null_without_importance_data():
    d1 = design({"rel": ["R1", "R2", "R3"], "emp": ["M1", "M2"]})
    ipa = run(d1, [rec(R1=(5, 3), R2=(4, 4), M1=(4, 5))])["ipa"]
    # performance still shown: rel P (3 + 4)/2 = 3.5, emp P 5
    assert ipa["rel"] == {"importance": None, "performance": approx(3.5), "quadrant": None}
    assert ipa["emp"] == {"importance": None, "performance": approx(5.0), "quadrant": None}
