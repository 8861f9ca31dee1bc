"""The JSON API of manager answers, quality standards and promises."""
# ruff: noqa: F811 (pytest fixtures imported from tests.provider._h2_setup are redefined as arguments)

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from provider.models import ManagerAnswerSet, Promise, QualityStandard
from surveys.models import Audit, Instrument
from surveys.services import audit_create
from tests.provider._h2_setup import (  # noqa: F401 (fixtures)
    DIMENSIONS,
    admin,
    audit,
    customer,
    manager,
    observe,
    other_manager,
    stored,
    units,
    version,
)

SPLIT = {"tangibles": 10, "reliability": 30, "responsiveness": 20, "assurance": 20, "empathy": 20}


class CommittingClient(APIClient):
    """Each request runs its on-commit work (the eager recompute), as a real request would."""

    def __init__(self, capture, **kwargs):
        super().__init__(**kwargs)
        self.capture = capture

    def request(self, **kwargs):
        with self.capture(execute=True):
            return super().request(**kwargs)


@pytest.fixture
def api(audit, manager, django_capture_on_commit_callbacks) -> CommittingClient:
    client = CommittingClient(django_capture_on_commit_callbacks)
    client.force_authenticate(manager)
    return client


@pytest.fixture
def admin_api(audit, admin, django_capture_on_commit_callbacks) -> CommittingClient:
    """Standards and promises are written by admins only."""
    client = CommittingClient(django_capture_on_commit_callbacks)
    client.force_authenticate(admin)
    return client


MINE = "/api/audits/spring/manager-answers/mine/"
STANDARDS = "/api/audits/spring/standards/"
PROMISES = "/api/audits/spring/promises/"


class TestAccess:
    @pytest.mark.parametrize("method, path", [
        ("get", "/api/audits/spring/manager-answers/"), ("get", MINE), ("put", MINE),
        ("get", STANDARDS), ("post", STANDARDS), ("get", STANDARDS + "1/"), ("patch", STANDARDS + "1/"),
        ("delete", STANDARDS + "1/"), ("get", PROMISES), ("post", PROMISES), ("delete", PROMISES + "1/"),
    ])
    def test_anonymous_requests_are_refused_and_nothing_is_written(self, audit, method, path):
        response = getattr(APIClient(), method)(path, {}, format="json")
        assert response.status_code == 401
        assert not ManagerAnswerSet.objects.exists() and not QualityStandard.objects.exists()

    @pytest.mark.parametrize("path", [
        "/api/audits/nope/manager-answers/", "/api/audits/nope/manager-answers/mine/",
        "/api/audits/nope/standards/", "/api/audits/nope/promises/", "/api/audits/spring/standards/999/",
        "/api/audits/spring/promises/999/", "/api/audits/spring/promises/99999999999999999999/",
    ])
    def test_unknown_audits_and_objects_are_404(self, api, path):
        assert api.get(path).status_code == 404

    def test_the_endpoints_are_in_the_schema_with_their_errors(self, api):
        paths = api.get("/api/schema/?format=json").json()["paths"]
        assert paths["/api/audits/{slug}/manager-answers/mine/"]["put"]["responses"].keys() >= {"200", "201", "400",
                                                                                               "404"}
        for path in ("/api/audits/{slug}/standards/", "/api/audits/{slug}/promises/"):
            assert paths[path]["post"]["responses"].keys() >= {"201", "400", "401", "404"}
            assert paths[path + "{id}/"]["patch"]["responses"].keys() >= {"200", "400", "401", "404"}
        assert "/api/audits/{slug}/manager-answers/" in paths


