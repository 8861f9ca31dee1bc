"""The delivery evidence API: scorecard templates, self-assessments and inspections."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.models import RoleAssignment
from provider.models import DeliveryObservation, Inspection, ScorecardTemplate, SelfAssessment
from surveys.models import Audit, Instrument, Unit
from surveys.services import audit_create

pytestmark = pytest.mark.django_db

ALL_SEVEN = {"ASS3": 7.0, "ASS1": 7.0, "EMP3": 7.0, "EMP5": 7.0, "RES2": 7.0, "REL3": 7.0, "REL1": 7.0}


@pytest.fixture
def audit():
    chain = Unit.objects.create(code="chain", name="Chain")
    Unit.objects.create(code="hall-1", name="Hall 1", parent=chain)
    Unit.objects.create(code="other", name="Other")
    return audit_create(slug="q4", title="Q4", instrument=Instrument.objects.get(code="servqual"), units=[chain])


def person(username: str, role: str, unit_code: str | None = None):
    user = get_user_model().objects.create_user(username)
    RoleAssignment.objects.create(user=user, role=role, unit=Unit.objects.get(code=unit_code) if unit_code else None)
    return user


@pytest.fixture
def user(audit):
    """A frontline staff member of the whole chain: submits evidence, sees only their own."""
    return person("inspector", "staff", "chain")


@pytest.fixture
def api(user):
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def admin_api(audit):
    """Scorecard templates are written by admins only."""
    client = APIClient()
    client.force_login(person("ada", "admin"))
    return client


def version(audit) -> int:
    return Audit.objects.get(pk=audit.pk).data_version


def kiosk(**overrides):
    body = {"code": "kiosk", "name": {"en": "Kiosk check", "zh-hans": "自助机检查"},
            "checks": [{"code": "screen", "text": {"en": "Screen works"}, "item": "TAN1", "deduction": 30},
                       {"code": "receipt", "text": {"en": "Receipt printed"}, "item": "REL3", "deduction": 70}]}
    return {**body, **overrides}


class TestScorecardTemplates:
    @pytest.fixture
    def api(self, admin_api):
        return admin_api

    def test_it_lists_the_shipped_templates_with_their_checks(self, api):
        listed = api.get("/api/scorecard-templates/").json()["results"]
        assert [t["code"] for t in listed] == ["call-centre-call", "service-hall-visit"]
        assert listed[0]["checks"][0] == {
            "code": "greeting", "item": "ASS3", "deduction": 10,
            "text": {"en": "Opening greeting: uses the standard greeting and gives their own name.",
                     "zh-hans": "开场问候：使用标准问候语，并主动报出姓名或工号。"},
        }
        assert listed[0]["is_active"] is True and listed[0]["n_inspections"] == 0

    def test_it_creates_reads_changes_and_deletes_a_template(self, api):
        created = api.post("/api/scorecard-templates/", kiosk(), format="json")
        assert created.status_code == 201, created.content
        assert [(c["code"], c["item"], c["deduction"]) for c in created.json()["checks"]] == [
            ("screen", "TAN1", 30), ("receipt", "REL3", 70)]
        assert api.get("/api/scorecard-templates/kiosk/").json()["name"]["zh-hans"] == "自助机检查"
        patched = api.patch("/api/scorecard-templates/kiosk/", {"is_active": False}, format="json")
        assert patched.status_code == 200 and patched.json()["is_active"] is False
        assert len(patched.json()["checks"]) == 2
        put = api.put("/api/scorecard-templates/kiosk/", kiosk(checks=[
            {"code": "screen", "text": {"en": "Screen works"}, "item": "TAN1", "deduction": 50}]), format="json")
        assert put.status_code == 200 and put.json()["checks"][0]["deduction"] == 50
        assert put.json()["is_active"] is True
        assert api.delete("/api/scorecard-templates/kiosk/").status_code == 204
        assert api.get("/api/scorecard-templates/kiosk/").status_code == 404

    def test_it_rejects_bad_checks_by_field(self, api):
        body = kiosk(checks=[
            {"code": "a", "text": {"en": "A"}, "item": "TAN1", "deduction": 0},
            {"code": "a", "text": {"en": "B"}, "item": "not an item", "deduction": 1e308},
            {"code": "c", "text": {"english!": "C"}, "item": "REL3", "deduction": 101},
        ])
        response = api.post("/api/scorecard-templates/", body, format="json")
        assert response.status_code == 400
        errors = response.json()["checks"]
        assert errors == {
            "0": {"deduction": ["Ensure this value is greater than or equal to 1."]},
            "1": {"item": ["use 1 to 32 letters, digits, '_' or '-'"], "deduction": ["A valid integer is required."]},
            "2": {"text": ['"english!" is not a language code'],
                  "deduction": ["Ensure this value is less than or equal to 100."]},
        }
        assert not ScorecardTemplate.objects.filter(code="kiosk").exists()

    def test_it_rejects_repeated_check_codes(self, api):
        body = kiosk(checks=[{"code": "a", "text": {"en": "A"}, "item": "TAN1", "deduction": 10}] * 2)
        response = api.post("/api/scorecard-templates/", body, format="json")
        assert response.status_code == 400
        assert response.json() == {"checks": ['check code "a" is used twice']}

    def test_it_rejects_an_empty_template_a_taken_code_and_a_changed_code(self, api):
        assert set(api.post("/api/scorecard-templates/", kiosk(checks=[]), format="json").json()) == {"checks"}
        taken = api.post("/api/scorecard-templates/", kiosk(code="call-centre-call"), format="json")
        assert taken.status_code == 400
        assert taken.json() == {"code": ['a scorecard template "call-centre-call" already exists']}
        moved = api.put("/api/scorecard-templates/call-centre-call/", kiosk(), format="json")
        assert moved.status_code == 400 and set(moved.json()) == {"code"}

    def test_a_template_used_by_an_inspection_cannot_be_deleted(self, api, audit):
        api.post("/api/audits/q4/inspections/", {"template": "call-centre-call", "unit": "hall-1"}, format="json")
        response = api.delete("/api/scorecard-templates/call-centre-call/")
        assert response.status_code == 400 and "deactivate" in response.json()["template"][0]
        assert ScorecardTemplate.objects.filter(code="call-centre-call").exists()
        assert api.get("/api/scorecard-templates/call-centre-call/").json()["n_inspections"] == 1

    def test_it_needs_a_signed_in_user(self, audit):
        anonymous = APIClient()
        assert anonymous.get("/api/scorecard-templates/").status_code == 401
        assert anonymous.post("/api/audits/q4/self-assessments/", {}, format="json").status_code == 401
        assert anonymous.get("/api/audits/q4/inspections/").status_code == 401
        assert not SelfAssessment.objects.exists()


class TestSelfAssessments:
    url = "/api/audits/q4/self-assessments/"

    def test_a_self_assessment_is_stored_with_one_observation_per_score(self, api, audit, user):
        before = version(audit)
        response = api.post(self.url, {"unit": "hall-1", "scores": {"REL1": 5, "ASS3": 7, "EMP1": None},
                                       "comments": {"REL1": "Queue was long"}}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["unit"] == "hall-1" and body["submitted_by"] == "inspector"
        assert body["scores"] == {"REL1": 5, "ASS3": 7, "EMP1": None}
        assert body["comments"] == {"REL1": "Queue was long"}
        assert body["id"] == SelfAssessment.objects.get().pk and body["submitted_at"]
        assert sorted(DeliveryObservation.objects.values_list("item_code", "value", "source")) == [
            ("ASS3", 7.0, "self_assessment"), ("REL1", 5.0, "self_assessment")]
        assert version(audit) == before + 1

    @pytest.mark.parametrize("scores,errors", [
        # beyond any audit's scale: refused before the service looks at the audit
        ({"REL1": 11}, {"scores": {"REL1": ["Ensure this value is less than or equal to 10."]}}),
        ({"REL1": 9}, {"scores": {"REL1": ["9 is outside the scale 1..7"]}}),
        ({"REL1": 7.0}, {"scores": {"REL1": ["must be an integer from 1 to 7, or null for not assessed"]}}),
        ({"XX1": 3}, {"scores": {"XX1": ['unknown item "XX1"']}}),
        ({"REL1": None}, {"scores": ["give at least one score"]}),
    ])
    def test_it_rejects_bad_scores_by_field_and_writes_nothing(self, api, audit, scores, errors):
        response = api.post(self.url, {"unit": "hall-1", "scores": scores}, format="json")
        assert response.status_code == 400
        assert response.json() == errors
        assert not SelfAssessment.objects.exists() and not DeliveryObservation.objects.exists()

    def test_it_rejects_a_unit_outside_the_audit_and_a_closed_audit(self, api, audit):
        response = api.post(self.url, {"unit": "other", "scores": {"REL1": 4}}, format="json")
        assert response.status_code == 400 and response.json() == {"unit": ['unknown unit "other" for this audit']}
        Audit.objects.filter(pk=audit.pk).update(is_open=False)
        response = api.post(self.url, {"unit": "hall-1", "scores": {"REL1": 4}}, format="json")
        assert response.json() == {"audit": ["this audit is closed and accepts no more delivery evidence"]}

    def test_an_unknown_audit_is_not_found(self, api, audit):
        assert api.post("/api/audits/nope/self-assessments/", {"unit": "hall-1", "scores": {"REL1": 4}},
                        format="json").status_code == 404
        assert api.get("/api/audits/nope/self-assessments/").status_code == 404

    def test_it_lists_newest_first_to_managers_and_only_their_own_to_staff(self, api, audit):
        api.post(self.url, {"unit": "hall-1", "scores": {"REL1": 4}}, format="json")
        other = APIClient()
        other.force_login(person("colleague", "staff", "chain"))
        other.post(self.url, {"unit": "chain", "scores": {"REL1": 6}}, format="json")
        boss = APIClient()
        boss.force_login(person("boss", "manager", "chain"))
        listed = boss.get(self.url).json()
        assert [(r["unit"], r["submitted_by"]) for r in listed["results"]] == [("chain", "colleague"),
                                                                                ("hall-1", "inspector")]
        assert boss.get(self.url + "?mine=1").json()["results"] == []
        for query in ("", "?mine=0", "?mine=1"):
            assert [r["submitted_by"] for r in api.get(self.url + query).json()["results"]] == ["inspector"]
        assert api.get(self.url + "?mine=yes").status_code == 400


class TestInspections:
    url = "/api/audits/q4/inspections/"

    def test_an_inspection_answers_with_its_converted_scores(self, api, audit):
        before = version(audit)
        response = api.post(self.url, {
            "template": "call-centre-call", "unit": "hall-1", "inspector_role": "mystery_shopper",
            "reference": "CALL-42", "observed_at": "2025-03-01T10:30:00+08:00", "failed_checks": ["greeting"],
            "notes": "Greeting skipped",
        }, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["scores"] == {**ALL_SEVEN, "ASS3": 3.0}
        assert body["failed_checks"] == ["greeting"] and body["inspector"] == "inspector"
        assert body["inspector_role"] == "mystery_shopper" and body["reference"] == "CALL-42"
        assert body["observed_at"] == "2025-03-01T02:30:00Z" and len(body["checks"]) == 8
        assert DeliveryObservation.objects.filter(source="inspection", unit__code="hall-1").count() == 7
        assert version(audit) == before + 1

    def test_it_rejects_bad_fields_by_name_and_writes_nothing(self, api, audit):
        response = api.post(self.url, {"template": "call-centre-call", "unit": "hall-1",
                                       "failed_checks": ["greeting", "smile"]}, format="json")
        assert response.status_code == 400
        assert response.json() == {"failed_checks": ['unknown check "smile" in template "call-centre-call"']}
        response = api.post(self.url, {"template": "nope", "unit": "other", "inspector_role": "boss",
                                       "observed_at": "2999-01-01T00:00:00Z"}, format="json")
        assert response.status_code == 400 and set(response.json()) == {"inspector_role"}
        response = api.post(self.url, {"template": "nope", "unit": "other",
                                       "observed_at": "2999-01-01T00:00:00Z"}, format="json")
        assert response.json() == {"unit": ['unknown unit "other" for this audit'],
                                   "template": ['unknown scorecard template "nope"'],
                                   "observed_at": ["cannot be in the future"]}
        assert not Inspection.objects.exists() and not DeliveryObservation.objects.exists()

    def test_it_rejects_form_data_and_text_where_lists_belong(self, api, audit):
        as_form = api.post(self.url, {"template": "call-centre-call", "unit": "hall-1"})
        assert as_form.status_code == 415
        text = api.post(self.url, {"template": "call-centre-call", "unit": "hall-1", "failed_checks": "greeting"},
                        format="json")
        assert text.status_code == 400 and set(text.json()) == {"failed_checks"}

    def test_it_lists_inspections_with_their_scores(self, api, audit):
        api.post(self.url, {"template": "service-hall-visit", "unit": "chain", "failed_checks": ["wait"]},
                 format="json")
        listed = api.get(self.url).json()["results"]
        assert [(r["template"], r["unit"], r["scores"]["RES2"]) for r in listed] == [
            ("service-hall-visit", "chain", 1.0)]


def test_the_endpoints_are_in_the_schema_with_their_errors(api):
    schema = api.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path, methods in {
        "/api/scorecard-templates/": ["get", "post"],
        "/api/scorecard-templates/{code}/": ["get", "put", "patch", "delete"],
        "/api/audits/{slug}/self-assessments/": ["get", "post"],
        "/api/audits/{slug}/inspections/": ["get", "post"],
    }.items():
        for method in methods:
            responses = paths[path][method]["responses"]
            assert "401" in responses, (path, method)
            if method != "get" or "{" in path:
                assert "400" in responses or "404" in responses, (path, method)
    assert "404" in paths["/api/audits/{slug}/inspections/"]["post"]["responses"]
    assert "400" in paths["/api/audits/{slug}/inspections/"]["post"]["responses"]
