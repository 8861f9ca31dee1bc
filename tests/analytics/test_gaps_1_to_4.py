"""Gaps 1–4 (METHOD.md §6) against numbers computed by hand; pure, no database.

Units are numbered like groups: 0 the chain, 1 region North (halls 2 and 3),
4 region South (hall 5). Scope keys are the units (None: the whole audit).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from analytics.gaps import Responses, compute_scopes
from analytics.provider_gaps import DELIVERY_KEYS, GAP1_KEYS, GAP2_KEYS, GAP4_KEYS, PromiseRow, ProviderInputs
from analytics.provider_gaps import promise_counts as counts
from analytics.stats import welch_stats
from tests.analytics._helpers import approx, design, p_two_sided, rec, tq

DSG = design({"reliability": ["REL1", "REL2"], "tangibles": ["TAN1"], "empathy": ["EMP1"]}, min_sample=3)
PARENTS = {0: None, 1: 0, 2: 1, 3: 1, 4: 0, 5: 4}
SCOPES = {None: [0, 1, 2, 3, 4, 5], 0: [0, 1, 2, 3, 4, 5], 1: [1, 2, 3], 2: [2], 3: [3], 4: [4, 5], 5: [5]}


def run(customers=(), *, dsg=DSG, period=(None, None), **provider) -> dict:
    """Every scope's figures from customer records and provider rows (see ProviderInputs.from_records)."""
    inputs = ProviderInputs.from_records(dsg.item_codes, scale=dsg.scale, period_start=period[0],
                                         period_end=period[1], **provider)
    return compute_scopes(dsg, Responses.from_records(dsg, list(customers)), SCOPES, 6, inputs, PARENTS)


def expectations(group: int, item: str, values: list[int | None]) -> list[dict]:
    """Customer records with these expectations of one item (perception 4, or none for the unpaired)."""
    return [rec(group, **{item: (e, 4)}) for e in values]


# ---------------------------------------------------------------- gap 1


def test_welch_matches_the_hand_formulas_and_scipy():
    # managers 6, 7, 5: mean 6, s² = (0 + 1 + 1)/2 = 1; customers 4..7: mean 5.5, s² = 5/3.
    w = welch_stats(np.array([3]), np.array([6.0]), np.array([1.0]), np.array([4]), np.array([5.5]),
                    np.array([5 / 3]))
    se = math.sqrt(1 / 3 + 5 / 12)  # = √0.75
    df = 0.75**2 / ((1 / 3) ** 2 / 2 + (5 / 12) ** 2 / 3)  # = 243/49
    assert df == approx(243 / 49)
    assert w["gap"][0] == approx(0.5) and w["se"][0] == approx(se) and w["df"][0] == approx(df)
    assert w["p_value"][0] == approx(2 * stats.t.sf(0.5 / se, df))
    assert w["ci_low"][0] == approx(0.5 - stats.t.ppf(0.975, df) * se)
    assert w["ci_high"][0] == approx(0.5 + stats.t.ppf(0.975, df) * se)
    ref = stats.ttest_ind([6, 7, 5], [4, 5, 6, 7], equal_var=False)
    assert w["p_value"][0] == approx(ref.pvalue) and w["df"][0] == approx(ref.df)
    low, high = ref.confidence_interval(0.95)
    assert w["ci_low"][0] == approx(low) and w["ci_high"][0] == approx(high)