class TestManagerAnswers:
    def test_a_manager_creates_reads_and_replaces_their_set(self, api, audit, other_manager):
        assert api.get(MINE).status_code == 404
        before = version(audit)
        created = api.put(MINE, {"unit": "H1", "answers": {"REL1": 6, "TAN1": None}, "importance": SPLIT},
                          format="json")
        assert created.status_code == 201, created.content
        body = created.json()
        assert (body["manager"], body["unit"], body["answers"]["REL1"], body["answers"]["TAN1"]) == \
            ("mia", "H1", 6, None)
        assert len(body["answers"]) == 22 and body["importance"] == SPLIT
        assert api.get(MINE).json() == body
        replaced = api.put(MINE, {"unit": "N", "answers": {"REL2": 2}, "importance": None}, format="json")
        assert replaced.status_code == 200
        assert (replaced.json()["unit"], replaced.json()["answers"]["REL1"], replaced.json()["answers"]["REL2"],
                replaced.json()["importance"]) == ("N", None, 2, None)
        assert ManagerAnswerSet.objects.count() == 1
        assert version(audit) == before + 2
        other = APIClient()
        other.force_authenticate(other_manager)
        assert other.put(MINE, {"unit": "H3", "answers": {"REL1": 3}}, format="json").status_code == 201
        listed = api.get("/api/audits/spring/manager-answers/", {"limit": 1}).json()
        assert listed["count"] == 2 and [r["unit"] for r in listed["results"]] == ["H3"]
        assert api.get("/api/audits/spring/manager-answers/", {"limit": "x"}).status_code == 400

    @pytest.mark.parametrize("body, errors", [
        ({"unit": "H1", "answers": {"REL1": 8}}, {"answers": {"REL1": ["8 is outside the scale 1..7"]}}),
        ({"unit": "H1", "answers": {"REL1": "7"}}, {"answers": {"REL1": [
            "must be an integer from 1 to 7, or null for no opinion"]}}),
        ({"unit": "H1", "answers": {"NOPE": 3}}, {"answers": {"NOPE": ['unknown item "NOPE"']}}),
        ({"unit": "X", "answers": {}}, {"unit": ['unknown unit "X" for this audit']}),
        ({"unit": "H1", "answers": {}, "importance": {d: 19 for d in DIMENSIONS}},
         {"importance": ["points must sum to exactly 100 (they sum to 95)"]}),
    ])
    def test_bad_values_are_400_with_the_services_errors_by_field(self, api, audit, body, errors):
        before = version(audit)
        response = api.put(MINE, body, format="json")
        assert response.status_code == 400
        assert response.json() == errors
        assert ManagerAnswerSet.objects.count() == 0 and version(audit) == before

    @pytest.mark.parametrize("body, field", [
        ({"unit": "H1", "answers": {"REL1": 7.5}}, "answers"),
        ({"unit": "H1", "answers": {"REL1": 1e308}}, "answers"),
        ({"unit": "H1", "answers": ["REL1"]}, "answers"),
        ({"unit": "H1"}, "answers"),
        ({"unit": "bad code!", "answers": {}}, "unit"),
        ({"unit": "H\u00001", "answers": {}}, "unit"),
        ({"unit": 7, "answers": {}}, "unit"),
        ({"unit": "H1", "answers": {}, "importance": {"tangibles": 1000}}, "importance"),
    ])
    def test_malformed_bodies_are_400_on_the_field(self, api, body, field):
        response = api.put(MINE, body, format="json")
        assert response.status_code == 400
        assert list(response.json()) == [field]
        assert ManagerAnswerSet.objects.count() == 0

    def test_a_closed_audit_refuses_changes(self, api, audit):
        api.put(MINE, {"unit": "H1", "answers": {"REL1": 6}}, format="json")
        Audit.objects.filter(pk=audit.pk).update(is_open=False)
        response = api.put(MINE, {"unit": "H1", "answers": {"REL1": 2}}, format="json")
        assert response.status_code == 400 and list(response.json()) == ["audit"]
        assert api.get(MINE).json()["answers"]["REL1"] == 6

    def test_a_manager_answer_changes_gap_1_in_the_results_api(self, api, audit, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            customer(audit, "H1", REL1=7)
            customer(audit, "H3", REL1=4)
        assert api.get("/api/audits/spring/gaps/").json()["gap1"]["items"]["REL1"]["mean_m"] is None
        api.put(MINE, {"unit": "H1", "answers": {"REL1": 4}}, format="json")
        rel1 = api.get("/api/audits/spring/gaps/").json()["gap1"]["items"]["REL1"]
        # mean_m = 4, mean_e = (7 + 4) / 2 = 5.5, gap = −1.5
        assert (rel1["mean_m"], rel1["mean_e"], rel1["gap"], rel1["n_managers"]) == (4.0, 5.5, -1.5, 1)


class TestStandards:
    @pytest.fixture
    def api(self, admin_api):
        return admin_api

    def test_set_read_patch_and_delete(self, api, audit):
        before = version(audit)
        created = api.post(STANDARDS, {"item": "RES2", "level": 6, "description": "queue under 10 minutes"},
                           format="json")
        assert created.status_code == 201
        standard_id = created.json()["id"]
        assert created.json() == {"id": standard_id, "item": "RES2", "unit": None, "level": 6,
                                  "description": "queue under 10 minutes"}
        again = api.post(STANDARDS, {"item": "RES2", "unit": None, "level": 5}, format="json")
        assert again.status_code == 200 and again.json()["id"] == standard_id and again.json()["level"] == 5
        override = api.post(STANDARDS, {"item": "RES2", "unit": "N", "level": 4}, format="json").json()
        listed = api.get(STANDARDS).json()
        assert listed["count"] == 2 and [(r["item"], r["unit"]) for r in listed["results"]] == \
            [("RES2", None), ("RES2", "N")]
        detail = f"{STANDARDS}{override['id']}/"
        assert api.get(detail).json()["level"] == 4
        patched = api.patch(detail, {"level": 3, "description": "one counter"}, format="json")
        assert patched.status_code == 200
        assert (patched.json()["unit"], patched.json()["level"], patched.json()["description"]) == \
            ("N", 3, "one counter")
        assert api.patch(detail, {"unit": None}, format="json").json() == {
            "item": ["this item already has a standard for this unit: edit that one instead"]}
        assert api.delete(detail).status_code == 204
        assert api.get(detail).status_code == 404
        assert version(audit) == before + 5

    @pytest.mark.parametrize("body, field", [
        ({"item": "RES2", "level": 8}, "level"),
        ({"item": "RES2", "level": 0}, "level"),
        ({"item": "RES2", "level": 1e308}, "level"),
        ({"item": "RES2", "level": 5.5}, "level"),
        ({"item": "NOPE", "level": 5}, "item"),
        ({"item": 5, "level": 5}, "item"),
        ({"item": "R\u0000S2", "level": 5}, "item"),
        ({"item": "RES2", "level": 5, "unit": "X"}, "unit"),
        ({"item": "RES2", "level": 5, "unit": "no such!"}, "unit"),
        ({"item": "RES2", "level": 5, "description": "x" * 2001}, "description"),
        ({"level": 5}, "item"),
    ])
    def test_bad_input_is_400_on_the_field_and_writes_nothing(self, api, audit, body, field):
        before = version(audit)
        response = api.post(STANDARDS, body, format="json")
        assert response.status_code == 400
        assert list(response.json()) == [field]
        assert QualityStandard.objects.count() == 0 and version(audit) == before

    def test_a_standard_of_another_audit_is_not_found(self, api, units, audit):
        other = audit_create(slug="autumn", title="Autumn", instrument=Instrument.objects.get(code="servqual"),
                             units=[units["C"]])
        theirs = QualityStandard.objects.create(audit=other, item_code="REL1", level=5)
        assert api.get(f"{STANDARDS}{theirs.pk}/").status_code == 404
        assert api.delete(f"{STANDARDS}{theirs.pk}/").status_code == 404
        assert QualityStandard.objects.count() == 1


class TestPromises:
    @pytest.fixture
    def api(self, admin_api):
        return admin_api

    def test_record_read_patch_and_delete_with_evidence(self, api, audit, units):
        observe(audit, units["H1"], "REL1", 4, 5)
        observe(audit, units["H3"], "REL1", 5, source="inspection")
        created = api.post(PROMISES, {"item": "REL1", "text": "Always on time", "channel": "poster", "level": 6,
                                      "valid_from": "2025-01-01", "valid_to": None}, format="json")
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["evidence"]["n"] == 3 and body["evidence"]["met"] is False
        assert body["evidence"]["mean_d"] == pytest.approx(14 / 3, rel=1e-12)
        assert {k: body[k] for k in ("item", "unit", "text", "channel", "level", "valid_from", "valid_to")} == {
            "item": "REL1", "unit": None, "text": "Always on time", "channel": "poster", "level": 6,
            "valid_from": "2025-01-01", "valid_to": None}
        detail = f"{PROMISES}{body['id']}/"
        patched = api.patch(detail, {"unit": "S", "level": 5}, format="json")
        assert patched.status_code == 200
        # South: Hall 3's one inspection, 5 ≥ 5.
        assert patched.json()["evidence"] == {"mean_d": 5.0, "n": 1, "met": True}
        assert api.patch(detail, {"valid_to": "2024-12-31"}, format="json").json() == {
            "valid_to": ["must not be before valid from"]}
        assert api.delete(detail).status_code == 204
        assert Promise.objects.count() == 0

    def test_the_list_puts_unmet_promises_first(self, api, audit, units):
        observe(audit, units["H1"], "REL1", 4, 5)
        observe(audit, units["H3"], "TAN1", 4, 5)
        observe(audit, units["H1"], "RES2", 6)
        for item, level in (("RES2", 5), ("EMP2", 3), ("REL1", 6), ("TAN1", 7)):
            assert api.post(PROMISES, {"item": item, "text": f"{item} promise", "level": level},
                            format="json").status_code == 201
        listed = api.get(PROMISES).json()
        assert listed["count"] == 4
        assert [(r["item"], r["evidence"]["met"]) for r in listed["results"]] == [
            ("TAN1", False), ("REL1", False), ("EMP2", None), ("RES2", True)]

    @pytest.mark.parametrize("change, field", [
        ({"level": 8}, "level"),
        ({"level": "x"}, "level"),
        ({"channel": "billboard"}, "channel"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"item": "NOPE"}, "item"),
        ({"unit": "X"}, "unit"),
        ({"valid_from": "2025-13-01"}, "valid_from"),
        ({"valid_from": "2025-03-01", "valid_to": "2025-02-01"}, "valid_to"),
    ])
    def test_bad_input_is_400_on_the_field_and_writes_nothing(self, api, audit, change, field):
        before = version(audit)
        body = {"item": "REL1", "text": "Always on time", "level": 6, **change}
        response = api.post(PROMISES, body, format="json")
        assert response.status_code == 400
        assert list(response.json()) == [field]
        assert Promise.objects.count() == 0 and version(audit) == before

    def test_the_api_takes_json_only(self, api):
        response = api.post(PROMISES, {"item": "REL1", "text": "x", "level": 6})  # multipart
        assert response.status_code == 415
