"""audit_compute fills gaps 1–4 (METHOD.md §6) of the audit and every unit from the
provider rows, in the §8 shape, with numbers computed by hand."""

from __future__ import annotations

import datetime as dt
import math
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from scipy import stats

from analytics.selectors import audit_gaps, empty_figures
from analytics.services import audit_compute
from provider.models import DeliveryObservation, ManagerAnswerSet, Promise, QualityStandard
from surveys.models import Instrument, Unit
from surveys.services import audit_create, response_submit
from tests.analytics._helpers import approx, p_two_sided, tq

SELF = DeliveryObservation.Source.SELF_ASSESSMENT


@pytest.fixture
def world(db):
    """Chain C: region N (halls H1, H2) and hall H3; customers, managers, standards,
    observations and promises of REL1 (and REL2), numbers as in the tests below."""
    chain = Unit.objects.create(code="C", name="Chain")
    north = Unit.objects.create(code="N", name="North", parent=chain)
    h1 = Unit.objects.create(code="H1", name="Hall 1", parent=north)
    h2 = Unit.objects.create(code="H2", name="Hall 2", parent=north)
    h3 = Unit.objects.create(code="H3", name="Hall 3", parent=chain)
    audit = audit_create(slug="five", title="Five gaps", instrument=Instrument.objects.get(code="servqual"),
                         units=[chain], min_sample=2, period_start=dt.date(2024, 1, 1),
                         period_end=dt.date(2024, 12, 31))
    for hall, values in ((h1, [4, 5]), (h2, [6, 7]), (h3, [3])):
        for e in values:
            response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code=hall.code,
                            answers={"REL1": {"expectation": e, "perception": 4}})
    users = get_user_model().objects
    for k, (hall, m) in enumerate(((h1, 6), (h2, 7), (h2, 5), (h3, 2))):
        ManagerAnswerSet.objects.create(audit=audit, unit=hall, manager=users.create_user(f"manager{k}"),
                                        answers={"REL1": m, "REL2": None, "NOT_AN_ITEM": 3})
    QualityStandard.objects.create(audit=audit, item_code="REL1", level=6, description="queue under 10 minutes")
    QualityStandard.objects.create(audit=audit, item_code="REL1", unit=north, level=5)
    QualityStandard.objects.create(audit=audit, item_code="REL1", unit=h2, level=4)
    QualityStandard.objects.create(audit=audit, item_code="REL2", level=5)
    for hall, item, value in ((h1, "REL1", 4.0), (h1, "REL1", 6.0), (h2, "REL1", 5.0),
                              (h3, "REL2", 3.0), (h3, "REL2", 3.0), (h3, "GONE1", 1.0),
                              (h3, "REL1", math.inf), (h3, "REL3", 5.2), (h3, "REL3", 5.2), (h3, "REL3", 5.2)):
        DeliveryObservation.objects.create(audit=audit, unit=hall, item_code=item, value=value, source=SELF)
    for unit, level, start, end in (
        (None, 6, dt.date(2024, 3, 1), dt.date(2024, 6, 30)),
        (None, 7, dt.date(2023, 1, 1), dt.date(2023, 12, 31)),  # outside the audit period
        (north, 7, None, None),
        (h1, 4, dt.date(2024, 12, 31), None),
    ):
        Promise.objects.create(audit=audit, item_code="REL1", unit=unit, level=level, valid_from=start,
                               valid_to=end, text="We serve you within 5 minutes")
    return audit


def rel1(result: dict, gap: str) -> dict:
    return result[gap]["items"]["REL1"]