def test_gap_1_is_managers_belief_minus_customers_expectation_with_welch_t():
    out = run(expectations(2, "REL1", [4, 5, 6, 7]),
              managers=[(2, {"REL1": 6}), (2, {"REL1": 7}), (2, {"REL1": 5, "REL2": None})])
    fig = out[2]["gap1"]["items"]["REL1"]
    assert list(fig) == list(GAP1_KEYS)
    se, df = math.sqrt(0.75), 243 / 49
    assert fig["gap"] == approx(0.5) and fig["mean_m"] == approx(6.0) and fig["mean_e"] == approx(5.5)
    assert fig["n_managers"] == 3 and fig["n_customers"] == 4
    assert fig["p_value"] == approx(2 * stats.t.sf(0.5 / se, df))
    assert fig["ci_low"] == approx(0.5 - stats.t.ppf(0.975, df) * se)
    assert fig["ci_high"] == approx(0.5 + stats.t.ppf(0.975, df) * se)
    assert fig["p_value"] == approx(stats.ttest_ind([6, 7, 5], [4, 5, 6, 7], equal_var=False).pvalue)
    # A null answer is no opinion: REL2 has no manager, so no gap (not zero).
    assert out[2]["gap1"]["items"]["REL2"] == {"gap": None, "mean_m": None, "mean_e": None, "n_managers": 0,
                                               "n_customers": 0, "p_value": None, "ci_low": None, "ci_high": None}


def test_gap_1_with_one_manager_has_a_gap_but_no_p_or_ci():
    out = run(expectations(2, "REL1", [4, 5, 6, 7]), managers=[(2, {"REL1": 7})])
    assert out[2]["gap1"]["items"]["REL1"] == {"gap": approx(1.5), "mean_m": 7.0, "mean_e": 5.5, "n_managers": 1,
                                               "n_customers": 4, "p_value": None, "ci_low": None, "ci_high": None}


def test_gap_1_with_one_customer_has_a_gap_but_no_p_or_ci():
    fig = run(expectations(2, "REL1", [4]), managers=[(2, {"REL1": 7}), (2, {"REL1": 5})])[2]["gap1"]["items"]["REL1"]
    assert fig["gap"] == approx(2.0) and fig["n_customers"] == 1 and fig["n_managers"] == 2
    assert fig["p_value"] is None and fig["ci_low"] is None and fig["ci_high"] is None


def test_gap_1_counts_every_customer_expectation_not_only_the_pairs():
    customers = [rec(2, REL1=(4, 4)), rec(2, REL1=(6, None)), rec(2, REL1=(None, 3))]
    fig = run(customers, managers=[(2, {"REL1": 5})])[2]["gap1"]["items"]["REL1"]
    assert fig["mean_e"] == approx(5.0) and fig["n_customers"] == 2 and fig["gap"] == approx(0.0)


def test_gap_1_with_constant_samples_has_no_p_and_a_point_ci():
    fig = run(expectations(2, "REL1", [5, 5]), managers=[(2, {"REL1": 6}), (2, {"REL1": 6})])[2]["gap1"]
    assert fig["items"]["REL1"]["gap"] == approx(1.0)
    assert fig["items"]["REL1"]["p_value"] is None
    assert fig["items"]["REL1"]["ci_low"] == approx(1.0) and fig["items"]["REL1"]["ci_high"] == approx(1.0)


def test_gap_1_with_constant_managers_takes_its_df_from_the_customers():
    # Managers 6, 6 (s² = 0) against customers 4..7: se² = (5/3)/4, df = n_e − 1 = 3.
    fig = run(expectations(2, "REL1", [4, 5, 6, 7]),
              managers=[(2, {"REL1": 6}), (2, {"REL1": 6})])[2]["gap1"]["items"]["REL1"]
    se = math.sqrt(5 / 12)
    assert fig["p_value"] == approx(p_two_sided(0.5 / se, 3))
    assert fig["ci_low"] == approx(0.5 - tq(3) * se) and fig["ci_high"] == approx(0.5 + tq(3) * se)


