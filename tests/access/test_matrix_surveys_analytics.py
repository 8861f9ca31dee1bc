"""Access matrix of the audit pages, the results pages and their APIs (surveys/, analytics/).

Every URL and method × every role of tests/access/conftest.ROLES, with the exact status
(notes/access_rules.md), and no SOUTH_MARKERS in anything served to a north-side user.
Then the rules one by one: the unit a manager of part of an audit is shown, the lists,
the unit pickers, creating and editing within a scope, and the audit log.

The access world takes half a second to build, and the matrix has hundreds of cases: it
is built once for this module inside a transaction that is rolled back at the end, and
every test runs in a savepoint of its own (pytest-django's `db`), so that what one test
writes is gone before the next.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditLogEntry
from analytics.services import audit_recompute_request
from surveys.models import Audit, Instrument, Response
from surveys.selectors import audit_layout
from surveys.services import audit_create
from tests.access import conftest as access
from tests.access.conftest import ROLES, SOUTH_MARKERS

NORTH_SIDE = ("manager_north", "staff_n1")
LOGIN = reverse("login")


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """tests/access/conftest.world, built once for the module and rolled back after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = access.world.__wrapped__(None, None)
            world.task_chainwide = audit_recompute_request(audit=world.chainwide).pk
            world.task_south = audit_recompute_request(audit=world.south_only).pk
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def w(shared_world, db) -> SimpleNamespace:
    return shared_world


@pytest.fixture
def client_for(w) -> Callable[[str], Client]:
    def make(role: str) -> Client:
        client = Client()
        if role != "anonymous":
            client.force_login(getattr(w.users, role))
        return client
    return make


def expect(anonymous: int, nobody: int, staff_n1: int, staff_s1: int, manager_north: int, manager_south: int,
           admin: int) -> dict[str, int]:
    return dict(zip(ROLES, (anonymous, nobody, staff_n1, staff_s1, manager_north, manager_south, admin),
                    strict=True))


@dataclass
class Case:
    name: str
    method: str
    path: str  # formatted with the world: {task_south}, {task_chainwide}
    status: dict[str, int]
    data: Callable[[SimpleNamespace], Any] | None = None
    as_json: bool = field(default=False)

    def send(self, client: Client, world: SimpleNamespace):
        path = self.path.format(task_south=world.task_south, task_chainwide=world.task_chainwide)
        data = self.data(world) if self.data else None
        if self.method == "GET":
            return client.get(path)
        if self.as_json:
            return client.generic(self.method, path, data=json.dumps(data or {}),
                                  content_type="application/json")
        return client.post(path, data or {})


def audit_form(world: SimpleNamespace, *units, **overrides) -> dict:
    data = {
        "title": "New audit", "slug": "new-audit", "instrument": Instrument.objects.get(code="servqual").pk,
        "format": "two_column", "scale": "7", "units": [u.pk for u in units], "period_start": "",
        "period_end": "", "min_sample": "5", "is_open": "on",
    }
    data.update(overrides)
    return data


def edit_form(audit: Audit) -> dict:
    """The audit's own values, closed."""
    return {
        "title": audit.title, "instrument": audit.instrument_id, "format": audit.format, "scale": str(audit.scale),
        "units": list(audit.units.values_list("pk", flat=True)), "period_start": "", "period_end": "",
        "min_sample": str(audit.min_sample),
    }


def one_response(unit_code: str) -> Callable[[SimpleNamespace], dict]:
    def build(world):
        codes = audit_layout(audit=world.chainwide).item_codes
        return {"submission_id": str(uuid.uuid4()), "unit": unit_code,
                "answers": {code: {"expectation": 5, "perception": 5} for code in codes}}
    return build


RESULT_PAGES = [("dashboard", "/audits/{slug}/dashboard/"), ("five-gaps", "/audits/{slug}/gaps/")] + [
    (f"gap-{n}", f"/audits/{{slug}}/gaps/{n}/") for n in (1, 2, 3, 4, 5)
]

