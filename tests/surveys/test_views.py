"""Staff pages: audit list, create/edit form, survey links, import and export."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from surveys.links import link_issue, link_path
from surveys.models import Audit, Instrument, Response, SurveyLink, Unit
from surveys.services import audit_create, response_submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def signed_in_as_admin(client, admin_user):
    """These pages are for admins (and managers within their scope: tests/access)."""
    client.force_login(admin_user)


@pytest.fixture
def servqual():
    return Instrument.objects.get(code="servqual")


@pytest.fixture
def chain():
    chain = Unit.objects.create(code="chain", name="Chain")
    north = Unit.objects.create(code="north", name="North region", parent=chain)
    Unit.objects.create(code="hall-1", name="Hall 1", parent=north)
    Unit.objects.create(code="other", name="Other chain")
    return chain


@pytest.fixture
def audit(servqual, chain):
    return audit_create(slug="spring", title="Spring audit", instrument=servqual, units=[chain])


def submit(audit, unit_code="hall-1", **answers):
    return response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code=unit_code,
                           answers=answers or {"REL1": {"expectation": 6, "perception": 5}})


def audit_form_data(servqual, units, **overrides):
    data = {
        "title": "Autumn audit", "slug": "", "instrument": servqual.pk, "format": "two_column",
        "scale": "7", "units": [u.pk for u in units], "period_start": "2025-01-01",
        "period_end": "2025-03-31", "min_sample": "5", "is_open": "on",
    }
    data.update(overrides)
    return data


class TestAuditList:
    def test_it_shows_each_audit_with_its_response_count_and_status(self, client, audit, servqual, chain):
        closed = audit_create(slug="closed-one", title="Closed one", instrument=servqual,
                              units=[chain], is_open=False, format="three_column", scale=5)
        for _ in range(3):
            submit(audit)
        page = client.get(reverse("audit-list"))
        assert page.status_code == 200
        counts = {a.slug: a.n_responses for a in page.context["audits"]}
        assert counts == {"spring": 3, "closed-one": 0}
        html = page.content.decode()
        assert "Spring audit" in html and "Closed one" in html
        assert 'class="badge stale"' in html
        assert 'class="badge open"' in html and 'class="badge closed"' in html
        assert reverse("audit-links", args=[closed.slug]) in html
        assert reverse("audit-import", args=[closed.slug]) in html
        assert reverse("audit-edit", args=[closed.slug]) in html
        assert reverse("audit-dashboard", args=[closed.slug]) in html

    def test_the_root_url_shows_the_list(self, client, audit):
        assert "Spring audit" in client.get("/").content.decode()

    def test_it_runs_a_fixed_number_of_queries(self, client, servqual, chain, django_assert_max_num_queries):
        for n in range(6):
            audit = audit_create(slug=f"a{n}", title=f"Audit {n}", instrument=servqual, units=[chain])
            submit(audit)
        # The session, its user, the audits, their units.
        with django_assert_max_num_queries(4):
            page = client.get(reverse("audit-list"))
        assert len(page.context["audits"]) == 6

    def test_it_invites_to_create_the_first_audit_when_there_is_none(self, client):
        html = client.get(reverse("audit-list")).content.decode()
        assert "No audits yet" in html
        assert reverse("audit-create") in html


class TestAuditCreate:
    def test_it_creates_the_audit_and_suggests_a_slug_from_the_title(self, client, servqual, chain):
        page = client.post(reverse("audit-create"), audit_form_data(servqual, [chain]), follow=True)
        audit = Audit.objects.get(slug="autumn-audit")
        assert page.redirect_chain[-1][0] == reverse("audit-links", args=["autumn-audit"])
        assert audit.title == "Autumn audit" and audit.scale == 7
        assert audit.period_end == dt.date(2025, 3, 31)
        assert list(audit.units.all()) == [chain]
        assert audit.instrument_snapshot["code"] == "servqual"
        assert "created" in page.content.decode()

    def test_it_makes_the_suggested_slug_unique(self, client, servqual, chain, audit):
        client.post(reverse("audit-create"), audit_form_data(servqual, [chain], title="Spring audit"))
        assert Audit.objects.filter(slug="spring-audit").exists()
        client.post(reverse("audit-create"), audit_form_data(servqual, [chain], title="Spring audit"))
        assert Audit.objects.filter(slug="spring-audit-2").exists()

    def test_it_shows_errors_beside_each_bad_field(self, client, servqual, chain):
        data = audit_form_data(servqual, [], scale="11", min_sample="0", period_end="2024-12-31",
                               slug="spring")
        page = client.post(reverse("audit-create"), data)
        assert page.status_code == 200
        errors = page.context["form"].errors
        assert set(errors) == {"scale", "units", "min_sample", "period_end"}
        assert "The period cannot end before it starts." in page.content.decode()
        assert not Audit.objects.exists()

    def test_the_unit_choices_show_the_tree(self, client, chain):
        html = client.get(reverse("audit-create")).content.decode()
        assert "\u00a0" * 6 + "Hall 1 (hall-1)" in html


class TestAuditEdit:
    def test_it_saves_changes_and_redirects_to_the_links(self, client, audit, servqual, chain):
        data = audit_form_data(servqual, [chain], title="Spring audit, renamed", is_open="")
        page = client.post(reverse("audit-edit", args=["spring"]), data)
        assert page.status_code == 302 and page.url == reverse("audit-links", args=["spring"])
        audit.refresh_from_db()
        assert audit.title == "Spring audit, renamed" and audit.is_open is False

    def test_it_rejects_a_scale_change_once_the_audit_has_responses(self, client, audit, servqual, chain):
        submit(audit)
        data = audit_form_data(servqual, [chain], title="Spring audit", scale="5")
        page = client.post(reverse("audit-edit", args=["spring"]), data)
        assert page.status_code == 200
        assert page.context["form"].errors["scale"] == ["Cannot change once the audit has responses."]
        audit.refresh_from_db()
        assert audit.scale == 7

    def test_it_allows_a_scale_change_before_any_response(self, client, audit, servqual, chain):
        data = audit_form_data(servqual, [chain], title="Spring audit", scale="5")
        assert client.post(reverse("audit-edit", args=["spring"]), data).status_code == 302
        audit.refresh_from_db()
        assert audit.scale == 5


class TestAuditLinks:
    def test_it_lists_an_absolute_signed_link_per_unit_that_can_answer(self, client, audit):
        page = client.get(reverse("audit-links", args=["spring"]))
        html = page.content.decode()
        for code in ("chain", "north", "hall-1"):
            link = link_issue(audit=audit, unit=Unit.objects.get(code=code))
            assert f'value="http://testserver{link_path(link)}"' in html
        assert not SurveyLink.objects.filter(unit__code="other").exists()
        assert reverse("audit-export", args=["spring", "csv"]) == "/audits/spring/export.csv"
        assert "/audits/spring/export.xlsx" in html


class TestImportExport:
    def test_a_rejected_file_shows_errors_by_row_and_column_and_writes_nothing(self, client, audit):
        pytest.importorskip("surveys.exchange")
        header = ["submission_id", "unit"] + [f"{c}_{i}" for c in "EP" for i in ITEMS]
        good = [str(uuid.uuid4()), "hall-1"] + ["4"] * (2 * len(ITEMS))
        bad = [str(uuid.uuid4()), "hall-1", "9"] + ["4"] * (2 * len(ITEMS) - 1)
        content = "\n".join(",".join(row) for row in (header, good, bad)).encode()
        upload = _upload("bad.csv", content)
        page = client.post(reverse("audit-import", args=["spring"]), {"file": upload})
        html = page.content.decode()
        assert page.status_code == 200
        assert "The file was rejected" in html
        assert "<code>E_TAN1</code>" in html
        assert not Response.objects.exists()

    def test_an_exported_file_imports_back_and_reports_the_skips(self, client, audit):
        pytest.importorskip("surveys.exchange")
        submit(audit)
        export = client.get(reverse("audit-export", args=["spring", "csv"]))
        assert export["Content-Type"].startswith("text/csv")
        assert export["Content-Disposition"] == 'attachment; filename="spring-responses.csv"'
        page = client.post(reverse("audit-import", args=["spring"]),
                           {"file": _upload("back.csv", export.content)}, follow=True)
        assert "Imported 0 responses; skipped 1 already stored and 0 repeated in the file." in (
            page.content.decode())
        assert Response.objects.count() == 1

    def test_the_xlsx_export_is_an_attachment(self, client, audit):
        pytest.importorskip("surveys.exchange")
        export = client.get(reverse("audit-export", args=["spring", "xlsx"]))
        assert export["Content-Type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        assert export.content[:2] == b"PK"

    def test_it_refuses_a_file_that_is_neither_csv_nor_xlsx(self, client, audit):
        pytest.importorskip("surveys.exchange")
        page = client.post(reverse("audit-import", args=["spring"]), {"file": _upload("a.txt", b"x")})
        assert page.context["form"].errors["file"] == ["Choose a .csv or .xlsx file."]


class TestAdmin:
    def test_every_admin_page_renders_and_a_response_shows_its_decoded_answers(self, admin_client, audit):
        response, _ = submit(audit)
        pages = ["surveys/unit", "surveys/instrument", "surveys/audit", "surveys/response",
                 "analytics/gapresult", "analytics/computejob"]
        for page in pages:
            assert admin_client.get(f"/admin/{page}/").status_code == 200, page
        instrument = Instrument.objects.get(code="servqual")
        assert admin_client.get(f"/admin/surveys/instrument/{instrument.pk}/change/").status_code == 200
        assert admin_client.get(f"/admin/surveys/audit/{audit.pk}/change/").status_code == 200
        html = admin_client.get(f"/admin/surveys/response/{response.pk}/change/").content.decode()
        assert "&quot;REL1&quot;: {\n    &quot;expectation&quot;: 6,\n    &quot;perception&quot;: 5" in html


ITEMS = ["TAN1", "TAN2", "TAN3", "TAN4", "REL1", "REL2", "REL3", "REL4", "REL5", "RES1", "RES2",
         "RES3", "RES4", "ASS1", "ASS2", "ASS3", "ASS4", "EMP1", "EMP2", "EMP3", "EMP4", "EMP5"]


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)