def test_a_region_pools_its_halls_managers_and_customers():
    customers = expectations(2, "REL1", [4, 5]) + expectations(3, "REL1", [6, 7]) + expectations(5, "REL1", [3])
    managers = [(2, {"REL1": 6}), (3, {"REL1": 7}), (3, {"REL1": 5}), (5, {"REL1": 2})]
    out = run(customers, managers=managers)
    north = out[1]["gap1"]["items"]["REL1"]  # the Welch example: [6, 7, 5] against [4, 5, 6, 7]
    assert (north["n_managers"], north["n_customers"]) == (3, 4)
    assert north["p_value"] == approx(2 * stats.t.sf(0.5 / math.sqrt(0.75), 243 / 49))
    # The audit: managers [6, 7, 5, 2] mean 5, s² = 14/3; customers [4, 5, 6, 7, 3] mean 5, s² = 5/2.
    whole = out[None]["gap1"]["items"]["REL1"]
    se2 = (14 / 3) / 4 + (5 / 2) / 5  # = 5/3
    df = se2**2 / (((14 / 3) / 4) ** 2 / 3 + ((5 / 2) / 5) ** 2 / 4)  # = 1200/223
    assert df == approx(1200 / 223)
    assert whole["gap"] == approx(0.0) and whole["p_value"] == approx(1.0)
    assert whole["ci_low"] == approx(-stats.t.ppf(0.975, 1200 / 223) * math.sqrt(5 / 3))
    assert whole["ci_high"] == approx(stats.t.ppf(0.975, 1200 / 223) * math.sqrt(5 / 3))
    assert out[0]["gap1"]["items"]["REL1"] == whole  # the chain covers every unit
    south = out[4]["gap1"]["items"]["REL1"]
    assert south["gap"] == approx(-1.0) and south["n_managers"] == 1 and south["p_value"] is None


def test_manager_answers_outside_the_scale_or_of_unknown_items_are_ignored():
    out = run(expectations(2, "REL1", [5]), managers=[(2, {"REL1": 9, "XYZ": 3}), (2, {"REL1": True}),
                                                      (2, {"REL1": 4.0}), (2, {"REL1": 3})])
    fig = out[2]["gap1"]["items"]["REL1"]
    assert fig["n_managers"] == 1 and fig["mean_m"] == 3.0
    assert set(out[2]["gap1"]["items"]) == {"REL1", "REL2", "TAN1", "EMP1"}


# ---------------------------------------------------------------- gap 2 and standards


def test_a_unit_override_applies_to_its_descendants_and_the_audit_value_elsewhere():
    managers = [(u, {"REL1": 5}) for u in (2, 3, 5)]
    standards = [(None, "REL1", 6), (1, "REL1", 4), (3, "REL1", 3), (None, "REL2", 2)]
    out = run(managers=managers, standards=standards)
    s = {key: out[key]["gap2"]["items"]["REL1"]["standard"] for key in SCOPES}
    # North's 4 reaches hall 2; hall 3 has its own 3; the audit scope and the chain use 6.
    assert s == {None: 6.0, 0: 6.0, 1: 4.0, 2: 4.0, 3: 3.0, 4: 6.0, 5: 6.0}
    assert out[2]["gap2"]["items"]["REL1"] == {"gap": approx(-1.0), "standard": 4.0, "mean_m": 5.0}
    assert out[None]["gap2"]["items"]["REL1"] == {"gap": approx(1.0), "standard": 6.0, "mean_m": 5.0}
    assert out[3]["gap2"]["items"]["REL1"]["gap"] == approx(-2.0)
    # REL2: a standard but no manager belief; TAN1: neither. Null, never zero.
    assert out[2]["gap2"]["items"]["REL2"] == {"gap": None, "standard": 2.0, "mean_m": None}
    assert out[2]["gap2"]["items"]["TAN1"] == {"gap": None, "standard": None, "mean_m": None}
    assert list(out[2]["gap2"]["items"]["REL1"]) == list(GAP2_KEYS)


def test_an_override_of_the_nearest_ancestor_wins_over_a_farther_one():
    out = run(standards=[(0, "REL1", 7), (1, "REL1", 5)])
    assert out[3]["gap2"]["items"]["REL1"]["standard"] == 5.0  # North, not the chain
    assert out[5]["gap2"]["items"]["REL1"]["standard"] == 7.0  # the chain's, through South
    assert out[None]["gap2"]["items"]["REL1"]["standard"] is None  # no audit-level row