CASES: list[Case] = [
    # ------------------------------------------------------------ audit list, create, edit
    Case("home", "GET", "/", expect(302, 403, 200, 200, 200, 200, 200)),
    Case("audit-list", "GET", "/audits/", expect(302, 403, 200, 200, 200, 200, 200)),
    Case("audit-new", "GET", "/audits/new/", expect(302, 403, 403, 403, 200, 200, 200)),
    # Created by whoever may: a north hall is in the north manager's scope only.
    Case("audit-new-post-north-hall", "POST", "/audits/new/", expect(302, 403, 403, 403, 302, 200, 302),
         data=lambda w: audit_form(w, w.n1)),
    Case("audit-new-post-chain", "POST", "/audits/new/", expect(302, 403, 403, 403, 200, 200, 302),
         data=lambda w: audit_form(w, w.chain)),
    Case("edit-chainwide", "GET", "/audits/chainwide/edit/", expect(302, 403, 403, 403, 403, 403, 200)),
    Case("edit-chainwide-post", "POST", "/audits/chainwide/edit/", expect(302, 403, 403, 403, 403, 403, 302),
         data=lambda w: edit_form(w.chainwide)),
    Case("edit-south-only", "GET", "/audits/south-only/edit/", expect(302, 403, 404, 403, 404, 200, 200)),
    Case("edit-south-only-post", "POST", "/audits/south-only/edit/", expect(302, 403, 404, 403, 404, 302, 302),
         data=lambda w: edit_form(w.south_only)),
    Case("edit-missing", "GET", "/audits/missing/edit/", expect(302, 403, 404, 404, 404, 404, 404)),
    # ------------------------------------------------------------ import and export
    Case("import-chainwide", "GET", "/audits/chainwide/import/", expect(302, 403, 403, 403, 403, 403, 200)),
    Case("import-chainwide-post", "POST", "/audits/chainwide/import/", expect(302, 403, 403, 403, 403, 403, 200),
         data=lambda w: {"file": SimpleUploadedFile("a.txt", b"x")}),
    Case("import-south-only", "GET", "/audits/south-only/import/", expect(302, 403, 404, 403, 404, 200, 200)),
    Case("export-chainwide-csv", "GET", "/audits/chainwide/export.csv",
         expect(302, 403, 403, 403, 403, 403, 200)),
    Case("export-south-only-xlsx", "GET", "/audits/south-only/export.xlsx",
         expect(302, 403, 404, 403, 404, 200, 200)),
    # ------------------------------------------------------------ survey links and QR codes
    Case("links-chainwide", "GET", "/audits/chainwide/links/", expect(302, 403, 403, 403, 200, 200, 200)),
    Case("links-south-only", "GET", "/audits/south-only/links/", expect(302, 403, 403, 403, 404, 200, 200)),
    Case("qr-chainwide-north-hall", "GET", "/audits/chainwide/links/N-HALL-1/qr.png",
         expect(302, 403, 403, 403, 200, 404, 200)),
    Case("qr-chainwide-south-hall", "GET", "/audits/chainwide/links/S-HALL-1/qr.svg",
         expect(302, 403, 403, 403, 404, 200, 200)),
    Case("qr-chainwide-chain", "GET", "/audits/chainwide/links/CHAIN/qr.png",
         expect(302, 403, 403, 403, 404, 404, 200)),
    Case("qr-south-only", "GET", "/audits/south-only/links/S-HALL-1/qr.png",
         expect(302, 403, 403, 403, 404, 200, 200)),
    Case("revoke-chainwide-north-hall", "POST", "/audits/chainwide/links/N-HALL-1/revoke/",
         expect(302, 403, 403, 403, 302, 404, 302)),
    Case("reissue-chainwide-south-hall", "POST", "/audits/chainwide/links/S-HALL-1/reissue/",
         expect(302, 403, 403, 403, 404, 302, 302)),
    Case("revoke-south-only", "POST", "/audits/south-only/links/S-HALL-1/revoke/",
         expect(302, 403, 403, 403, 404, 302, 302)),
    # ------------------------------------------------------------ instruments
    Case("instruments", "GET", "/instruments/", expect(302, 403, 403, 403, 403, 403, 200)),
    Case("instruments-post", "POST", "/instruments/", expect(302, 403, 403, 403, 403, 403, 200)),
    Case("instrument-download", "GET", "/instruments/servqual.json", expect(302, 403, 403, 403, 403, 403, 200)),
]

