"""The JSON API of METHOD.md §8: audits, response submission, results, recomputes."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from surveys.models import Response, Unit

ITEMS = [f"{p}{i}" for p, k in (("TAN", 4), ("REL", 5), ("RES", 4), ("ASS", 4), ("EMP", 5)) for i in range(1, k + 1)]
DIMENSIONS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
S_KEYS = {"gap", "mean_e", "mean_p", "n", "sd", "se", "ci_low", "ci_high", "p_value", "low_sample"}


@pytest.fixture
def api(db, django_capture_on_commit_callbacks):
    """An API client whose requests run their on-commit work (the eager recompute)."""
    region = Unit.objects.create(code="NORTH", name="North")
    Unit.objects.create(code="H1", name="Hall 1", parent=region)
    Unit.objects.create(code="ELSEWHERE", name="Elsewhere")
    client = CommittingClient(django_capture_on_commit_callbacks)
    # Signed in: responses need no survey link token (the token cases: tests/surveys/test_links.py).
    client.force_login(get_user_model().objects.create_superuser("api-admin", "api-admin@example.com", "unused"))
    response = client.post("/api/audits/", {"slug": "q4", "title": "Q4", "instrument": "servqual",
                                            "units": ["NORTH"]}, format="json")
    assert response.status_code == 201, response.content
    return client


class CommittingClient(APIClient):
    def __init__(self, capture, **kwargs):
        super().__init__(**kwargs)
        self.capture = capture

    def request(self, **kwargs):
        with self.capture(execute=True):
            return super().request(**kwargs)


def body(e: int, p: int, **extra) -> dict:
    return {"submission_id": str(uuid.uuid4()), "unit": "H1", "channel": "web",
            "answers": {code: {"expectation": e, "perception": p} for code in ITEMS}, **extra}


def test_audit_list_shows_status_and_response_count(api):
    api.post("/api/audits/q4/responses/", body(7, 5), format="json")
    listed = api.get("/api/audits/").json()["results"]
    assert [(a["slug"], a["n_responses"], a["status"], a["units"]) for a in listed] == [("q4", 1, "fresh", ["NORTH"])]


def test_creating_an_audit_rejects_bad_fields_by_name(api):
    response = api.post("/api/audits/", {"slug": "q4", "title": "", "instrument": "nope", "units": ["ZZ"],
                                         "scale": 11, "format": "four"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"slug", "title", "instrument", "units", "scale", "format"}


def test_a_response_is_stored_once_per_submission_id(api):
    payload = body(7, 5, importance={d: 20 for d in DIMENSIONS})
    first = api.post("/api/audits/q4/responses/", payload, format="json")
    again = api.post("/api/audits/q4/responses/", payload, format="json")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["answers"]["REL1"] == {"expectation": 7, "perception": 5}
    assert first.json()["importance"] == {d: 20 for d in DIMENSIONS}
    assert Response.objects.count() == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"answers": {"REL1": {"expectation": 8, "perception": 5}}}, "answers"),
        ({"answers": {"REL1": {"expectation": 0, "perception": 5}}}, "answers"),
        ({"answers": {"REL1": {"expectation": 2.5, "perception": 5}}}, "answers"),
        ({"answers": {"NOPE1": {"expectation": 2, "perception": 5}}}, "answers"),
        ({"answers": {"REL1": {"adequate": 3}}}, "answers"),
        ({"importance": {d: 19 for d in DIMENSIONS}}, "importance"),
        ({"importance": {"tangibles": 100}}, "importance"),
        ({"importance": {**{d: 20 for d in DIMENSIONS}, "speed": 0}}, "importance"),
        ({"unit": "ELSEWHERE"}, "unit"),
        ({"unit": "NOWHERE"}, "unit"),
        ({"submission_id": "not-a-uuid"}, "submission_id"),
    ],
)
def test_bad_input_answers_400_by_field_and_writes_nothing(api, change, field):
    response = api.post("/api/audits/q4/responses/", {**body(7, 5), **change}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Response.objects.count() == 0


def test_an_answer_outside_the_scale_is_reported_on_its_item_and_column(api):
    payload = {**body(7, 5), "answers": {"REL1": {"expectation": 9, "perception": 5}}}
    errors = api.post("/api/audits/q4/responses/", payload, format="json").json()
    assert errors == {"answers": {"REL1": {"expectation": ["9 is outside the scale 1..7"]}}}


def test_a_closed_audit_accepts_no_responses(api):
    assert api.patch("/api/audits/q4/", {"is_open": False}, format="json").status_code == 200
    response = api.post("/api/audits/q4/responses/", body(7, 5), format="json")
    assert response.status_code == 400 and "audit" in response.json()


def test_results_have_every_key_of_the_contract_with_hand_computed_gaps(api):
    api.post("/api/audits/q4/responses/", body(7, 5), format="json")
    api.post("/api/audits/q4/responses/", body(6, 6), format="json")
    result = api.get("/api/audits/q4/gaps/?unit=NORTH").json()
    assert result["audit"] == "q4" and result["unit"] == "NORTH" and result["status"] == "fresh"
    assert result["n_responses"] == 2 and result["scale"] == 7 and result["format"] == "two_column"
    overall = result["gap5"]["overall"]
    assert set(overall) == S_KEYS
    # d = −2 and 0 per response: mean −1, sd √2, se 1, ci −1 ± 12.706…
    assert overall["gap"] == -1.0 and overall["mean_e"] == 6.5 and overall["mean_p"] == 5.5
    assert overall["sd"] == pytest.approx(2 ** 0.5) and overall["se"] == pytest.approx(1.0)
    assert overall["ci_low"] == pytest.approx(-1 - 12.706204736174707)
    assert overall["low_sample"] is True
    assert set(result["gap5"]["weighted_overall"]) == S_KEYS - {"mean_e", "mean_p"}
    assert set(result["gap5"]["dimensions"]["reliability"]) == S_KEYS | {"importance", "alpha_p", "alpha_e",
                                                                         "alpha_gap"}
    assert list(result["gap5"]["items"]) == ITEMS
    assert result["gap1"]["items"]["REL1"] == {"gap": None, "mean_m": None, "mean_e": 6.5, "n_managers": 0,
                                              "n_customers": 2, "p_value": None, "ci_low": None, "ci_high": None}
    assert result["gap2"]["overall"] == {"gap": None}
    assert set(result["gap3"]["items"]["REL1"]) == {"gap", "mean_d", "standard", "n", "sd", "se", "ci_low",
                                                    "ci_high", "p_value", "low_sample"}
    assert "promised" in result["gap4"]["items"]["REL1"]
    assert result["zone"] is None
    assert set(result["ipa"]) == set(DIMENSIONS)
    assert all(v["quadrant"] is None for v in result["ipa"].values())


def test_results_of_an_unknown_unit_or_audit_are_rejected(api):
    assert api.get("/api/audits/q4/gaps/?unit=NOWHERE").status_code == 400
    fresh = APIClient()  # before any recompute, a unit outside the audit is still rejected
    fresh.force_login(get_user_model().objects.get(username="api-admin"))
    fresh.post("/api/audits/", {"slug": "q5", "title": "Q5", "instrument": "servqual", "units": ["H1"]},
               format="json")
    assert fresh.get("/api/audits/q5/gaps/?unit=ELSEWHERE").status_code == 400
    assert fresh.get("/api/audits/q5/gaps/?unit=H1").json()["gap5"]["overall"]["n"] == 0
    assert api.get("/api/audits/q4/gaps/?unit=ELSEWHERE").status_code == 400
    assert api.get("/api/audits/missing/gaps/").status_code == 404


def test_a_recompute_answers_202_and_can_be_polled_until_done(api):
    started = api.post("/api/audits/q4/recompute/")
    assert started.status_code == 202
    polled = api.get(f"/api/tasks/{started.json()['task_id']}/").json()
    assert polled["status"] == "done" and polled["audit"] == "q4"
    assert api.get(f"/api/tasks/{uuid.uuid4()}/").status_code == 404


def test_the_schema_and_the_docs_are_served_without_a_cdn(api):
    schema = api.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/audits/{slug}/responses/" in schema.json()["paths"]
    docs = api.get("/api/docs/").content.decode()
    assert "swagger" in docs.lower() and "cdn" not in docs


def test_results_keep_the_contract_shape_before_the_first_recompute(db):
    from surveys.models import Instrument
    from surveys.services import audit_create

    unit = Unit.objects.create(code="H9", name="Hall 9")
    audit_create(slug="new", title="New", instrument=Instrument.objects.get(code="servqual"), units=[unit],
                 format="three_column")  # its recompute is still queued (on commit)
    client = APIClient()
    client.force_login(get_user_model().objects.create_superuser("api-admin", "api-admin@example.com", "unused"))
    result = client.get("/api/audits/new/gaps/").json()
    assert result["status"] == "stale" and result["computed_at"] is None and result["n_responses"] == 0
    assert result["gap5"]["overall"]["n"] == 0 and result["gap5"]["overall"]["gap"] is None
    assert list(result["gap5"]["items"]) == ITEMS
    assert result["zone"]["items"]["REL1"]["position"] is None


def test_an_audit_slug_cannot_be_renamed(api):
    response = api.patch("/api/audits/q4/", {"slug": "renamed"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"slug": ["cannot change: it is part of every survey link"]}
    assert api.get("/api/audits/q4/").status_code == 200