# ---------------------------------------------------------------- gap 3


def test_gap_3_is_delivery_minus_standard_with_a_one_sample_t_test():
    out = run(observations=[(2, "REL1", 4.0), (2, "REL1", 6.0), (3, "REL1", 5.0)],
              standards=[(None, "REL1", 6)])
    fig = out[1]["gap3"]["items"]["REL1"]
    assert list(fig) == list(DELIVERY_KEYS)
    # [4, 6, 5]: mean 5, sd 1, se 1/√3; gap 5 − 6 = −1, t = −√3 on 2 df.
    se = 1 / math.sqrt(3)
    assert fig == {"gap": approx(-1.0), "mean_d": approx(5.0), "standard": 6.0, "n": 3, "sd": approx(1.0),
                   "se": approx(se), "ci_low": approx(-1 - tq(2) * se), "ci_high": approx(-1 + tq(2) * se),
                   "p_value": approx(p_two_sided(math.sqrt(3), 2)), "low_sample": False}
    assert fig["p_value"] == approx(stats.ttest_1samp([4, 6, 5], 6).pvalue)


def test_gap_3_pools_unequal_halls_exactly():
    # Hall 2: 5.2, 5.2 (a scorecard value); hall 3: 3.0. Mean 67/15, s² = (2·(11/15)² + (22/15)²)/2 = 121/75.
    out = run(observations=[(2, "REL1", 5.2), (2, "REL1", 5.2), (3, "REL1", 3.0)], standards=[(None, "REL1", 4)])
    fig = out[1]["gap3"]["items"]["REL1"]
    assert fig["mean_d"] == approx(67 / 15) and fig["gap"] == approx(67 / 15 - 4)
    assert fig["sd"] == approx(11 / math.sqrt(75)) and fig["se"] == approx(11 / 15)
    assert fig["p_value"] == approx(p_two_sided((67 / 15 - 4) / (11 / 15), 2))


def test_observations_summed_beforehand_give_the_same_figures_as_single_ones():
    # Hall 2 as one summed row: n 2, Σx 10, M2 2 (values 4, 6); hall 3: the single 5.0.
    single = run(observations=[(2, "REL1", 4.0), (2, "REL1", 6.0), (3, "REL1", 5.0)], standards=[(None, "REL1", 6)])
    summed = run(observation_sums=[(2, "REL1", 2, 10.0, 2.0), (3, "REL1", 1, 5.0, 0.0)],
                 standards=[(None, "REL1", 6)])
    for key in SCOPES:
        assert summed[key]["gap3"]["items"]["REL1"] == {
            k: approx(v) if isinstance(v, float) else v for k, v in single[key]["gap3"]["items"]["REL1"].items()}
    assert summed[1]["gap3"]["items"]["REL1"]["sd"] == approx(1.0)


def test_infinite_observations_are_left_out():
    fig = run(observations=[(2, "REL1", math.inf), (2, "REL1", math.nan), (2, "REL1", 5.0)])[2]["gap3"]
    assert fig["items"]["REL1"]["n"] == 1 and fig["items"]["REL1"]["mean_d"] == 5.0


def test_gap_3_with_equal_observations_has_sd_0_no_p_and_a_point_ci():
    fig = run(observations=[(2, "REL1", 5.2)] * 3, standards=[(None, "REL1", 6)])[2]["gap3"]["items"]["REL1"]
    assert fig["gap"] == approx(-0.8) and fig["sd"] == 0.0 and fig["se"] == 0.0
    assert fig["ci_low"] == approx(-0.8) and fig["ci_high"] == approx(-0.8) and fig["p_value"] is None
    assert fig["n"] == 3 and fig["low_sample"] is False


def test_gap_3_with_one_observation_has_a_gap_and_no_spread():
    fig = run(observations=[(2, "REL1", 4.0)], standards=[(None, "REL1", 6)])[2]["gap3"]["items"]["REL1"]
    assert fig == {"gap": approx(-2.0), "mean_d": 4.0, "standard": 6.0, "n": 1, "sd": None, "se": None,
                   "ci_low": None, "ci_high": None, "p_value": None, "low_sample": True}