for page, template in RESULT_PAGES:
    chainwide, south_only = template.format(slug="chainwide"), template.format(slug="south-only")
    CASES += [
        # A manager of part of the audit is sent to their own highest unit.
        Case(f"{page}-chainwide", "GET", chainwide, expect(302, 403, 403, 403, 302, 302, 200)),
        Case(f"{page}-chainwide-NORTH", "GET", chainwide + "?unit=NORTH", expect(302, 403, 403, 403, 200, 404, 200)),
        Case(f"{page}-chainwide-S-HALL-1", "GET", chainwide + "?unit=S-HALL-1",
             expect(302, 403, 403, 403, 404, 200, 200)),
        Case(f"{page}-south-only", "GET", south_only, expect(302, 403, 403, 403, 404, 200, 200)),
    ]
CASES += [
    Case("dashboard-chainwide-N-HALL-1", "GET", "/audits/chainwide/dashboard/?unit=N-HALL-1",
         expect(302, 403, 403, 403, 200, 404, 200)),
    Case("dashboard-chainwide-CHAIN", "GET", "/audits/chainwide/dashboard/?unit=CHAIN",
         expect(302, 403, 403, 403, 404, 404, 200)),
    Case("dashboard-chainwide-unknown-unit", "GET", "/audits/chainwide/dashboard/?unit=NOWHERE",
         expect(302, 403, 403, 403, 400, 400, 400)),
    Case("dashboard-missing", "GET", "/audits/missing/dashboard/", expect(302, 403, 403, 403, 404, 404, 404)),
    Case("gap-6", "GET", "/audits/chainwide/gaps/6/?unit=NORTH", expect(302, 403, 403, 403, 404, 404, 404)),
    # ------------------------------------------------------------ API: audits and units
    Case("api-audits", "GET", "/api/audits/", expect(401, 403, 200, 200, 200, 200, 200)),
    Case("api-audits-post-north-hall", "POST", "/api/audits/", expect(401, 403, 403, 403, 201, 400, 201),
         data=lambda w: {"slug": "new-audit", "title": "New", "instrument": "servqual", "units": ["N-HALL-1"]},
         as_json=True),
    Case("api-audits-post-chain", "POST", "/api/audits/", expect(401, 403, 403, 403, 400, 400, 201),
         data=lambda w: {"slug": "new-audit", "title": "New", "instrument": "servqual", "units": ["CHAIN"]},
         as_json=True),
    Case("api-audit-chainwide", "GET", "/api/audits/chainwide/", expect(401, 403, 200, 200, 200, 200, 200)),
    Case("api-audit-south-only", "GET", "/api/audits/south-only/", expect(401, 403, 404, 200, 404, 200, 200)),
    Case("api-audit-missing", "GET", "/api/audits/missing/", expect(401, 403, 404, 404, 404, 404, 404)),
    Case("api-audit-chainwide-patch", "PATCH", "/api/audits/chainwide/", expect(401, 403, 403, 403, 403, 403, 200),
         data=lambda w: {"is_open": False}, as_json=True),
    Case("api-audit-south-only-patch", "PATCH", "/api/audits/south-only/",
         expect(401, 403, 404, 403, 404, 200, 200), data=lambda w: {"is_open": False}, as_json=True),
    Case("api-units", "GET", "/api/units/", expect(401, 403, 200, 200, 200, 200, 200)),
    # ------------------------------------------------------------ API: responses (anonymous: needs a token)
    Case("api-responses-chainwide-north-hall", "POST", "/api/audits/chainwide/responses/",
         expect(400, 403, 201, 400, 201, 400, 201), data=one_response("N-HALL-1"), as_json=True),
    Case("api-responses-chainwide-south-hall", "POST", "/api/audits/chainwide/responses/",
         expect(400, 403, 400, 201, 400, 201, 201), data=one_response("S-HALL-1"), as_json=True),
    Case("api-responses-south-only", "POST", "/api/audits/south-only/responses/",
         expect(400, 403, 404, 201, 404, 201, 201), data=one_response("S-HALL-1"), as_json=True),
    # ------------------------------------------------------------ API: results, recompute, tasks
    Case("api-gaps-chainwide", "GET", "/api/audits/chainwide/gaps/", expect(401, 403, 403, 403, 403, 403, 200)),
    Case("api-gaps-chainwide-NORTH", "GET", "/api/audits/chainwide/gaps/?unit=NORTH",
         expect(401, 403, 403, 403, 200, 404, 200)),
    Case("api-gaps-chainwide-N-HALL-2", "GET", "/api/audits/chainwide/gaps/?unit=N-HALL-2",
         expect(401, 403, 403, 403, 200, 404, 200)),
    Case("api-gaps-chainwide-S-HALL-1", "GET", "/api/audits/chainwide/gaps/?unit=S-HALL-1",
         expect(401, 403, 403, 403, 404, 200, 200)),
    Case("api-gaps-chainwide-CHAIN", "GET", "/api/audits/chainwide/gaps/?unit=CHAIN",
         expect(401, 403, 403, 403, 404, 404, 200)),
    Case("api-gaps-chainwide-unknown-unit", "GET", "/api/audits/chainwide/gaps/?unit=NOWHERE",
         expect(401, 403, 403, 403, 400, 400, 400)),
    Case("api-gaps-south-only", "GET", "/api/audits/south-only/gaps/", expect(401, 403, 403, 403, 404, 200, 200)),
    Case("api-recompute-chainwide", "POST", "/api/audits/chainwide/recompute/",
         expect(401, 403, 403, 403, 202, 202, 202)),
    Case("api-recompute-south-only", "POST", "/api/audits/south-only/recompute/",
         expect(401, 403, 403, 403, 404, 202, 202)),
    Case("api-task-chainwide", "GET", "/api/tasks/{task_chainwide}/", expect(401, 403, 403, 403, 200, 200, 200)),
    Case("api-task-south-only", "GET", "/api/tasks/{task_south}/", expect(401, 403, 403, 403, 404, 200, 200)),
    Case("api-task-missing", "GET", f"/api/tasks/{uuid.UUID(int=7)}/", expect(401, 403, 403, 403, 404, 404, 404)),
]


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_access_matrix(w, client_for, case, role):
    response = case.send(client_for(role), w)
    body = body_text(response)
    assert response.status_code == case.status[role], body[:500]
    if role == "anonymous" and response.status_code == 302:
        assert response["Location"].startswith(f"{LOGIN}?next=")
    if role in NORTH_SIDE and response.status_code < 300:  # error pages may echo the URL asked for
        leaked = [marker for marker in SOUTH_MARKERS if marker in body]
        assert not leaked, f"{case.name} served {leaked} to {role}"


