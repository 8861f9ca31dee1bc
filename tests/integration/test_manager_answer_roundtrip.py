"""A manager's answers reach gap 1 of the results API through PostgreSQL, Redis and a
real Celery worker (METHOD.md §6, gap 1 = mean_m − mean_e with Welch's t-test).

Customers answer every item with expectation e and perception 5:

    north (6 customers)  e = 7 6 7 5 6 7 for every item but TAN1   mean 38/6 = 6.333…
                         TAN1  e = 4 5 4 6 5 4                       mean 28/6 = 4.666…
    south (4 customers)  e = 2 for every item

Two managers of north answer REL1 and TAN1 only ("no opinion" elsewhere):

    colleague (stored first)        REL1 5, TAN1 3
    the manager, through the API    REL1 7, TAN1 6   → later REL1 4

Gap 1 of north, first:  REL1 = (7+5)/2 − 38/6 = 6 − 6.333… = −1/3
                        TAN1 = (6+3)/2 − 28/6 = 4.5 − 4.666… = −1/6
  dimension gaps are their one defined item's gap; overall = (−1/3 − 1/6)/2 = −0.25.
After the change:       REL1 = (4+5)/2 − 38/6 = −11/6, overall = (−11/6 − 1/6)/2 = −1.0.
The audit level (north and south, an admin's view): REL1 mean_e = (38 + 4·2)/10 = 4.6.
"""

from __future__ import annotations

import time
import uuid
from statistics import mean

import pytest
from rest_framework.test import APIClient
from scipy import stats

from accounts.models import Role, RoleAssignment
from provider.beliefs import manager_answers_submit
from surveys.models import Instrument
from surveys.selectors import audit_layout
from surveys.services import audit_create, response_submit, units_ensure

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SLUG = "belief-roundtrip"
NORTH, SOUTH = "mr-north", "mr-south"
E_NORTH = [7, 6, 7, 5, 6, 7]
E_NORTH_TAN1 = [4, 5, 4, 6, 5, 4]
E_SOUTH = [2, 2, 2, 2]
COLLEAGUE = {"REL1": 5, "TAN1": 3}
FIRST = {"REL1": 7, "TAN1": 6}
CHANGED = {"REL1": 4, "TAN1": 6}
TIMEOUT = 60.0


def wait_for(condition, *, what: str, worker, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        value, last = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; last body: {last!r:.2000}\nworker log:\n"
                        f"{worker.log()[-4000:]}", pytrace=False)
        time.sleep(0.2)


def gaps(client: APIClient, unit: str | None = None) -> dict:
    response = client.get(f"/api/audits/{SLUG}/gaps/", {"unit": unit} if unit else {})
    assert response.status_code == 200, response.content
    return response.json()


def fresh_with(client: APIClient, unit: str | None, mean_m: float):
    """A condition: the result of `unit` is fresh and REL1's mean_m is `mean_m`."""
    def condition():
        body = gaps(client, unit)
        row = ((body.get("gap1") or {}).get("items") or {}).get("REL1") or {}
        done = (body["status"] == "fresh" and row.get("n_managers") == 2
                and row.get("mean_m") is not None and abs(row["mean_m"] - mean_m) < 1e-9)
        return (body if done else None), body
    return condition


def welch(managers: list[int], customers: list[int]) -> tuple[float, float, float]:
    """(p, ci_low, ci_high) of mean(managers) − mean(customers), Welch's t-test by scipy."""
    test = stats.ttest_ind(managers, customers, equal_var=False)
    ci = test.confidence_interval(0.95)
    return float(test.pvalue), float(ci.low), float(ci.high)


def assert_item(row: dict, managers: list[int], customers: list[int]) -> None:
    p, low, high = welch(managers, customers)
    assert row["n_managers"] == len(managers)
    assert row["n_customers"] == len(customers)
    assert row["mean_m"] == pytest.approx(mean(managers))
    assert row["mean_e"] == pytest.approx(mean(customers))
    assert row["gap"] == pytest.approx(mean(managers) - mean(customers))
    assert row["p_value"] == pytest.approx(p)
    assert row["ci_low"] == pytest.approx(low)
    assert row["ci_high"] == pytest.approx(high)


