"""Inputs a fuzzer (schemathesis) sent to the API: each must answer 4xx by field, never 500.

Run on SQLite and on PostgreSQL (DATABASE_URL=postgres://…): PostgreSQL rejects NUL
bytes in text and overflows on huge numbers, SQLite does neither.
"""

import uuid

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from surveys.models import Audit, Response, Unit

ITEMS = [f"{p}{i}" for p, k in (("TAN", 4), ("REL", 5), ("RES", 4), ("ASS", 4), ("EMP", 5)) for i in range(1, k + 1)]
DIMENSIONS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
HUGE = 7317606121259760104786349885751296


@pytest.fixture
def api(db):
    region = Unit.objects.create(code="NORTH", name="North")
    Unit.objects.create(code="H1", name="Hall 1", parent=region)
    client = APIClient()
    # Signed in: responses need no survey link token (the token cases: tests/surveys/test_links.py).
    client.force_login(get_user_model().objects.create_superuser("api-admin", "api-admin@example.com", "unused"))
    created = client.post("/api/audits/", {"slug": "q4", "title": "Q4", "instrument": "servqual",
                                           "units": ["NORTH"]}, format="json")
    assert created.status_code == 201, created.content
    return client


def body(**extra) -> dict:
    return {"submission_id": str(uuid.uuid4()), "unit": "H1", "channel": "web",
            "answers": {code: {"expectation": 7, "perception": 5} for code in ITEMS}, **extra}


def submit(api, payload):
    return api.post("/api/audits/q4/responses/", payload, format="json")


# ---------------------------------------------------------------- pagination

@pytest.mark.parametrize("path", ["/api/units/", "/api/audits/"])
@pytest.mark.parametrize("limit", [str(HUGE), "201", "0", "-5", "null", "×"])
def test_a_page_limit_out_of_bounds_or_not_an_integer_answers_400_on_limit(api, path, limit):
    response = api.get(path, {"limit": limit})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["limit"]


@pytest.mark.parametrize("path", ["/api/units/", "/api/audits/"])
@pytest.mark.parametrize("offset", [str(HUGE), "-6878912", "null"])
def test_a_page_offset_out_of_bounds_or_not_an_integer_answers_400_on_offset(api, path, offset):
    response = api.get(path, {"offset": offset})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["offset"]


def test_a_page_limit_and_offset_within_bounds_still_page(api):
    response = api.get("/api/units/", {"limit": "1", "offset": "1"})
    assert response.status_code == 200
    assert [u["code"] for u in response.json()["results"]] == ["NORTH"]


def test_a_top_level_unit_lists_a_null_parent(api):
    units = api.get("/api/units/").json()["results"]
    assert {u["code"]: u["parent"] for u in units} == {"H1": "NORTH", "NORTH": None}


# ---------------------------------------------------------------- response submission

@pytest.mark.parametrize("field, value", [("channel", "web\x00"), ("unit", "H1\x00"), ("channel", "x" * 65)])
def test_a_nul_byte_or_overlong_text_in_a_response_answers_400_on_that_field(api, field, value):
    response = submit(api, body(**{field: value}))
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert Response.objects.count() == 0


@pytest.mark.parametrize("field", ["unit", "channel", "token"])
@pytest.mark.parametrize("value", [7, 1e308, True, ["H1"], {"code": "H1"}])
def test_a_text_field_of_a_response_given_a_non_string_answers_400_on_that_field(api, field, value):
    response = submit(api, body(**{field: value}))
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert Response.objects.count() == 0


@pytest.mark.parametrize("value", [HUGE, -HUGE, 1e308, 256, "7"])
def test_a_huge_or_mistyped_answer_answers_400_on_its_item_and_column(api, value):
    response = submit(api, body(answers={"REL1": {"expectation": value, "perception": 5}}))
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["answers"]
    assert list(response.json()["answers"]) == ["REL1"]
    assert list(response.json()["answers"]["REL1"]) == ["expectation"]
    assert Response.objects.count() == 0


@pytest.mark.parametrize("value", [HUGE, -HUGE, 1e308, 256])
def test_huge_importance_points_answer_400_on_the_dimension(api, value):
    points = {**{d: 20 for d in DIMENSIONS}, "tangibles": value}
    response = submit(api, body(importance=points))
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["importance"]
    assert list(response.json()["importance"]) == ["tangibles"]


@pytest.mark.parametrize("answers", [[1, 2], "REL1", 7, {"REL1": [7, 5]}, {"REL1": {"expectation": {"x": 7}}},
                                     {"REL1": {"expectation": [7]}}])
def test_answers_of_the_wrong_json_type_answer_400_on_answers(api, answers):
    response = submit(api, body(answers=answers))
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["answers"]


@pytest.mark.parametrize("importance", [[20] * 5, "20", 100, {"tangibles": [20]}, {"tangibles": {"x": 20}}])
def test_importance_of_the_wrong_json_type_answers_400_on_importance(api, importance):
    response = submit(api, body(importance=importance))
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["importance"]