def test_the_matrix_covers_every_url_of_surveys_and_analytics():
    from analytics import api_urls as analytics_api
    from analytics import urls as analytics_urls
    from surveys import api_urls as surveys_api
    from surveys import urls as surveys_urls

    names = {p.name for module in (surveys_urls, analytics_urls, surveys_api, analytics_api)
             for p in module.urlpatterns} - {"survey", "survey-thanks", "survey-unknown"}  # public, tests/surveys
    covered = {
        "home", "audit-list", "audit-create", "audit-edit", "audit-links", "audit-import", "audit-export",
        "instrument-list", "instrument-download", "audit-link-revoke", "audit-link-reissue", "audit-link-qr",
        "audit-dashboard", "audit-five-gaps", "audit-gap-detail", "api-audits", "api-audit", "api-responses",
        "api-units", "api-gaps", "api-recompute", "api-task",
    }
    assert names == covered


# ------------------------------------------------------------------ results of part of an audit
@pytest.mark.parametrize("path", ["/audits/chainwide/dashboard/", "/audits/chainwide/gaps/",
                                  "/audits/chainwide/gaps/3/"])
def test_a_manager_of_part_of_an_audit_is_shown_their_highest_unit(client_for, path):
    assert client_for("manager_north").get(path)["Location"] == f"{path}?unit=NORTH"
    assert client_for("manager_south").get(path)["Location"] == f"{path}?unit=SOUTH"


def test_the_unit_picker_offers_only_the_units_a_manager_may_see(client_for):
    def options(role: str, query: str) -> list[str]:
        html = body_text(client_for(role).get(f"/audits/chainwide/dashboard/{query}"))
        picker = html[html.index('id="unit-select"'):]
        return re.findall(r'<option value="([^"]*)"', picker[:picker.index("</select>")])

    assert options("manager_north", "?unit=NORTH") == ["NORTH", "N-HALL-1", "N-HALL-2"]
    assert options("manager_south", "?unit=SOUTH") == ["SOUTH", "S-HALL-1"]
    assert options("admin", "") == ["", "CHAIN", "NORTH", "N-HALL-1", "N-HALL-2", "SOUTH", "S-HALL-1"]