def test_a_managers_answers_move_gap_1_in_the_results_api(celery_worker, django_user_model):
    north, south = units_ensure(codes=[NORTH, SOUTH])
    audit = audit_create(slug=SLUG, title="Belief round trip", instrument=Instrument.objects.get(code="servqual"),
                         units=[north, south], scale=7)
    item_codes = audit_layout(audit=audit).item_codes
    for unit, expectations in ((NORTH, E_NORTH), (SOUTH, E_SOUTH)):
        for i, e in enumerate(expectations):
            answers = {code: {"expectation": e, "perception": 5} for code in item_codes}
            if unit == NORTH:
                answers["TAN1"]["expectation"] = E_NORTH_TAN1[i]
            response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code=unit, answers=answers)

    manager = django_user_model.objects.create_user("north-manager", "north@example.com", "unused")
    RoleAssignment.objects.create(user=manager, role=Role.MANAGER, unit=north)
    colleague = django_user_model.objects.create_user("north-colleague", "colleague@example.com", "unused")
    RoleAssignment.objects.create(user=colleague, role=Role.MANAGER, unit=north)
    admin = django_user_model.objects.create_user("belief-admin", "admin@example.com", "unused")
    RoleAssignment.objects.create(user=admin, role=Role.ADMIN, unit=None)
    manager_answers_submit(audit=audit, manager=colleague, unit=NORTH, answers=COLLEAGUE)

    client = APIClient()
    client.force_login(manager)
    admin_client = APIClient()
    admin_client.force_login(admin)

    # A fresh result over every customer answer, before the manager answers.
    def customers_in():
        body = gaps(client, NORTH)
        rel1 = body["gap1"]["items"]["REL1"]
        done = body["status"] == "fresh" and rel1["n_customers"] == len(E_NORTH) and rel1["n_managers"] == 1
        return (body if done else None), body

    before = wait_for(customers_in, what="a fresh result over the customers", worker=celery_worker)
    assert before["n_responses"] == len(E_NORTH)
    assert before["gap1"]["items"]["REL1"]["n_managers"] == 1
    assert before["gap1"]["items"]["REL1"]["gap"] == pytest.approx(5 - mean(E_NORTH))
    assert before["gap1"]["items"]["REL1"]["p_value"] is None  # one manager: no Welch test

    put = client.put(f"/api/audits/{SLUG}/manager-answers/mine/",
                     {"unit": NORTH, "answers": FIRST, "importance": None}, format="json")
    assert put.status_code == 201, put.content
    assert put.json()["unit"] == NORTH and put.json()["answers"]["REL1"] == 7

    body = wait_for(fresh_with(client, NORTH, mean([7, 5])), what="gap 1 with the manager's answers",
                    worker=celery_worker)
    items, dimensions = body["gap1"]["items"], body["gap1"]["dimensions"]
    assert_item(items["REL1"], [7, 5], E_NORTH)
    assert_item(items["TAN1"], [6, 3], E_NORTH_TAN1)
    assert items["REL1"]["gap"] == pytest.approx(-1 / 3)
    assert items["TAN1"]["gap"] == pytest.approx(-1 / 6)
    # No manager answered REL2: its gap is null (not zero), customers still counted.
    assert items["REL2"]["gap"] is None and items["REL2"]["n_managers"] == 0
    assert items["REL2"]["mean_e"] == pytest.approx(mean(E_NORTH))
    assert dimensions["reliability"]["gap"] == pytest.approx(-1 / 3)
    assert dimensions["tangibles"]["gap"] == pytest.approx(-1 / 6)
    assert dimensions["empathy"]["gap"] is None
    assert body["gap1"]["overall"]["gap"] == pytest.approx(-0.25)

    # The admin's audit level counts south's customers too.
    whole = wait_for(fresh_with(admin_client, None, mean([7, 5])), what="the audit level", worker=celery_worker)
    assert_item(whole["gap1"]["items"]["REL1"], [7, 5], E_NORTH + E_SOUTH)
    assert whole["gap1"]["items"]["REL1"]["mean_e"] == pytest.approx(4.6)

    changed = client.put(f"/api/audits/{SLUG}/manager-answers/mine/",
                         {"unit": NORTH, "answers": CHANGED, "importance": None}, format="json")
    assert changed.status_code == 200, changed.content

    body = wait_for(fresh_with(client, NORTH, mean([4, 5])), what="gap 1 after the change", worker=celery_worker)
    items = body["gap1"]["items"]
    assert_item(items["REL1"], [4, 5], E_NORTH)
    assert items["REL1"]["gap"] == pytest.approx(-11 / 6)
    assert_item(items["TAN1"], [6, 3], E_NORTH_TAN1)  # unchanged
    assert body["gap1"]["dimensions"]["reliability"]["gap"] == pytest.approx(-11 / 6)
    assert body["gap1"]["overall"]["gap"] == pytest.approx(-1.0)