def test_gap_3_without_a_standard_reports_the_delivery_but_no_gap():
    fig = run(observations=[(2, "REL1", 4.0), (2, "REL1", 6.0)])[2]["gap3"]["items"]["REL1"]
    assert fig == {"gap": None, "mean_d": approx(5.0), "standard": None, "n": 2, "sd": approx(math.sqrt(2)),
                   "se": approx(1.0), "ci_low": None, "ci_high": None, "p_value": None, "low_sample": True}


def test_gap_3_without_observations_is_null_not_zero():
    fig = run(standards=[(None, "REL1", 6)])[2]["gap3"]["items"]["REL1"]
    assert fig == {"gap": None, "mean_d": None, "standard": 6.0, "n": 0, "sd": None, "se": None,
                   "ci_low": None, "ci_high": None, "p_value": None, "low_sample": True}
    assert isinstance(fig["n"], int)


def test_low_sample_is_set_below_the_audits_minimum():
    obs = [(2, "REL1", 5.0), (2, "REL1", 6.0), (3, "REL1", 7.0)]
    out = run(observations=obs, standards=[(None, "REL1", 6)])
    assert out[2]["gap3"]["items"]["REL1"]["low_sample"] is True  # n = 2 < 3
    assert out[1]["gap3"]["items"]["REL1"]["low_sample"] is False  # n = 3
    assert out[1]["gap4"]["items"]["REL1"]["low_sample"] is False


def test_observations_of_items_outside_the_instrument_are_ignored():
    out = run(observations=[(2, "XYZ9", 1.0), (2, "REL1", 5.0)], standards=[(None, "XYZ9", 6)],
              promises=[(None, "XYZ9", 7, None, None)])
    assert set(out[2]["gap3"]["items"]) == {"REL1", "REL2", "TAN1", "EMP1"}
    assert out[2]["gap3"]["items"]["REL1"]["n"] == 1


# ---------------------------------------------------------------- gap 4 and promises


PERIOD = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))


def test_the_highest_counting_promise_wins_and_each_applies_to_its_units():
    promises = [
        (None, "REL1", 5, dt.date(2024, 3, 1), dt.date(2024, 6, 30)),
        (None, "REL1", 7, dt.date(2023, 1, 1), dt.date(2023, 12, 31)),  # before the audit: ignored
        (1, "REL1", 6, None, None),  # North and its halls
        (2, "REL1", 7, dt.date(2024, 12, 31), None),  # hall 2 only; overlaps on the last day
        (2, "REL1", 3, None, None),  # lower: never wins
    ]
    obs = [(2, "REL1", 4.0), (2, "REL1", 6.0), (3, "REL1", 5.0)]
    out = run(period=PERIOD, observations=obs, promises=promises, standards=[(None, "REL1", 6)])
    c = {key: out[key]["gap4"]["items"]["REL1"]["promised"] for key in SCOPES}
    assert c == {None: 5.0, 0: 5.0, 1: 6.0, 2: 7.0, 3: 6.0, 4: 5.0, 5: 5.0}
    # Hall 2: [4, 6] mean 5, sd √2, se 1; gap 5 − 7 = −2, t = −2 on 1 df.
    hall = out[2]["gap4"]["items"]["REL1"]
    assert list(hall) == list(GAP4_KEYS)
    assert hall == {"gap": approx(-2.0), "mean_d": approx(5.0), "standard": 6.0, "n": 2,
                    "sd": approx(math.sqrt(2)), "se": approx(1.0), "ci_low": approx(-2 - tq(1)),
                    "ci_high": approx(-2 + tq(1)), "p_value": approx(p_two_sided(2.0, 1)), "low_sample": True,
                    "promised": 7.0}
    # North: [4, 6, 5] against 6; the audit: the same against 5 (t = 0, p = 1).
    north = out[1]["gap4"]["items"]["REL1"]
    assert north["gap"] == approx(-1.0) and north["p_value"] == approx(p_two_sided(math.sqrt(3), 2))
    whole = out[None]["gap4"]["items"]["REL1"]
    assert whole["gap"] == approx(0.0) and whole["p_value"] == approx(1.0)
    # South has a promise but no observation.
    assert out[4]["gap4"]["items"]["REL1"]["gap"] is None and out[4]["gap4"]["items"]["REL1"]["n"] == 0