def test_a_manager_of_the_whole_audit_sees_its_level(client_for):
    html = body_text(client_for("manager_south").get("/audits/south-only/dashboard/"))
    assert '<option value="">All units</option>' in html


def test_the_results_api_names_the_codes_a_manager_may_ask_for(client_for):
    response = client_for("manager_north").get("/api/audits/chainwide/gaps/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Your scope covers only some units of this audit; ask with ?unit=CODE "
                                         "(one of: N-HALL-1, N-HALL-2, NORTH)"}


def test_the_results_api_gives_a_manager_the_figures_of_their_units_only(client_for):
    north = client_for("manager_north").get("/api/audits/chainwide/gaps/?unit=NORTH").json()
    hall = client_for("manager_north").get("/api/audits/chainwide/gaps/?unit=N-HALL-1").json()
    whole = client_for("admin").get("/api/audits/chainwide/gaps/").json()
    # 3 responses in each of N-HALL-1, N-HALL-2 and S-HALL-1.
    assert (north["unit"], north["n_responses"]) == ("NORTH", 6)
    assert (hall["unit"], hall["n_responses"]) == ("N-HALL-1", 3)
    assert (whole["unit"], whole["n_responses"]) == (None, 9)


# ------------------------------------------------------------------ lists
def test_the_audit_list_shows_each_user_the_audits_of_their_scopes(client_for):
    def slugs(role: str) -> list[str]:
        return [a.slug for a in client_for(role).get("/audits/").context["audits"]]

    assert slugs("manager_north") == ["chainwide"]
    assert slugs("staff_n1") == ["chainwide"]
    assert sorted(slugs("manager_south")) == ["chainwide", "south-only"]
    assert sorted(slugs("staff_s1")) == ["chainwide", "south-only"]
    assert sorted(slugs("admin")) == ["chainwide", "south-only"]


def main_part(response) -> str:
    """The page's own content (no site header)."""
    html = body_text(response)
    return html[html.index("<main"):]


def test_the_audit_list_offers_only_the_actions_of_the_users_roles(client_for):
    manager = main_part(client_for("manager_north").get("/audits/"))
    assert "/audits/chainwide/dashboard/" in manager and "/audits/chainwide/links/" in manager
    assert "/audits/chainwide/edit/" not in manager and "/audits/chainwide/import/" not in manager
    assert "/audits/chainwide/self-assessment/" not in manager and "/audits/new/" in manager
    staff = main_part(client_for("staff_n1").get("/audits/"))
    assert "/audits/chainwide/self-assessment/" in staff and "/audits/chainwide/inspections/new/" in staff
    assert "/audits/chainwide/evidence/" in staff
    assert "/audits/chainwide/dashboard/" not in staff and "/audits/new/" not in staff
    owner = main_part(client_for("manager_south").get("/audits/"))
    assert "/audits/south-only/edit/" in owner and "/audits/chainwide/edit/" not in owner


def test_the_site_header_offers_new_audits_to_managers_and_instruments_to_admins(client_for):
    def header(role: str) -> str:
        html = body_text(client_for(role).get("/audits/"))
        return html[:html.index("<main")]

    assert "/audits/new/" not in header("staff_n1") and "/instruments/" not in header("staff_n1")
    assert "/audits/new/" in header("manager_north") and "/instruments/" not in header("manager_north")
    assert "/audits/new/" in header("admin") and "/instruments/" in header("admin")


def test_the_audit_list_shows_a_response_total_only_to_those_who_see_every_unit(client_for):
    def counts(role: str) -> dict[str, str]:
        """The audit's slug and its last number cell (Responses), by table row."""
        html = body_text(client_for(role).get("/audits/"))
        out = {}
        for row in re.findall(r"<tr>(.*?)</tr>", html[html.index("<tbody>"):], flags=re.S):
            slug = re.search(r"<td><code>([a-z-]+)</code></td>", row).group(1)
            total = re.findall(r'<td class="num">(.*?)</td>', row, flags=re.S)[-1]
            out[slug] = re.sub(r"<[^>]+>", "", total).strip()
        return out

    assert counts("manager_south") == {"chainwide": "–", "south-only": "3"}
    assert counts("manager_north") == {"chainwide": "–"}
    assert counts("admin") == {"chainwide": "9", "south-only": "3"}