def test_the_recompute_fills_gap_1_per_scope_with_welch_t(world):
    audit_compute(audit_id=world.pk)
    north = rel1(audit_gaps(audit=world, unit_code="N"), "gap1")
    # Managers [6, 7, 5] against customers [4, 5, 6, 7]: se² = 1/3 + (5/3)/4 = 3/4, df = 243/49.
    se, df = math.sqrt(0.75), 243 / 49
    assert north == {"gap": approx(0.5), "mean_m": approx(6.0), "mean_e": approx(5.5), "n_managers": 3,
                     "n_customers": 4, "p_value": approx(2 * stats.t.sf(0.5 / se, df)),
                     "ci_low": approx(0.5 - stats.t.ppf(0.975, df) * se),
                     "ci_high": approx(0.5 + stats.t.ppf(0.975, df) * se)}
    assert north["p_value"] == approx(stats.ttest_ind([6, 7, 5], [4, 5, 6, 7], equal_var=False).pvalue)
    # The audit: managers [6, 7, 5, 2] (s² = 14/3), customers [4, 5, 6, 7, 3] (s² = 5/2): gap 0, df = 1200/223.
    whole = rel1(audit_gaps(audit=world), "gap1")
    half = stats.t.ppf(0.975, 1200 / 223) * math.sqrt(5 / 3)
    assert whole == {"gap": approx(0.0), "mean_m": approx(5.0), "mean_e": approx(5.0), "n_managers": 4,
                     "n_customers": 5, "p_value": approx(1.0), "ci_low": approx(-half), "ci_high": approx(half)}
    # Hall 3 has one manager: a gap, no test.
    assert rel1(audit_gaps(audit=world, unit_code="H3"), "gap1") == {
        "gap": approx(-1.0), "mean_m": 2.0, "mean_e": 3.0, "n_managers": 1, "n_customers": 1,
        "p_value": None, "ci_low": None, "ci_high": None}
    assert audit_gaps(audit=world)["gap1"]["items"]["REL2"]["n_managers"] == 0


def test_the_recompute_applies_unit_overrides_of_standards(world):
    audit_compute(audit_id=world.pk)
    gap2 = {code: rel1(audit_gaps(audit=world, unit_code=code), "gap2") for code in ("C", "N", "H1", "H2", "H3")}
    gap2[None] = rel1(audit_gaps(audit=world), "gap2")
    assert gap2 == {
        None: {"gap": approx(1.0), "standard": 6.0, "mean_m": 5.0},  # 6 − mean(6, 7, 5, 2)
        "C": {"gap": approx(1.0), "standard": 6.0, "mean_m": 5.0},
        "N": {"gap": approx(-1.0), "standard": 5.0, "mean_m": 6.0},  # North's override
        "H1": {"gap": approx(-1.0), "standard": 5.0, "mean_m": 6.0},  # inherited from North
        "H2": {"gap": approx(-2.0), "standard": 4.0, "mean_m": 6.0},  # its own override
        "H3": {"gap": approx(4.0), "standard": 6.0, "mean_m": 2.0},  # the audit's value
    }


def test_the_recompute_fills_gap_3_against_the_scopes_standard(world):
    audit_compute(audit_id=world.pk)
    whole = audit_gaps(audit=world)["gap3"]
    # REL1 [4, 6, 5] against 6: gap −1, sd 1, se 1/√3, t = −√3 on 2 df.
    se = 1 / math.sqrt(3)
    assert whole["items"]["REL1"] == {
        "gap": approx(-1.0), "mean_d": approx(5.0), "standard": 6.0, "n": 3, "sd": approx(1.0), "se": approx(se),
        "ci_low": approx(-1 - tq(2) * se), "ci_high": approx(-1 + tq(2) * se),
        "p_value": approx(p_two_sided(math.sqrt(3), 2)), "low_sample": False}
    # REL2 [3, 3] against 5: sd 0, so no p and a point CI.
    assert whole["items"]["REL2"] == {
        "gap": approx(-2.0), "mean_d": approx(3.0), "standard": 5.0, "n": 2, "sd": 0.0, "se": 0.0,
        "ci_low": approx(-2.0), "ci_high": approx(-2.0), "p_value": None, "low_sample": False}
    assert whole["items"]["TAN1"]["gap"] is None and whole["items"]["TAN1"]["n"] == 0
    # REL3 [5.2, 5.2, 5.2], summed by the database: sd 0 within TOL, no standard so no gap.
    assert whole["items"]["REL3"] == {
        "gap": None, "mean_d": approx(5.2), "standard": None, "n": 3, "sd": 0.0, "se": 0.0, "ci_low": None,
        "ci_high": None, "p_value": None, "low_sample": False}
    assert "GONE1" not in whole["items"]
    assert whole["dimensions"]["reliability"] == {"gap": approx(-1.5)}  # (−1 + −2) / 2
    assert whole["dimensions"]["tangibles"] == {"gap": None}
    assert whole["overall"] == {"gap": approx(-1.5)}
    # North: [4, 6, 5] against North's 5: gap 0, t = 0, p = 1.
    north = rel1(audit_gaps(audit=world, unit_code="N"), "gap3")
    assert north["gap"] == approx(0.0) and north["standard"] == 5.0 and north["p_value"] == approx(1.0)
    # Hall 2: one observation 5 against its own 4.
    assert rel1(audit_gaps(audit=world, unit_code="H2"), "gap3") == {
        "gap": approx(1.0), "mean_d": 5.0, "standard": 4.0, "n": 1, "sd": None, "se": None, "ci_low": None,
        "ci_high": None, "p_value": None, "low_sample": True}


