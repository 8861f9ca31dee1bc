"""Requests a fuzzer (schemathesis 4.32, `--checks all`) sent to the provider API, each
answering as the OpenAPI schema says: never a 500, a 400 by field for what the schema
refuses, and nothing written. The surveys and analytics ones: tests/surveys/test_api_fuzz_regressions.py.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.models import RoleAssignment
from provider.models import ManagerAnswerSet, Promise, QualityStandard, ScorecardTemplate
from surveys.models import Instrument, Unit
from surveys.services import audit_create

pytestmark = pytest.mark.django_db

MINE = "/api/audits/q4/manager-answers/mine/"
PATHS = [
    "/api/audits/", "/api/audits/q4/", "/api/audits/q4/responses/", "/api/units/", "/api/audits/q4/gaps/",
    "/api/audits/q4/recompute/", "/api/tasks/0b5e3cf8-4b7e-4a8e-9a57-0d4e3f1c9a11/", "/api/scorecard-templates/",
    "/api/scorecard-templates/call-centre-call/", "/api/audits/q4/self-assessments/", "/api/audits/q4/inspections/",
    "/api/audits/q4/manager-answers/", MINE, "/api/audits/q4/standards/", "/api/audits/q4/standards/1/",
    "/api/audits/q4/promises/", "/api/audits/q4/promises/1/",
]


@pytest.fixture
def audit():
    chain = Unit.objects.create(code="chain", name="Chain")
    Unit.objects.create(code="hall-1", name="Hall 1", parent=chain)
    Unit.objects.create(code="other", name="Other")
    return audit_create(slug="q4", title="Q4", instrument=Instrument.objects.get(code="servqual"), units=[chain])


def client_as(role: str, unit_code: str | None = None) -> APIClient:
    user = get_user_model().objects.create_user(f"{role}-{unit_code or 'all'}")
    RoleAssignment.objects.create(user=user, role=role, unit=Unit.objects.get(code=unit_code) if unit_code else None)
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin(audit) -> APIClient:
    return client_as("admin")


# ---------------------------------------------------------------- OPTIONS

@pytest.mark.parametrize("role, unit", [("admin", None), ("manager", "chain"), ("manager", "other"),
                                        ("staff", "hall-1")])
@pytest.mark.parametrize("path", PATHS)
def test_options_of_every_endpoint_answers_without_a_server_error(audit, role, unit, path):
    response = client_as(role, unit).options(path)
    assert response.status_code in (200, 403), response.content


@pytest.mark.parametrize("role, unit", [("admin", None), ("manager", "chain")])
def test_options_of_the_managers_own_answers_describes_the_put_body(audit, role, unit):
    """The view had no queryset: DRF's metadata asked for the object of a PUT and crashed (500)."""
    response = client_as(role, unit).options(MINE, {"unit": "HOTLINE", "answers": {}, "importance": {}},
                                             format="json")
    assert response.status_code == 200, response.content
    assert sorted(response.json()["actions"]["PUT"]) == ["answers", "importance", "unit"]
    assert not ManagerAnswerSet.objects.exists()


def test_options_of_the_managers_own_answers_of_an_audit_out_of_reach_describes_no_put(audit):
    response = client_as("manager", "other").options(MINE)
    assert response.status_code == 200
    assert "actions" not in response.json()


def test_options_of_the_managers_own_answers_is_refused_to_staff(audit):
    assert client_as("staff", "hall-1").options(MINE).status_code == 403


# ---------------------------------------------------------------- numbers and booleans are JSON numbers and booleans