def test_the_audits_api_lists_the_scope_and_hides_partial_totals(client_for):
    north = client_for("manager_north").get("/api/audits/").json()["results"]
    assert [(a["slug"], a["units"], a["n_responses"]) for a in north] == [("chainwide", ["CHAIN"], None)]
    south = {a["slug"]: a["n_responses"] for a in client_for("manager_south").get("/api/audits/").json()["results"]}
    assert south == {"chainwide": None, "south-only": 3}
    admin = {a["slug"]: a["n_responses"] for a in client_for("admin").get("/api/audits/").json()["results"]}
    assert admin == {"chainwide": 9, "south-only": 3}


def test_the_audit_list_names_only_the_audit_units_that_meet_the_users_scope(w, client_for):
    both = audit_create(slug="two-halls", title="Two halls", instrument=w.chainwide.instrument, units=[w.n1, w.s1])
    assert [u.code for u in client_for("manager_north").get("/audits/").context["audits"][0].shown_units] == [
        "N-HALL-1"]
    api = {a["slug"]: a["units"] for a in client_for("manager_north").get("/api/audits/").json()["results"]}
    assert api == {"chainwide": ["CHAIN"], both.slug: ["N-HALL-1"]}
    detail = client_for("staff_s1").get(f"/api/audits/{both.slug}/").json()
    assert detail["units"] == ["S-HALL-1"] and detail["n_responses"] is None


def test_the_audit_list_runs_a_fixed_number_of_queries_for_a_manager(w, client_for):
    client = client_for("manager_north")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/audits/").status_code == 200
        return len(captured)

    first = queries()
    for n in range(5):
        audit_create(slug=f"more-{n}", title=f"More {n}", instrument=w.chainwide.instrument, units=[w.north, w.s1])
    assert len(client.get("/audits/").context["audits"]) == 6
    assert queries() == first


def test_the_units_api_lists_the_units_of_the_users_scopes(client_for):
    def units(role: str) -> list[tuple[str, str | None]]:
        return [(u["code"], u["parent"]) for u in client_for(role).get("/api/units/").json()["results"]]

    assert units("manager_north") == [("N-HALL-1", "NORTH"), ("N-HALL-2", "NORTH"), ("NORTH", None)]
    assert units("staff_n1") == [("N-HALL-1", None)]
    assert [code for code, _parent in units("admin")] == ["CHAIN", "N-HALL-1", "N-HALL-2", "NORTH", "S-HALL-1",
                                                         "SOUTH"]


def test_the_links_page_lists_the_units_a_manager_may_see_without_the_audit_tools(client_for):
    def tools(response) -> str:  # the links page's own tool bar, below its title
        html = body_text(response)
        html = html[html.index("Survey links for"):]
        return html[:html.index("</div>", html.index('<div class="toolbar">'))]

    response = client_for("manager_north").get("/audits/chainwide/links/")
    assert [row["unit"].code for row in response.context["rows"]] == ["NORTH", "N-HALL-1", "N-HALL-2"]
    assert response.context["can_manage"] is False
    assert "/audits/chainwide/edit/" not in tools(response) and "/audits/chainwide/export.csv" not in tools(response)
    owner = client_for("admin").get("/audits/chainwide/links/")
    assert "/audits/chainwide/edit/" in tools(owner) and "/audits/chainwide/export.csv" in tools(owner)


# ------------------------------------------------------------------ writes within a scope
def test_the_create_form_offers_only_the_managers_units(w, client_for):
    form = client_for("manager_north").get("/audits/new/").context["form"]
    assert [label.strip() for _pk, label in form.fields["units"].choices] == [
        "North region (NORTH)", "Northern Hall One (N-HALL-1)", "Northern Hall Two (N-HALL-2)"]


def test_creating_an_audit_for_a_unit_outside_the_scope_is_an_inline_error(w, client_for):
    page = client_for("manager_south").post("/audits/new/", audit_form(w, w.n1))
    assert page.status_code == 200
    assert page.context["form"].errors["units"] == ["Choose only units within your scope."]
    assert not Audit.objects.filter(slug="new-audit").exists()