def test_the_recompute_fills_gap_4_against_the_highest_counting_promise(world):
    audit_compute(audit_id=world.pk)
    promised = {code: rel1(audit_gaps(audit=world, unit_code=code), "gap4")["promised"]
                for code in ("C", "N", "H1", "H2", "H3")}
    # The 2023 promise of 7 is out of period; North's 7 reaches its halls; hall 1's 4 never wins.
    assert promised == {"C": 6.0, "N": 7.0, "H1": 7.0, "H2": 7.0, "H3": 6.0}
    whole = rel1(audit_gaps(audit=world), "gap4")
    se = 1 / math.sqrt(3)
    assert whole == {"gap": approx(-1.0), "mean_d": approx(5.0), "standard": 6.0, "n": 3, "sd": approx(1.0),
                     "se": approx(se), "ci_low": approx(-1 - tq(2) * se), "ci_high": approx(-1 + tq(2) * se),
                     "p_value": approx(p_two_sided(math.sqrt(3), 2)), "low_sample": False, "promised": 6.0}
    hall = rel1(audit_gaps(audit=world, unit_code="H1"), "gap4")  # [4, 6] against 7
    assert hall == {"gap": approx(-2.0), "mean_d": approx(5.0), "standard": 5.0, "n": 2, "sd": approx(math.sqrt(2)),
                    "se": approx(1.0), "ci_low": approx(-2 - tq(1)), "ci_high": approx(-2 + tq(1)),
                    "p_value": approx(p_two_sided(2.0, 1)), "low_sample": False, "promised": 7.0}
    h3 = rel1(audit_gaps(audit=world, unit_code="H3"), "gap4")  # its one observation is infinite: left out
    assert h3["gap"] is None and h3["n"] == 0 and h3["promised"] == 6.0 and h3["low_sample"] is True


def test_the_stored_shape_matches_the_empty_figures(world):
    before = audit_gaps(audit=world)
    audit_compute(audit_id=world.pk)
    after = audit_gaps(audit=world, unit_code="H1")
    empty = empty_figures(audit=world)
    for name in ("gap1", "gap2", "gap3", "gap4"):
        assert before[name] == empty[name]
        assert set(after[name]) == set(empty[name]) == {"overall", "dimensions", "items"}
        assert set(after[name]["dimensions"]) == set(empty[name]["dimensions"])
        for code, row in empty[name]["items"].items():
            assert list(after[name]["items"][code]) == list(row)
    assert empty["gap3"]["items"]["REL1"]["n"] == 0 and empty["gap1"]["items"]["REL1"]["n_customers"] == 0


def test_the_recompute_reads_the_provider_rows_in_four_queries_whatever_their_number(world):
    def provider_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            audit_compute(audit_id=world.pk)
        sqls = [q["sql"] for q in ctx.captured_queries]
        return len(sqls), sum('"provider_' in sql for sql in sqls)

    total, provider = provider_queries()
    assert provider == 4
    # Ten times the rows, on more units: not one query more.
    h2, h3 = Unit.objects.get(code="H2"), Unit.objects.get(code="H3")
    users = get_user_model().objects
    for k in range(10):
        ManagerAnswerSet.objects.create(audit=world, unit=h2 if k % 2 else h3, manager=users.create_user(f"m{k}"),
                                        answers={"REL1": 1 + k % 7, "TAN1": 4})
    DeliveryObservation.objects.bulk_create(
        DeliveryObservation(audit=world, unit=h2 if k % 2 else h3, item_code="TAN2", value=k % 7 + 1.0, source=SELF)
        for k in range(60)
    )
    QualityStandard.objects.create(audit=world, item_code="TAN2", unit=h3, level=3)
    Promise.objects.create(audit=world, item_code="TAN2", unit=h2, level=4, text="clean halls")
    assert provider_queries() == (total, 4)
    assert audit_gaps(audit=world)["gap3"]["items"]["TAN2"]["n"] == 60