@pytest.mark.parametrize("level", ["6", "6.0", True, None, [6], {"level": 6}])
def test_a_standard_level_that_is_not_a_json_number_answers_400_on_level(admin, level):
    response = admin.post("/api/audits/q4/standards/", {"item": "RES2", "level": level}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["level"]
    assert not QualityStandard.objects.exists()


def test_a_standard_level_of_6_point_0_is_the_whole_number_6(admin):
    response = admin.post("/api/audits/q4/standards/", {"item": "RES2", "level": 6.0}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["level"] == 6


def test_a_patched_standard_level_that_is_a_string_answers_400_and_keeps_the_level(admin):
    created = admin.post("/api/audits/q4/standards/", {"item": "RES2", "level": 6}, format="json").json()
    response = admin.patch(f"/api/audits/q4/standards/{created['id']}/", {"level": "7"}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["level"]
    assert QualityStandard.objects.get().level == 6


@pytest.mark.parametrize("level", ["7", False])
def test_a_promise_level_that_is_not_a_json_number_answers_400_on_level(admin, level):
    response = admin.post("/api/audits/q4/promises/", {"item": "RES2", "text": "Served in 5 minutes",
                                                       "level": level}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["level"]
    assert not Promise.objects.exists()


def kiosk(**overrides) -> dict:
    return {"code": "kiosk", "name": {"en": "Kiosk check"},
            "checks": [{"code": "screen", "text": {"en": "Screen works"}, "item": "TAN1", "deduction": 30}],
            **overrides}


@pytest.mark.parametrize("is_active", [0, 1, "true", "yes", "off", None])
def test_a_template_is_active_that_is_not_true_or_false_answers_400_on_is_active(admin, is_active):
    response = admin.post("/api/scorecard-templates/", kiosk(is_active=is_active), format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["is_active"]
    assert not ScorecardTemplate.objects.filter(code="kiosk").exists()


def test_a_patched_template_is_active_of_0_answers_400_and_keeps_the_template_active(admin):
    response = admin.patch("/api/scorecard-templates/call-centre-call/", {"is_active": 0}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["is_active"]
    assert ScorecardTemplate.objects.get(code="call-centre-call").is_active is True


def test_a_check_deduction_that_is_a_string_answers_400_on_that_check(admin):
    checks = [{"code": "screen", "text": {"en": "Screen works"}, "item": "TAN1", "deduction": "30"}]
    response = admin.post("/api/scorecard-templates/", kiosk(checks=checks), format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {"checks": {"0": {"deduction": ["A valid integer is required."]}}}
    assert not ScorecardTemplate.objects.filter(code="kiosk").exists()


# ---------------------------------------------------------------- what the schema documents

def schema_of(client: APIClient, name: str) -> dict:
    return client.get("/api/schema/?format=json").json()["components"]["schemas"][name]["properties"]


def test_the_schema_says_a_promise_text_is_not_blank_as_the_api_does(admin):
    assert schema_of(admin, "Promise")["text"]["minLength"] == 1
    response = admin.post("/api/audits/q4/promises/", {"item": "RES2", "text": "", "level": 7}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["text"]


def test_the_schema_says_template_names_and_check_texts_need_a_language_and_checks_1_to_100(admin):
    template, check = schema_of(admin, "ScorecardTemplate"), schema_of(admin, "ScorecardCheck")
    assert template["name"]["minProperties"] == 1 and check["text"]["minProperties"] == 1
    assert (template["checks"]["minItems"], template["checks"]["maxItems"]) == (1, 100)
    empty = kiosk(name={}, checks=[{"code": "screen", "text": {}, "item": "TAN1", "deduction": 30}])
    response = admin.post("/api/scorecard-templates/", empty, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["This dictionary may not be empty."],
                                "checks": {"0": {"text": ["This dictionary may not be empty."]}}}


def test_the_schema_says_a_self_assessment_scores_at_least_one_item(audit):
    staff = client_as("staff", "hall-1")
    assert schema_of(staff, "SelfAssessmentIn")["scores"]["minProperties"] == 1
    response = staff.post("/api/audits/q4/self-assessments/", {"unit": "hall-1", "scores": {}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"scores": ["This dictionary may not be empty."]}


# ---------------------------------------------------------------- JSON nested too deeply

@pytest.mark.parametrize("method, path", [
    ("post", "/api/audits/q4/standards/"), ("post", "/api/audits/q4/promises/"), ("put", MINE),
    ("post", "/api/scorecard-templates/"), ("put", "/api/scorecard-templates/call-centre-call/"),
    ("post", "/api/audits/q4/self-assessments/"), ("post", "/api/audits/q4/inspections/"),
])
def test_json_nested_100000_levels_deep_answers_400_not_a_recursion_error(admin, method, path):
    deep = "[" * 100_000 + "]" * 100_000
    response = getattr(admin, method)(path, deep, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": "JSON parse error - nested too deeply."}
    assert not QualityStandard.objects.exists() and not Promise.objects.exists()
    assert not ManagerAnswerSet.objects.exists()


# ---------------------------------------------------------------- JSON only, whatever the client accepts

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("path", PATHS)
def test_an_api_get_asking_for_html_answers_406_not_the_browsable_api(admin, path):
    """DRF's browsable API rendered forms through get_queryset(), which the provider views lack: 500."""
    response = admin.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 406, response.content
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["/api/audits/q4/standards/", "/api/audits/q4/promises/",
                                  "/api/audits/q4/self-assessments/", "/api/scorecard-templates/"])
def test_an_api_get_with_format_api_answers_404(admin, path):
    assert admin.get(path, {"format": "api"}).status_code == 404


@pytest.mark.parametrize("path", ["/api/audits/q4/standards/", "/api/audits/q4/inspections/",
                                  "/api/audits/q4/manager-answers/"])
def test_an_api_get_from_a_browser_answers_json(admin, path):
    response = admin.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["results"] == []


# ---------------------------------------------------------------- half a surrogate pair

LONE = "\\ud800"  # as JSON text: the escape of half a surrogate pair, no character; "@" in the bodies below


@pytest.mark.parametrize("method, path, body", [
    ("put", MINE, '{"unit": "chain", "answers": {"@": 5}}'),
    ("put", MINE, '{"unit": "chain", "answers": {}, "importance": {"@": 100}}'),
    ("post", "/api/audits/q4/self-assessments/", '{"unit": "hall-1", "scores": {"@": 5}}'),
    ("post", "/api/audits/q4/self-assessments/", '{"unit": "hall-1", "scores": {"RES2": 5}, "comments": {"@": "x"}}'),
    ("post", "/api/scorecard-templates/", '{"code": "k1", "name": {"@": "x"}, "checks": [{"code": "a", "text": '
                                          '{"en": "A"}, "item": "TAN1", "deduction": 5}]}'),
    ("post", "/api/scorecard-templates/", '{"code": "k1", "name": {"en": "x"}, "checks": [{"code": "a", "text": '
                                          '{"@": "A"}, "item": "TAN1", "deduction": 5}]}'),
    ("post", "/api/audits/q4/promises/", '{"item": "RES2", "level": 5, "text": "t", "channel": "p@"}'),
    ("post", "/api/audits/q4/standards/", '{"item": "RES2", "level": 5, "description": "d@"}'),
])
def test_half_a_surrogate_pair_in_a_key_or_text_answers_400_not_a_unicode_error(admin, method, path, body):
    """Echoed in an error message ('unknown item "\\ud800"'), it made the UTF-8 response fail: 500."""
    response = getattr(admin, method)(path, body.replace("@", LONE), content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": "JSON parse error - a \\u escape in the range D800-DFFF without its pair "
                                         "is not a character."}
    assert not ManagerAnswerSet.objects.exists() and not Promise.objects.exists()
    assert not ScorecardTemplate.objects.filter(code="k1").exists()


def test_a_whole_surrogate_pair_is_one_character_and_taken(admin):
    body = '{"item": "RES2", "level": 5, "text": "Smile \\ud83d\\ude00"}'
    response = admin.post("/api/audits/q4/promises/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Promise.objects.get().text == "Smile \U0001F600"