def test_gap_4_is_defined_without_a_standard():
    fig = run(observations=[(2, "REL1", 4.0)], promises=[(None, "REL1", 6, None, None)])[2]["gap4"]["items"]["REL1"]
    assert fig["gap"] == approx(-2.0) and fig["standard"] is None and fig["promised"] == 6.0


@pytest.mark.parametrize(("valid_from", "valid_to", "period", "expected"), [
    (None, None, PERIOD, True),
    (dt.date(2023, 6, 1), dt.date(2024, 1, 1), PERIOD, True),  # ends on the first day
    (dt.date(2024, 12, 31), dt.date(2025, 6, 1), PERIOD, True),  # starts on the last day
    (dt.date(2023, 6, 1), dt.date(2023, 12, 31), PERIOD, False),
    (dt.date(2025, 1, 1), None, PERIOD, False),
    (None, dt.date(2023, 12, 31), PERIOD, False),
    (dt.date(2030, 1, 1), None, (dt.date(2024, 1, 1), None), True),  # an audit with no end
    (None, dt.date(2000, 1, 1), (None, dt.date(2024, 12, 31)), True),  # an audit with no start
    (dt.date(2025, 1, 1), None, (None, dt.date(2024, 12, 31)), False),
])
def test_a_promise_counts_when_its_validity_overlaps_the_audit_period(valid_from, valid_to, period, expected):
    assert counts(PromiseRow(None, 0, 5, valid_from, valid_to), *period) is expected


# ---------------------------------------------------------------- dimensions and overall


def test_dimensions_and_overall_average_only_the_defined_item_gaps():
    obs = [(2, "REL1", 5.0), (2, "REL2", 3.0), (2, "TAN1", 6.5), (2, "EMP1", 4.0)]
    # REL1: 5 − 6 = −1; REL2: no standard; TAN1: 6.5 − 6 = 0.5; EMP1: no standard.
    out = run(observations=obs, standards=[(None, "REL1", 6), (None, "TAN1", 6)])[2]["gap3"]
    assert out["items"]["REL2"]["gap"] is None and out["items"]["EMP1"]["gap"] is None
    assert out["dimensions"] == {"reliability": {"gap": approx(-1.0)}, "tangibles": {"gap": approx(0.5)},
                                 "empathy": {"gap": None}}
    assert out["overall"] == {"gap": approx(-0.25)}  # (−1 + 0.5) / 2, empathy left out


def test_a_dimension_averages_its_defined_items():
    standards = [(None, "REL1", 6), (None, "REL2", 5)]
    obs = [(2, "REL1", 5.0), (2, "REL2", 3.0), (2, "REL2", 3.0)]
    out = run(observations=obs, standards=standards)[2]["gap3"]
    assert out["dimensions"]["reliability"] == {"gap": approx(-1.5)}  # (−1 + −2) / 2
    assert out["overall"] == {"gap": approx(-1.5)}


def test_with_no_provider_data_every_gap_1_to_4_figure_is_null():
    out = run(expectations(2, "REL1", [4, 5]))[None]
    for name in ("gap1", "gap2", "gap3", "gap4"):
        assert out[name]["overall"] == {"gap": None}
        assert all(v == {"gap": None} for v in out[name]["dimensions"].values())
        assert all(row["gap"] is None for row in out[name]["items"].values())
    assert out["gap1"]["items"]["REL1"]["mean_e"] == approx(4.5)
    assert out["gap3"]["items"]["TAN1"]["n"] == 0
