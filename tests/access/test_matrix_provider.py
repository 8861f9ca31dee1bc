"""Access matrix of the provider side (issue 4): every page and API endpoint of the
manager survey, beliefs, standards, promises, delivery evidence and scorecards, by every
role, with the exact status; bodies served to north-side users never hold south data;
refused requests write nothing. Then what each role sees, and the audit log of the
writes of standards, promises and scorecard templates.

The world of tests/access/conftest.py is built once for this module inside a transaction
that is rolled back at the end (as Django's setUpTestData does); every test runs in a
savepoint of it, so a write by one test is gone for the next.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client, TestCase, override_settings

from accounts.models import AuditLogEntry
from provider.models import (
    Inspection,
    ManagerAnswerSet,
    Promise,
    QualityStandard,
    ScorecardTemplate,
    SelfAssessment,
)
from surveys.models import Audit
from tests.access import conftest as access
from tests.access.conftest import ROLES, SOUTH_MARKERS

NORTH_SIDE = ("manager_north", "staff_n1")
EDIT_LINK = re.compile(r"/audits/chainwide/(standards|promises)/\d+/(edit|delete)/")
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# ---------------------------------------------------------------- the shared world
@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker) -> Any:
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        outer = transaction.atomic()
        outer.__enter__()
        world = access.world.__wrapped__(None, TestCase.captureOnCommitCallbacks)
        chainwide = world.chainwide
        world.ids = {
            "std_audit": QualityStandard.objects.get(audit=chainwide, unit=None).pk,
            "std_s1": QualityStandard.objects.get(audit=chainwide, unit=world.s1).pk,
            "promise_all": Promise.objects.get(audit=chainwide, unit=None).pk,
            "promise_s1": Promise.objects.get(audit=chainwide, unit=world.s1).pk,
            "insp_s1": Inspection.objects.get(audit=chainwide, unit=world.s1).pk,
            "insp_n1": Inspection.objects.get(audit=chainwide, unit=world.n1).pk,
        }
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def w(shared, db) -> Any:
    return shared


@pytest.fixture
def as_role(w):
    def make(role: str) -> Client:
        client = Client()
        if role != "anonymous":
            client.force_login(getattr(w.users, role))
        return client
    return make


def fingerprint() -> tuple:
    """Changes when anything of the provider side (or an audit's data version) is written."""
    return (
        tuple(Audit.objects.order_by("pk").values_list("data_version", flat=True)),
        tuple(sorted(QualityStandard.objects.values_list("pk", "level", "description"))),
        tuple(sorted(Promise.objects.values_list("pk", "level", "text"))),
        tuple(sorted(ManagerAnswerSet.objects.values_list("pk", "unit_id", "updated_at"))),
        SelfAssessment.objects.count(), Inspection.objects.count(),
        tuple(sorted(ScorecardTemplate.objects.values_list("code", "is_active", "updated_at"))),
        AuditLogEntry.objects.count(),
    )


# ---------------------------------------------------------------- the matrix
@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: str  # formatted with the world's ids
    statuses: tuple[int, ...]  # in the order of ROLES
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def api(self) -> bool:
        return self.url.startswith("/api/")


def S(*statuses: int) -> tuple[int, ...]:  # noqa: N802 (reads like a table row)
    assert len(statuses) == len(ROLES)
    return statuses


#        anonymous, nobody, staff_n1, staff_s1, manager_north, manager_south, admin
PAGE_MANAGERS = S(302, 403, 403, 403, 200, 200, 200)
PAGE_MANAGERS_SOUTH = S(302, 403, 403, 403, 404, 200, 200)
PAGE_ADMIN = S(302, 403, 403, 403, 403, 403, 200)
PAGE_STAFF = S(302, 403, 200, 200, 403, 403, 200)
PAGE_STAFF_SOUTH = S(302, 403, 404, 200, 403, 403, 200)
API_MANAGERS = S(401, 403, 403, 403, 200, 200, 200)
API_MANAGERS_SOUTH = S(401, 403, 403, 403, 404, 200, 200)
API_EVIDENCE = S(401, 403, 200, 200, 200, 200, 200)
API_EVIDENCE_SOUTH = S(401, 403, 404, 200, 404, 200, 200)
POST_ADMIN_PAGE = S(302, 403, 403, 403, 403, 403, 302)

SA_FORM = {"S_RES2": "4", "C_RES2": "ok"}
INSPECTION_FORM = {"template": "call-centre-call", "inspector_role": "supervisor", "reference": "R-1",
                   "observed_at": "2025-03-01T10:30", "notes": ""}
STANDARD_FORM = {"item": "RES1", "unit": "", "level": "5", "description": "Answer within a day"}
PROMISE_FORM = {"text": "Calls answered in 20 seconds", "channel": "poster", "item": "RES1", "unit": "",
                "level": "6", "valid_from": "", "valid_to": ""}
KIOSK = {"code": "kiosk", "name": {"en": "Kiosk check"},
         "checks": [{"code": "screen", "text": {"en": "Screen works"}, "item": "TAN1", "deduction": 30}]}

CASES = [
    # --- pages: manager survey and beliefs (managers)
    Case("manager-survey", "get", "/audits/chainwide/manager-survey/", PAGE_MANAGERS),
    Case("manager-survey-south-only", "get", "/audits/south-only/manager-survey/", PAGE_MANAGERS_SOUTH),
    Case("beliefs", "get", "/audits/chainwide/beliefs/", S(302, 403, 403, 403, 302, 302, 200)),
    Case("beliefs-north", "get", "/audits/chainwide/beliefs/?unit=NORTH", S(302, 403, 403, 403, 200, 404, 200)),
    Case("beliefs-s-hall-1", "get", "/audits/chainwide/beliefs/?unit=S-HALL-1",
         S(302, 403, 403, 403, 404, 200, 200)),
    Case("beliefs-unknown-unit", "get", "/audits/chainwide/beliefs/?unit=NOPE", S(302, 403, 403, 403, 400, 400, 400)),
    Case("beliefs-south-only", "get", "/audits/south-only/beliefs/", PAGE_MANAGERS_SOUTH),
    # --- pages: standards and promises (read: managers; write: admins)
    Case("standards", "get", "/audits/chainwide/standards/", PAGE_MANAGERS),
    Case("standards-south-only", "get", "/audits/south-only/standards/", PAGE_MANAGERS_SOUTH),
    Case("standard-edit", "get", "/audits/chainwide/standards/{std_s1}/edit/", PAGE_ADMIN),
    Case("promises", "get", "/audits/chainwide/promises/", PAGE_MANAGERS),
    Case("promises-south-only", "get", "/audits/south-only/promises/", PAGE_MANAGERS_SOUTH),
    Case("promise-edit", "get", "/audits/chainwide/promises/{promise_s1}/edit/", PAGE_ADMIN),
    # --- pages: delivery evidence (staff submit; staff and managers list)
    Case("self-assessment", "get", "/audits/chainwide/self-assessment/", PAGE_STAFF),
    Case("self-assessment-s-hall-1", "get", "/audits/chainwide/self-assessment/?unit=S-HALL-1",
         S(302, 403, 404, 200, 403, 403, 200)),
    Case("self-assessment-n-hall-1", "get", "/audits/chainwide/self-assessment/?unit=N-HALL-1",
         S(302, 403, 200, 404, 403, 403, 200)),
    Case("self-assessment-south-only", "get", "/audits/south-only/self-assessment/", PAGE_STAFF_SOUTH),
    Case("inspection-new", "get", "/audits/chainwide/inspections/new/", PAGE_STAFF),
    Case("inspection-new-south-only", "get", "/audits/south-only/inspections/new/", PAGE_STAFF_SOUTH),
    Case("inspection-s-hall-1", "get", "/audits/chainwide/inspections/{insp_s1}/",
         S(302, 403, 404, 200, 404, 200, 200)),
    Case("inspection-n-hall-1", "get", "/audits/chainwide/inspections/{insp_n1}/",
         S(302, 403, 200, 404, 200, 404, 200)),
    Case("inspection-of-another-audit", "get", "/audits/south-only/inspections/{insp_s1}/",
         S(302, 403, 404, 404, 404, 404, 404)),
    Case("evidence", "get", "/audits/chainwide/evidence/", S(302, 403, 200, 200, 200, 200, 200)),
    Case("evidence-all", "get", "/audits/chainwide/evidence/?mine=0", S(302, 403, 200, 200, 200, 200, 200)),
    Case("evidence-south-only", "get", "/audits/south-only/evidence/", S(302, 403, 404, 200, 404, 200, 200)),
    Case("scorecards", "get", "/scorecards/", S(302, 403, 200, 200, 200, 200, 200)),
    # --- API reads
    Case("api-manager-answers", "get", "/api/audits/chainwide/manager-answers/", API_MANAGERS),
    Case("api-manager-answers-south-only", "get", "/api/audits/south-only/manager-answers/", API_MANAGERS_SOUTH),
    Case("api-manager-answers-mine", "get", "/api/audits/chainwide/manager-answers/mine/",
         S(401, 403, 403, 403, 200, 200, 404)),  # the admin has not answered
    Case("api-standards", "get", "/api/audits/chainwide/standards/", API_MANAGERS),
    Case("api-standards-south-only", "get", "/api/audits/south-only/standards/", API_MANAGERS_SOUTH),
    Case("api-standard", "get", "/api/audits/chainwide/standards/{std_audit}/", API_MANAGERS),
    Case("api-standard-s-hall-1", "get", "/api/audits/chainwide/standards/{std_s1}/", API_MANAGERS_SOUTH),
    Case("api-promises", "get", "/api/audits/chainwide/promises/", API_MANAGERS),
    Case("api-promises-south-only", "get", "/api/audits/south-only/promises/", API_MANAGERS_SOUTH),
    Case("api-promise", "get", "/api/audits/chainwide/promises/{promise_all}/", API_MANAGERS),
    Case("api-promise-s-hall-1", "get", "/api/audits/chainwide/promises/{promise_s1}/", API_MANAGERS_SOUTH),
    Case("api-self-assessments", "get", "/api/audits/chainwide/self-assessments/", API_EVIDENCE),
    Case("api-self-assessments-all", "get", "/api/audits/chainwide/self-assessments/?mine=0", API_EVIDENCE),
    Case("api-self-assessments-south-only", "get", "/api/audits/south-only/self-assessments/",
         API_EVIDENCE_SOUTH),
    Case("api-inspections", "get", "/api/audits/chainwide/inspections/", API_EVIDENCE),
    Case("api-inspections-south-only", "get", "/api/audits/south-only/inspections/", API_EVIDENCE_SOUTH),
    Case("api-scorecard-templates", "get", "/api/scorecard-templates/", API_EVIDENCE),
    Case("api-scorecard-template", "get", "/api/scorecard-templates/call-centre-call/", API_EVIDENCE),
    # --- page writes
    Case("post-standard", "post", "/audits/chainwide/standards/", POST_ADMIN_PAGE, STANDARD_FORM),
    Case("post-standard-edit", "post", "/audits/chainwide/standards/{std_s1}/edit/", POST_ADMIN_PAGE,
         {"item": "RES2", "unit": "S-HALL-1", "level": "5", "description": "changed"}),
    Case("post-standard-delete", "post", "/audits/chainwide/standards/{std_s1}/delete/", POST_ADMIN_PAGE),
    Case("post-promise", "post", "/audits/chainwide/promises/", POST_ADMIN_PAGE, PROMISE_FORM),
    Case("post-promise-edit", "post", "/audits/chainwide/promises/{promise_s1}/edit/", POST_ADMIN_PAGE,
         {**PROMISE_FORM, "unit": "S-HALL-1"}),
    Case("post-promise-delete", "post", "/audits/chainwide/promises/{promise_s1}/delete/", POST_ADMIN_PAGE),
    # An out-of-scope unit is not among the choices: the form comes back with an inline error (200).
    Case("post-manager-survey-north", "post", "/audits/chainwide/manager-survey/",
         S(302, 403, 403, 403, 302, 200, 302), {"unit": "NORTH", "M_RES2": "6"}),
    Case("post-manager-survey-s-hall-1", "post", "/audits/chainwide/manager-survey/",
         S(302, 403, 403, 403, 200, 302, 302), {"unit": "S-HALL-1", "M_RES2": "6"}),
    Case("post-self-assessment-n-hall-1", "post", "/audits/chainwide/self-assessment/",
         S(302, 403, 302, 200, 403, 403, 302), {"unit": "N-HALL-1", **SA_FORM}),
    Case("post-self-assessment-s-hall-1", "post", "/audits/chainwide/self-assessment/",
         S(302, 403, 200, 302, 403, 403, 302), {"unit": "S-HALL-1", **SA_FORM}),
    Case("post-inspection-n-hall-1", "post", "/audits/chainwide/inspections/new/",
         S(302, 403, 302, 200, 403, 403, 302), {"unit": "N-HALL-1", **INSPECTION_FORM}),
    Case("post-inspection-s-hall-1", "post", "/audits/chainwide/inspections/new/",
         S(302, 403, 200, 302, 403, 403, 302), {"unit": "S-HALL-1", **INSPECTION_FORM}),
    # --- API writes
    Case("api-put-mine-north", "put", "/api/audits/chainwide/manager-answers/mine/",
         S(401, 403, 403, 403, 200, 400, 201), {"unit": "NORTH", "answers": {"RES2": 6}}),
    Case("api-put-mine-s-hall-1", "put", "/api/audits/chainwide/manager-answers/mine/",
         S(401, 403, 403, 403, 400, 200, 201), {"unit": "S-HALL-1", "answers": {"RES2": 6}}),
    Case("api-put-mine-south-only", "put", "/api/audits/south-only/manager-answers/mine/",
         S(401, 403, 403, 403, 404, 200, 201), {"unit": "SOUTH", "answers": {"RES2": 6}}),
    Case("api-post-standard", "post", "/api/audits/chainwide/standards/", S(401, 403, 403, 403, 403, 403, 201),
         {"item": "RES1", "level": 5}),
    Case("api-patch-standard", "patch", "/api/audits/chainwide/standards/{std_s1}/",
         S(401, 403, 403, 403, 403, 403, 200), {"level": 5}),
    Case("api-delete-standard", "delete", "/api/audits/chainwide/standards/{std_s1}/",
         S(401, 403, 403, 403, 403, 403, 204)),
    Case("api-post-promise", "post", "/api/audits/chainwide/promises/", S(401, 403, 403, 403, 403, 403, 201),
         {"item": "RES1", "text": "Calls answered in 20 seconds", "level": 6}),
    Case("api-patch-promise", "patch", "/api/audits/chainwide/promises/{promise_s1}/",
         S(401, 403, 403, 403, 403, 403, 200), {"level": 6}),
    Case("api-delete-promise", "delete", "/api/audits/chainwide/promises/{promise_s1}/",
         S(401, 403, 403, 403, 403, 403, 204)),
    Case("api-post-self-assessment-n-hall-1", "post", "/api/audits/chainwide/self-assessments/",
         S(401, 403, 201, 400, 403, 403, 201), {"unit": "N-HALL-1", "scores": {"RES2": 4}}),
    Case("api-post-self-assessment-s-hall-1", "post", "/api/audits/chainwide/self-assessments/",
         S(401, 403, 400, 201, 403, 403, 201), {"unit": "S-HALL-1", "scores": {"RES2": 4}}),
    Case("api-post-self-assessment-south-only", "post", "/api/audits/south-only/self-assessments/",
         S(401, 403, 404, 201, 403, 403, 201), {"unit": "S-HALL-1", "scores": {"RES2": 4}}),
    Case("api-post-inspection-n-hall-1", "post", "/api/audits/chainwide/inspections/",
         S(401, 403, 201, 400, 403, 403, 201), {"template": "call-centre-call", "unit": "N-HALL-1"}),
    Case("api-post-inspection-s-hall-1", "post", "/api/audits/chainwide/inspections/",
         S(401, 403, 400, 201, 403, 403, 201), {"template": "call-centre-call", "unit": "S-HALL-1"}),
    Case("api-post-scorecard-template", "post", "/api/scorecard-templates/",
         S(401, 403, 403, 403, 403, 403, 201), KIOSK),
    Case("api-patch-scorecard-template", "patch", "/api/scorecard-templates/call-centre-call/",
         S(401, 403, 403, 403, 403, 403, 200), {"is_active": False}),
    Case("api-delete-scorecard-template", "delete", "/api/scorecard-templates/service-hall-visit/",
         S(401, 403, 403, 403, 403, 403, 204)),
]


def send(client: Client, case: Case, ids: dict[str, int]):
    url = case.url.format(**ids)
    if case.method == "get":
        return client.get(url)
    if case.api:
        return getattr(client, case.method)(url, json.dumps(case.data), content_type="application/json")
    return client.post(url, case.data)


def wrote(case: Case, role: str, status: int) -> bool:
    if case.method == "get" or role == "anonymous":
        return False
    return status in (200, 201, 204) if case.api else status == 302


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_access_matrix(w, as_role, case, role):
    before = fingerprint()
    response = send(as_role(role), case, w.ids)
    expected = case.statuses[ROLES.index(role)]
    assert response.status_code == expected, (case.name, role, response.content[:300])
    if role == "anonymous" and not case.api:
        assert response["Location"].startswith("/accounts/login/?next=")
    if expected == 403 and not case.api:
        assert "accounts/forbidden.html" in [t.name for t in response.templates]
    if role in NORTH_SIDE:
        # An error page may repeat the address asked for (a sign-in or language link): that is the
        # user's own input, not data; everything else must be free of the south.
        url = case.url.format(**w.ids)
        body = response.content.decode()
        if expected != 200:
            body = body.replace(url, "").replace(quote(url, safe=""), "").replace(quote(url), "")
        leaked = [marker for marker in SOUTH_MARKERS if marker in body]
        assert not leaked, (case.name, role, leaked)
    assert (fingerprint() != before) == wrote(case, role, expected), (case.name, role)


# ---------------------------------------------------------------- what each role sees
def get_json(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response.json()


class TestWhatEachRoleSees:
    def test_a_manager_of_part_of_the_audit_is_sent_to_their_highest_unit_on_the_beliefs_page(self, as_role):
        assert as_role("manager_north").get("/audits/chainwide/beliefs/")["Location"] == \
            "/audits/chainwide/beliefs/?unit=NORTH"
        assert as_role("manager_south").get("/audits/chainwide/beliefs/")["Location"] == \
            "/audits/chainwide/beliefs/?unit=SOUTH"
        page = as_role("manager_north").get("/audits/chainwide/beliefs/?unit=NORTH")
        assert [o["code"] for o in page.context["unit_options"]] == ["NORTH", "N-HALL-1", "N-HALL-2"]
        assert "All units" not in page.content.decode()
        assert page.context["overview"]["n_sets"] == 1  # manager_north's own set; manager_south's is not counted
        admin = as_role("admin").get("/audits/chainwide/beliefs/")
        assert admin.context["unit_code"] is None and "All units" in admin.content.decode()
        assert len(admin.context["unit_options"]) == 6

    def test_the_manager_survey_offers_the_audits_units_in_the_managers_scope(self, as_role):
        page = as_role("manager_north").get("/audits/chainwide/manager-survey/")
        assert [code for code, _label in page.context["form"].fields["unit"].choices] == \
            ["", "NORTH", "N-HALL-1", "N-HALL-2"]
        page = as_role("manager_south").get("/audits/south-only/manager-survey/")
        assert [code for code, _label in page.context["form"].fields["unit"].choices] == ["", "SOUTH", "S-HALL-1"]

    def test_an_out_of_scope_unit_in_the_manager_survey_is_an_inline_error(self, as_role):
        page = as_role("manager_north").post("/audits/chainwide/manager-survey/", {"unit": "S-HALL-1"})
        assert page.context["form"].errors["unit"] == ["Choose one of this audit's units."]

    def test_staff_choose_among_their_own_units_only(self, as_role):
        page = as_role("staff_n1").get("/audits/chainwide/self-assessment/")
        assert page.context["unit_choices"] == [("N-HALL-1", "Northern Hall One (N-HALL-1)")]
        assert page.context["unit"].code == "N-HALL-1"  # the only choice is taken
        page = as_role("staff_n1").get("/audits/chainwide/inspections/new/")
        assert [code for code, _label in page.context["form"].fields["unit"].choices] == ["N-HALL-1"]

    def test_an_out_of_scope_unit_in_the_evidence_forms_is_an_inline_error(self, as_role):
        page = as_role("staff_n1").post("/audits/chainwide/self-assessment/", {"unit": "S-HALL-1", **SA_FORM})
        assert page.context["out_of_scope"] is True and page.context["unit"] is None
        assert "You can assess only the units you work in" in page.content.decode()
        page = as_role("staff_n1").post("/audits/chainwide/inspections/new/", {"unit": "S-HALL-1", **INSPECTION_FORM})
        assert page.context["form"].errors == {"unit": ["Choose one of the units listed."]}

    @pytest.mark.parametrize("role, expected", [
        ("staff_n1", ["N-CALL", "N-HALL-1"]),
        ("staff_s1", ["S-HALL-1-CALL", "S-HALL-1"]),
        ("manager_north", ["N-CALL", "N-HALL-1"]),
        ("manager_south", ["S-HALL-1-CALL", "S-HALL-1"]),
        ("admin", ["N-CALL", "N-HALL-1", "S-HALL-1-CALL", "S-HALL-1"]),
    ])
    def test_the_evidence_list_shows_what_the_role_may_see(self, as_role, role, expected):
        for query in ("", "?mine=0"):
            page = as_role(role).get("/audits/chainwide/evidence/" + query)
            rows = page.context["rows"]
            seen = sorted(r["obj"].reference if r["kind"] == "inspection" else r["obj"].unit.code for r in rows)
            assert seen == sorted(expected), (role, query)

    def test_staff_always_get_only_their_own_evidence_and_no_all_switch(self, as_role):
        page = as_role("staff_n1").get("/audits/chainwide/evidence/?mine=0")
        assert page.context["mine"] is True and page.context["can_see_all"] is False
        assert "?mine=1" not in page.content.decode()
        assert as_role("manager_north").get("/audits/chainwide/evidence/?mine=1").context["rows"] == []

    @pytest.mark.parametrize("role, units", [
        ("staff_n1", ["N-HALL-1"]), ("staff_s1", ["S-HALL-1"]), ("manager_north", ["N-HALL-1"]),
        ("manager_south", ["S-HALL-1"]), ("admin", ["N-HALL-1", "S-HALL-1"]),
    ])
    def test_the_evidence_api_lists_what_the_role_may_see(self, as_role, role, units):
        for kind in ("self-assessments", "inspections"):
            for query in ("", "?mine=0"):
                body = get_json(as_role(role), f"/api/audits/chainwide/{kind}/{query}")
                assert sorted(r["unit"] for r in body["results"]) == units, (kind, query)

    @pytest.mark.parametrize("role, units", [
        ("manager_north", ["NORTH"]), ("manager_south", ["SOUTH"]), ("admin", ["NORTH", "SOUTH"]),
    ])
    def test_the_answer_sets_listed_are_those_of_visible_units(self, as_role, role, units):
        body = get_json(as_role(role), "/api/audits/chainwide/manager-answers/")
        assert [r["unit"] for r in body["results"]] == units

    @pytest.mark.parametrize("role, rows", [
        ("manager_north", [("RES2", None)]),
        ("manager_south", [("RES2", None), ("RES2", "S-HALL-1")]),
        ("admin", [("RES2", None), ("RES2", "S-HALL-1")]),
    ])
    def test_unit_overrides_outside_the_scope_are_not_listed(self, as_role, role, rows):
        body = get_json(as_role(role), "/api/audits/chainwide/standards/")
        assert [(r["item"], r["unit"]) for r in body["results"]] == rows
        page = as_role(role).get("/audits/chainwide/standards/")
        assert page.context["overview"]["n_overrides"] == len(rows) - 1

    # RES2 delivery observations in `chainwide`: self-assessments N-HALL-1 5, S-HALL-1 3; the two
    # call-centre inspections fail only the greeting (ASS3), so RES2 = 7 in N-HALL-1 and in S-HALL-1.
    @pytest.mark.parametrize("role, slug, rows", [
        # North sees its own evidence only: (5 + 7) / 2 = 6.0 < 7.
        ("manager_north", "chainwide", [("Served within 5 minutes", 2, 6.0, False)]),
        # South on the chain-wide audit: (3 + 7) / 2 = 5.0; its hall's promise too.
        ("manager_south", "chainwide", [("Served within 5 minutes", 2, 5.0, False),
                                        ("SOUTH-ONLY-PROMISE", 2, 5.0, False)]),
        # The admin: (5 + 3 + 7 + 7) / 4 = 5.5.
        ("admin", "chainwide", [("Served within 5 minutes", 4, 5.5, False), ("SOUTH-ONLY-PROMISE", 2, 5.0, False)]),
        # The south-only audit is wholly South's: all of its evidence (S-HALL-1: 3 and 7).
        ("manager_south", "south-only", [("Served within 5 minutes", 2, 5.0, False),
                                         ("SOUTH-ONLY-PROMISE", 2, 5.0, False)]),
    ])
    def test_promise_evidence_counts_the_managers_scope_only(self, as_role, role, slug, rows):
        body = get_json(as_role(role), f"/api/audits/{slug}/promises/")
        got = sorted((r["text"], r["evidence"]["n"], r["evidence"]["mean_d"], r["evidence"]["met"])
                     for r in body["results"])
        assert got == sorted(rows)
        page = as_role(role).get(f"/audits/{slug}/promises/")
        assert sorted((r["promise"].text, r["evidence"].n, r["mean_d"]) for r in page.context["rows"]) == \
            sorted((text, n, f"{mean:.2f}") for text, n, mean, _met in rows)

    def test_a_promise_reached_by_id_has_the_evidence_of_the_scope(self, w, as_role):
        body = get_json(as_role("manager_north"), f"/api/audits/chainwide/promises/{w.ids['promise_all']}/")
        assert body["evidence"] == {"mean_d": 6.0, "n": 2, "met": False}

    def test_standards_figures_are_those_of_the_managers_highest_unit_when_the_audit_is_not_theirs(self, as_role):
        page = as_role("manager_north").get("/audits/chainwide/standards/")
        assert page.context["figures_unit"].code == "NORTH" and page.context["result"]["unit"] == "NORTH"
        res2 = next(r for s in page.context["overview"]["sections"] for r in s["rows"] if r.code == "RES2")
        assert res2.mean_m == 5.0  # manager_north's belief only
        assert as_role("manager_south").get("/audits/south-only/standards/").context["figures_unit"] is None
        assert as_role("admin").get("/audits/chainwide/standards/").context["result"]["unit"] is None

    def test_managers_see_no_add_edit_or_delete_and_admins_do(self, w, as_role):
        for path in ("/audits/chainwide/standards/", "/audits/chainwide/promises/"):
            manager = as_role("manager_south").get(path)
            html = manager.content.decode()
            assert manager.context["form"] is None and manager.context["can_edit"] is False
            assert not EDIT_LINK.search(html) and f'action="{path}"' not in html
            admin = as_role("admin").get(path).content.decode()
            assert EDIT_LINK.search(admin) and f'action="{path}"' in admin
        assert f"/standards/{w.ids['std_s1']}/edit/" in as_role("admin").get("/audits/chainwide/standards/") \
            .content.decode()

    def test_the_scorecard_page_links_to_the_admin_for_admins_only(self, as_role):
        assert "/admin/provider/scorecardtemplate/" not in as_role("staff_n1").get("/scorecards/").content.decode()
        assert "/admin/provider/scorecardtemplate/" in as_role("admin").get("/scorecards/").content.decode()

    def test_refusals_of_the_api_say_why(self, as_role):
        refused = as_role("manager_south").post("/api/audits/chainwide/standards/", {"item": "RES1", "level": 5},
                                                content_type="application/json")
        assert refused.json() == {"detail": "Your role does not allow this."}
        unit = as_role("staff_n1").post("/api/audits/chainwide/self-assessments/",
                                        {"unit": "S-HALL-1", "scores": {"RES2": 4}}, content_type="application/json")
        assert unit.json() == {"unit": ["this unit is not in your scope"]}
        mine = as_role("manager_north").put("/api/audits/chainwide/manager-answers/mine/",
                                            {"unit": "S-HALL-1", "answers": {}}, content_type="application/json")
        assert mine.json() == {"unit": ["this unit is not in your scope"]}
        missing = as_role("manager_north").put("/api/audits/chainwide/manager-answers/mine/",
                                               {"unit": "NOWHERE", "answers": {}}, content_type="application/json")
        assert missing.json() == {"unit": ['unknown unit "NOWHERE" for this audit']}
        anonymous = Client().get("/api/audits/chainwide/standards/")
        assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == 'Token realm="api"'


# ---------------------------------------------------------------- the audit log
def log_entries() -> list[tuple]:
    return list(AuditLogEntry.objects.order_by("id").values_list(
        "actor__username", "action", "object_type", "object_id", "object_repr", "audit__slug", "changes"))


class TestAuditLog:
    ADMIN = "admin@example.com"

    def test_standards_written_through_the_pages_are_logged_with_their_changes(self, w, as_role):
        admin = as_role("admin")
        AuditLogEntry.objects.all().delete()
        assert admin.post("/audits/chainwide/standards/", STANDARD_FORM).status_code == 302
        created = QualityStandard.objects.get(audit=w.chainwide, item_code="RES1")
        edit = f"/audits/chainwide/standards/{created.pk}/edit/"
        assert admin.post(edit, {**STANDARD_FORM, "unit": "NORTH", "level": "6"}).status_code == 302
        assert admin.post(edit, {**STANDARD_FORM, "unit": "NORTH", "level": "6"}).status_code == 302  # no change
        assert admin.post(f"/audits/chainwide/standards/{created.pk}/delete/").status_code == 302
        pk = str(created.pk)
        assert log_entries() == [
            (self.ADMIN, "created", "standard", pk, "RES1 · whole audit", "chainwide",
             {"item": [None, "RES1"], "unit": [None, None], "level": [None, 5],
              "description": [None, "Answer within a day"]}),
            (self.ADMIN, "updated", "standard", pk, "RES1 · NORTH", "chainwide",
             {"unit": [None, "NORTH"], "level": [5, 6]}),
            (self.ADMIN, "deleted", "standard", pk, "RES1 · NORTH", "chainwide",
             {"item": ["RES1", None], "unit": ["NORTH", None], "level": [6, None],
              "description": ["Answer within a day", None]}),
        ]

    def test_setting_an_existing_standard_through_the_api_logs_an_update(self, w, as_role):
        AuditLogEntry.objects.all().delete()
        response = as_role("admin").post("/api/audits/chainwide/standards/",
                                          {"item": "RES2", "unit": "S-HALL-1", "level": 4, "description": "New"},
                                          content_type="application/json")
        assert response.status_code == 200
        assert log_entries() == [
            (self.ADMIN, "updated", "standard", str(w.ids["std_s1"]), "RES2 · S-HALL-1", "chainwide",
             {"level": [7, 4], "description": ["S-HALL-1 override", "New"]}),
        ]

    def test_promises_written_through_the_api_are_logged_with_their_changes(self, w, as_role):
        admin = as_role("admin")
        AuditLogEntry.objects.all().delete()
        created = admin.post("/api/audits/chainwide/promises/",
                             {"item": "RES1", "text": "Calls answered in 20 seconds", "level": 6,
                              "channel": "hotline_script", "valid_from": "2025-01-01"},
                             content_type="application/json")
        assert created.status_code == 201
        pk = created.json()["id"]
        assert admin.patch(f"/api/audits/chainwide/promises/{pk}/", {"level": 5, "valid_to": "2025-06-30"},
                           content_type="application/json").status_code == 200
        assert admin.delete(f"/api/audits/chainwide/promises/{pk}/").status_code == 204
        fields = {"item": "RES1", "unit": None, "text": "Calls answered in 20 seconds", "channel": "hotline_script",
                  "level": 6, "valid_from": "2025-01-01", "valid_to": None}
        after = {**fields, "level": 5, "valid_to": "2025-06-30"}
        name = "RES1 · whole chain: Calls answered in 20 seconds"
        assert log_entries() == [
            (self.ADMIN, "created", "promise", str(pk), name, "chainwide", {k: [None, v] for k, v in fields.items()}),
            (self.ADMIN, "updated", "promise", str(pk), name, "chainwide",
             {"level": [6, 5], "valid_to": [None, "2025-06-30"]}),
            (self.ADMIN, "deleted", "promise", str(pk), name, "chainwide", {k: [v, None] for k, v in after.items()}),
        ]

    def test_a_promise_edited_on_its_page_is_logged(self, w, as_role):
        AuditLogEntry.objects.all().delete()
        response = as_role("admin").post(f"/audits/chainwide/promises/{w.ids['promise_s1']}/edit/",
                                         {**PROMISE_FORM, "item": "RES2", "unit": "S-HALL-1", "level": "7",
                                          "text": "SOUTH-ONLY-PROMISE", "channel": "website"})
        assert response.status_code == 302
        assert log_entries() == [
            (self.ADMIN, "updated", "promise", str(w.ids["promise_s1"]), "RES2 · S-HALL-1: SOUTH-ONLY-PROMISE",
             "chainwide", {"channel": ["poster", "website"]}),
        ]

    def test_scorecard_templates_written_through_the_api_are_logged(self, as_role):
        admin = as_role("admin")
        AuditLogEntry.objects.all().delete()
        assert admin.post("/api/scorecard-templates/", KIOSK, content_type="application/json").status_code == 201
        kiosk = ScorecardTemplate.objects.get(code="kiosk")
        assert admin.patch("/api/scorecard-templates/kiosk/", {"is_active": False, "name": {"en": "Kiosk"}},
                           content_type="application/json").status_code == 200
        assert admin.delete("/api/scorecard-templates/kiosk/").status_code == 204
        checks = [{"code": "screen", "text": {"en": "Screen works"}, "item": "TAN1", "deduction": 30}]
        assert log_entries() == [
            (self.ADMIN, "created", "scorecard", str(kiosk.pk), "kiosk", None,
             {"code": [None, "kiosk"], "name": [None, {"en": "Kiosk check"}], "description": [None, {}],
              "is_active": [None, True], "checks": [None, checks]}),
            (self.ADMIN, "updated", "scorecard", str(kiosk.pk), "kiosk", None,
             {"name": [{"en": "Kiosk check"}, {"en": "Kiosk"}], "is_active": [True, False]}),
            (self.ADMIN, "deleted", "scorecard", str(kiosk.pk), "kiosk", None,
             {"code": ["kiosk", None], "name": [{"en": "Kiosk"}, None], "description": [{}, None],
              "is_active": [False, None], "checks": [checks, None]}),
        ]

    def test_refused_writes_log_nothing(self, w, as_role):
        AuditLogEntry.objects.all().delete()
        as_role("manager_south").post("/audits/chainwide/standards/", STANDARD_FORM)
        as_role("manager_south").delete(f"/api/audits/chainwide/promises/{w.ids['promise_s1']}/")
        as_role("staff_s1").post("/api/scorecard-templates/", KIOSK, content_type="application/json")
        assert log_entries() == []


@pytest.mark.parametrize("role, url, marker", [
    ("manager_south", "/audits/chainwide/promises/", "SOUTH-ONLY-PROMISE"),
    ("manager_south", "/audits/chainwide/standards/", "S-HALL-1 override"),
    ("manager_south", "/api/audits/chainwide/manager-answers/", "SOUTH"),
    ("staff_s1", "/audits/chainwide/evidence/", "S-HALL-1 queue too long"),
    ("staff_s1", "/api/audits/chainwide/inspections/", "S-HALL-1-CALL"),
    ("admin", "/audits/chainwide/beliefs/", "Southern Hall One"),
])
def test_the_south_data_is_there_for_those_who_may_see_it(as_role, role, url, marker):
    """The control of the matrix's leak check: the markers do show where they belong."""
    assert marker in as_role(role).get(url).content.decode()


def test_isolation_a_write_in_one_test(w):
    QualityStandard.objects.all().delete()
    assert not QualityStandard.objects.exists()


def test_isolation_is_gone_in_the_next(w):
    assert QualityStandard.objects.count() == 4


def test_the_shared_world_is_the_access_world(w):
    """The module's world is the lead's: a check that the copy did not drift."""
    assert isinstance(w, SimpleNamespace)
    assert sorted(u.username for u in vars(w.users).values()) == sorted(
        f"{name.replace('_', '-')}@example.com" for name in ROLES if name != "anonymous")