def test_a_request_body_that_is_not_an_object_answers_400(api):
    response = api.post("/api/audits/q4/responses/", [1, 2], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_a_response_sent_as_a_form_instead_of_json_answers_415(api):
    response = api.post("/api/audits/q4/responses/", {"submission_id": str(uuid.uuid4()), "unit": "H1",
                                                      "answers": "{}"}, format="multipart")
    assert response.status_code == 415
    assert Response.objects.count() == 0


@pytest.mark.parametrize("spelling", [str.upper, lambda s: "{" + s + "}", lambda s: s.replace("-", "")])
def test_an_uppercase_braced_or_bare_submission_id_is_the_same_submission(api, spelling):
    payload = body()
    first = submit(api, payload)
    again = submit(api, {**payload, "submission_id": spelling(payload["submission_id"])})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["submission_id"] == payload["submission_id"]
    assert Response.objects.count() == 1


@pytest.mark.parametrize("submission_id", ["{not-a-uuid}", "\x00", "g" * 32, 12])
def test_a_malformed_submission_id_answers_400_on_submission_id(api, submission_id):
    response = submit(api, body(submission_id=submission_id))
    assert response.status_code == 400
    assert list(response.json()) == ["submission_id"]


def test_a_response_to_an_unknown_audit_answers_404(api):
    assert api.post("/api/audits/nope/responses/", body(), format="json").status_code == 404


# ---------------------------------------------------------------- audits

def test_nul_bytes_in_audit_text_and_codes_answer_400_by_field(api):
    response = api.post("/api/audits/", {"slug": "q5\x00", "title": "Q\x005", "instrument": "serv\x00qual",
                                         "units": ["NORTH\x00"]}, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"slug", "title", "instrument", "units"}
    assert Audit.objects.count() == 1


def test_numbers_for_the_slug_and_title_of_an_audit_answer_400_by_field(api):
    response = api.post("/api/audits/", {"slug": 5, "title": 1e308, "instrument": "servqual", "units": ["NORTH"]},
                        format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"slug", "title"}


def test_an_audit_sent_as_a_form_instead_of_json_answers_415(api):
    response = api.post("/api/audits/", {"slug": "q5", "title": "Q5", "instrument": "servqual", "units": ["NORTH"],
                                         "period_end": "null"}, format="multipart")
    assert response.status_code == 415
    assert api.patch("/api/audits/q4/", {"period_end": "null"}, format="multipart").status_code == 415
    assert Audit.objects.count() == 1


def test_a_nul_byte_in_a_patched_slug_or_instrument_answers_400_by_field(api):
    response = api.patch("/api/audits/q4/", {"slug": "\x00", "instrument": "\x00"}, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"slug", "instrument"}


@pytest.mark.parametrize("value", [HUGE, -HUGE, 1e308, "1e308"])
def test_a_huge_scale_or_min_sample_answers_400_by_field(api, value):
    response = api.post("/api/audits/", {"slug": "q5", "title": "Q5", "instrument": "servqual", "units": ["NORTH"],
                                         "scale": value, "min_sample": value}, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"scale", "min_sample"}


def test_a_period_ending_before_it_starts_answers_400_on_period_end(api):
    created = api.post("/api/audits/", {"slug": "q5", "title": "Q5", "instrument": "servqual", "units": ["NORTH"],
                                        "period_start": "2026-10-01", "period_end": "2026-09-30"}, format="json")
    assert created.status_code == 400
    assert list(created.json()) == ["period_end"]
    assert api.patch("/api/audits/q4/", {"period_start": "2026-10-01"}, format="json").status_code == 200
    patched = api.patch("/api/audits/q4/", {"period_end": "2026-09-30"}, format="json")
    assert patched.status_code == 400
    assert list(patched.json()) == ["period_end"]


@pytest.mark.parametrize("change", [{"scale": 5}, {"format": "three_column"}])
def test_changing_the_layout_of_an_audit_with_responses_answers_400_on_that_field(api, change):
    assert submit(api, body()).status_code == 201
    response = api.patch("/api/audits/q4/", change, format="json")
    assert response.status_code == 400
    assert list(response.json()) == list(change)
    assert Audit.objects.get(slug="q4").scale == 7


def test_an_audit_without_units_answers_400_on_units(api):
    response = api.post("/api/audits/", {"slug": "q5", "title": "Q5", "instrument": "servqual", "units": []},
                        format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["units"]


def test_an_unknown_audit_answers_404_to_read_and_patch(api):
    assert api.get("/api/audits/nope/").status_code == 404
    assert api.patch("/api/audits/nope/", {"title": "x"}, format="json").status_code == 404


# ---------------------------------------------------------------- results and tasks

@pytest.mark.parametrize("unit", ["NORTH\x00", "\x19", "ünit", "%", "x" * 500, "a b"])
def test_an_odd_unit_query_parameter_answers_400_on_unit(api, unit):
    response = api.get("/api/audits/q4/gaps/", {"unit": unit})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["unit"]


def test_results_of_a_unit_of_the_audit_still_answer_200(api):
    assert api.get("/api/audits/q4/gaps/", {"unit": "H1"}).status_code == 200


def test_an_unknown_task_answers_404(api):
    assert api.get(f"/api/tasks/{uuid.uuid4()}/").status_code == 404


# ---------------------------------------------------------------- numbers and booleans are JSON numbers and booleans

def audit_body(**extra) -> dict:
    return {"slug": "q4", "title": "Q4", "instrument": "servqual", "scale": 7, "format": "two_column",
            "units": ["NORTH"], "is_open": False, "min_sample": 5, "period_start": "2000-01-01",
            "period_end": "2000-01-01", **extra}


@pytest.mark.parametrize("is_open", [0, 1, "true", "false", "yes", "off", None])
def test_an_audit_put_with_is_open_not_true_or_false_answers_400_and_keeps_the_audit_open(api, is_open):
    """schemathesis: PUT … "is_open": 0 was taken as false (200) though the schema says boolean."""
    response = api.put("/api/audits/q4/", audit_body(is_open=is_open), format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["is_open"]
    audit = Audit.objects.get(slug="q4")
    assert (audit.is_open, audit.period_start) == (True, None)


@pytest.mark.parametrize("field, value", [("scale", "5"), ("min_sample", "30"), ("scale", True), ("min_sample", [5])])
def test_an_audit_scale_or_min_sample_that_is_not_a_json_number_answers_400_on_it(api, field, value):
    response = api.patch("/api/audits/q4/", {field: value}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert (Audit.objects.get(slug="q4").scale, Audit.objects.get(slug="q4").min_sample) == (7, 5)


def test_an_audit_min_sample_of_30_point_0_is_the_whole_number_30(api):
    response = api.patch("/api/audits/q4/", {"min_sample": 30.0}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["min_sample"] == 30


# ---------------------------------------------------------------- JSON nested too deeply

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("method, path", [("post", "/api/audits/"), ("patch", "/api/audits/q4/"),
                                          ("put", "/api/audits/q4/"), ("post", "/api/audits/q4/responses/")])
def test_json_nested_100000_levels_deep_answers_400_not_a_recursion_error(api, method, path):
    response = getattr(api, method)(path, DEEP, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": "JSON parse error - nested too deeply."}
    assert Audit.objects.get().title == "Q4" and Response.objects.count() == 0


def test_json_nested_too_deeply_from_an_anonymous_customer_answers_400(api):
    response = APIClient().post("/api/audits/q4/responses/", DEEP, content_type="application/json")
    assert response.status_code == 400, response.content
    assert Response.objects.count() == 0


# ---------------------------------------------------------------- half a surrogate pair

LONE = "\\ud800"  # as JSON text: the escape of half a surrogate pair, no character; "@" in the bodies below
SURROGATE_ERROR = {"detail": "JSON parse error - a \\u escape in the range D800-DFFF without its pair "
                             "is not a character."}


@pytest.mark.parametrize("body", [
    '{"slug": "s1", "title": "t", "instrument": "servqual@", "units": ["N@"]}',
    '{"slug": "s1", "title": "t", "instrument": "servqual", "units": ["NORTH"], "format": "x@"}',
])
def test_half_a_surrogate_pair_in_a_new_audit_answers_400_not_a_unicode_error(api, body):
    response = api.post("/api/audits/", body.replace("@", LONE), content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json() == SURROGATE_ERROR
    assert Audit.objects.count() == 1


@pytest.mark.parametrize("part", [
    '"answers": {"@": {"expectation": 5}}',
    '"answers": {}, "importance": {"@": 5}',
    '"answers": {"REL1": {"@": 5}}',
])
@pytest.mark.parametrize("signed_in", [True, False])
def test_half_a_surrogate_pair_in_a_response_answers_400_not_a_unicode_error(api, part, signed_in):
    body = f'{{"submission_id": "{uuid.uuid4()}", "unit": "H1", {part.replace("@", LONE)}}}'
    client = api if signed_in else APIClient()
    response = client.post("/api/audits/q4/responses/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json() == SURROGATE_ERROR
    assert Response.objects.count() == 0


def test_the_schema_says_a_response_unit_is_not_blank_as_the_api_does(api):
    schema = api.get("/api/schema/?format=json").json()["components"]["schemas"]["ResponseIn"]["properties"]
    assert (schema["unit"]["minLength"], schema["unit"]["maxLength"]) == (1, 32)
    response = submit(api, body(unit=""))
    assert response.status_code == 400
    assert response.json() == {"unit": ["This field may not be blank."]}