def test_creating_an_audit_for_a_unit_outside_the_scope_is_a_400_on_units(client_for):
    response = client_for("manager_north").post(
        "/api/audits/", {"slug": "new-audit", "title": "New", "instrument": "servqual", "units": ["NORTH", "SOUTH"]},
        content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"units": ['no unit "SOUTH" within your scope']}
    assert not Audit.objects.filter(slug="new-audit").exists()


def test_a_manager_creates_an_audit_for_their_units_and_may_then_manage_it(w, client_for):
    client = client_for("manager_north")
    page = client.post("/audits/new/", audit_form(w, w.n1, w.n2))
    assert page.status_code == 302 and page["Location"] == "/audits/new-audit/links/"
    assert client.get("/audits/new-audit/edit/").status_code == 200
    assert client.get("/audits/new-audit/dashboard/").status_code == 200  # the whole audit is theirs


def test_a_manager_of_part_of_the_audit_cannot_edit_it(w, client_for):
    response = client_for("manager_north").post("/audits/chainwide/edit/", edit_form(w.chainwide))
    assert response.status_code == 403
    patched = client_for("manager_south").patch("/api/audits/chainwide/", {"is_open": False},
                                                content_type="application/json")
    assert patched.status_code == 403
    w.chainwide.refresh_from_db()
    assert w.chainwide.is_open is True


def test_a_signed_in_response_for_a_unit_outside_the_scope_is_a_400_on_unit(w, client_for):
    before = Response.objects.count()
    response = client_for("staff_n1").post("/api/audits/chainwide/responses/", one_response("N-HALL-2")(w),
                                           content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"unit": ["This unit is not in your scope."]}
    assert Response.objects.count() == before


# ------------------------------------------------------------------ audit log
def log_entries() -> list[tuple[Any, ...]]:
    return list(AuditLogEntry.objects.filter(object_type="audit").order_by("pk").values_list(
        "actor__username", "action", "object_repr", "audit__slug", "changes"))


def test_creating_an_audit_is_logged_with_its_actor_and_values(w, client_for):
    AuditLogEntry.objects.filter(object_type="audit").delete()
    client_for("manager_north").post(
        "/api/audits/", {"slug": "new-audit", "title": "New", "instrument": "servqual", "units": ["N-HALL-1"],
                         "period_start": "2025-01-01"}, content_type="application/json")
    assert log_entries() == [("manager-north@example.com", "created", "New (new-audit)", "new-audit", {
        "slug": [None, "new-audit"], "title": [None, "New"], "instrument": [None, "servqual"], "scale": [None, 7],
        "format": [None, "two_column"], "min_sample": [None, 5], "is_open": [None, True],
        "period_start": [None, "2025-01-01"], "period_end": [None, None], "units": [None, ["N-HALL-1"]],
    })]


def test_updating_an_audit_logs_what_changed_with_its_actor(w, client_for):
    AuditLogEntry.objects.filter(object_type="audit").delete()
    client_for("manager_south").patch("/api/audits/south-only/", {"is_open": False, "title": "South-only audit"},
                                      content_type="application/json")
    data = edit_form(w.south_only) | {"title": "Southern audit", "is_open": "on",
                                      "units": [w.south.pk, w.s1.pk]}
    assert client_for("admin").post("/audits/south-only/edit/", data).status_code == 302
    assert log_entries() == [
        ("manager-south@example.com", "updated", "South-only audit (south-only)", "south-only",
         {"is_open": [True, False]}),
        ("admin@example.com", "updated", "Southern audit (south-only)", "south-only",
         {"title": ["South-only audit", "Southern audit"], "is_open": [False, True],
          "units": [["SOUTH"], ["S-HALL-1", "SOUTH"]]}),
    ]


def test_an_update_that_changes_nothing_is_not_logged(w, client_for):
    AuditLogEntry.objects.filter(object_type="audit").delete()
    response = client_for("admin").patch("/api/audits/chainwide/", {"is_open": True, "units": ["CHAIN"]},
                                         content_type="application/json")
    assert response.status_code == 200
    assert log_entries() == []
