"""Delivery evidence services (METHOD.md §6, gap 3): self-assessments and inspections
write exactly one delivery observation per scored item, reject bad input whole and
mark the audit stale."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from accounts.models import RoleAssignment
from provider.delivery import (
    inspection_submit,
    scorecard_template_save,
    self_assessment_submit,
    unit_standards,
)
from provider.models import DeliveryObservation, Inspection, QualityStandard, ScorecardTemplate, SelfAssessment
from surveys.instruments import instrument_import
from surveys.models import Audit, Instrument, Unit
from surveys.services import ValidationFailed, audit_create

pytestmark = pytest.mark.django_db

ALL_SEVEN = {"ASS3": 7.0, "ASS1": 7.0, "EMP3": 7.0, "EMP5": 7.0, "RES2": 7.0, "REL3": 7.0, "REL1": 7.0}


@pytest.fixture
def units():
    chain = Unit.objects.create(code="chain", name="Chain")
    north = Unit.objects.create(code="north", name="North region", parent=chain)
    hall = Unit.objects.create(code="hall-1", name="Hall 1", parent=north)
    Unit.objects.create(code="other", name="Other chain")
    return {"chain": chain, "north": north, "hall": hall}


@pytest.fixture
def audit(units):
    return audit_create(slug="spring", title="Spring audit", instrument=Instrument.objects.get(code="servqual"),
                        units=[units["chain"]])


@pytest.fixture
def user(units):
    """Frontline staff of the whole chain."""
    user = get_user_model().objects.create_user("staff")
    RoleAssignment.objects.create(user=user, role="staff", unit=units["chain"])
    return user


def version(audit) -> int:
    return Audit.objects.get(pk=audit.pk).data_version


def observations(audit):
    return list(DeliveryObservation.objects.filter(audit=audit).order_by("id")
                .values_list("unit__code", "item_code", "value", "source"))


def small_audit(units, codes, slug="small"):
    """An audit whose instrument has only these items, in one dimension."""
    instrument = instrument_import(data={
        "code": f"{slug}-instrument", "languages": ["en"], "name": {"en": slug},
        "dimensions": [{"code": "d", "name": {"en": "D"},
                        "items": [{"code": c, "text": {"en": c}} for c in codes]}],
    })
    return audit_create(slug=slug, title=slug, instrument=instrument, units=[units["chain"]])


class TestSelfAssessment:
    def test_it_writes_one_observation_per_score(self, audit, units, user):
        assessment = self_assessment_submit(
            audit=audit, unit=units["hall"], user=user,
            scores={"ASS3": 7, "REL1": 5, "EMP1": None}, comments={"REL1": "  Queue was long  ", "ASS3": " "},
        )
        assert observations(audit) == [("hall-1", "REL1", 5.0, "self_assessment"),
                                       ("hall-1", "ASS3", 7.0, "self_assessment")]
        assert all(o.self_assessment_id == assessment.pk for o in DeliveryObservation.objects.all())
        stored = SelfAssessment.objects.get()
        assert stored.scores == {"REL1": 5, "ASS3": 7, "EMP1": None}
        assert stored.comments == {"REL1": "Queue was long"}
        assert stored.submitted_by == user and stored.unit == units["hall"]

    def test_it_takes_a_unit_code_and_marks_the_audit_stale(self, audit):
        before = version(audit)
        self_assessment_submit(audit=audit, unit="north", scores={"TAN1": 1})
        assert version(audit) == before + 1
        assert observations(audit) == [("north", "TAN1", 1.0, "self_assessment")]
        assert SelfAssessment.objects.get().submitted_by is None

    @pytest.mark.parametrize("value,message", [
        (8, "8 is outside the scale 1..7"),
        (0, "0 is outside the scale 1..7"),
        (5.5, "must be an integer from 1 to 7, or null for not assessed"),
        ("5", "must be an integer from 1 to 7, or null for not assessed"),
        (True, "must be an integer from 1 to 7, or null for not assessed"),
    ])
    def test_it_rejects_a_score_outside_the_scale_and_writes_nothing(self, audit, value, message):
        before = version(audit)
        with pytest.raises(ValidationFailed) as failed:
            self_assessment_submit(audit=audit, unit="hall-1", scores={"REL1": 6, "REL2": value})
        assert failed.value.errors == {"scores.REL2": [message]}
        assert not SelfAssessment.objects.exists() and not DeliveryObservation.objects.exists()
        assert version(audit) == before

    def test_it_rejects_every_problem_at_once(self, audit):
        with pytest.raises(ValidationFailed) as failed:
            self_assessment_submit(audit=audit, unit="other", scores={"XX9": 3}, comments={"REL1": "x" * 501})
        assert failed.value.errors == {
            "unit": ['unknown unit "other" for this audit'],
            "scores.XX9": ['unknown item "XX9"'],
            "comments.REL1": ["must be text of at most 500 characters"],
        }
        assert not SelfAssessment.objects.exists()

    @pytest.mark.parametrize("scores", [{}, {"REL1": None, "ASS3": None}])
    def test_it_needs_at_least_one_score(self, audit, scores):
        with pytest.raises(ValidationFailed) as failed:
            self_assessment_submit(audit=audit, unit="hall-1", scores=scores)
        assert failed.value.errors == {"scores": ["give at least one score"]}

    def test_it_rejects_evidence_for_a_closed_audit(self, audit):
        Audit.objects.filter(pk=audit.pk).update(is_open=False)
        with pytest.raises(ValidationFailed) as failed:
            self_assessment_submit(audit=audit, unit="hall-1", scores={"REL1": 4})
        assert failed.value.errors == {"audit": ["this audit is closed and accepts no more delivery evidence"]}
        assert not DeliveryObservation.objects.exists()

    def test_the_scale_is_the_audits(self, units):
        audit = audit_create(slug="five", title="Five", instrument=Instrument.objects.get(code="servqual"),
                             units=[units["chain"]], scale=5)
        with pytest.raises(ValidationFailed) as failed:
            self_assessment_submit(audit=audit, unit="hall-1", scores={"REL1": 6})
        assert failed.value.errors == {"scores.REL1": ["6 is outside the scale 1..5"]}
        self_assessment_submit(audit=audit, unit="hall-1", scores={"REL1": 5})
        assert observations(audit) == [("hall-1", "REL1", 5.0, "self_assessment")]

    def test_it_rejects_scores_that_are_not_an_object(self, audit):
        with pytest.raises(ValidationFailed) as failed:
            self_assessment_submit(audit=audit, unit="hall-1", scores=[5], comments="fine")
        assert failed.value.errors == {"scores": ["must be an object of scores keyed by item code"],
                                       "comments": ["must be an object of comments keyed by item code"]}


class TestInspection:
    def call(self, audit, failed=(), unit="hall-1", **kwargs):
        return inspection_submit(audit=audit, unit=unit, template="call-centre-call", failed_checks=list(failed),
                                 **kwargs)

    def test_a_failed_greeting_scores_courtesy_three_of_seven(self, audit, units, user):
        inspection = self.call(audit, ["greeting"], user=user, role="quality_checker", reference="CALL-42")
        # ASS3 has greeting (10) and closing (5): 1 + 6·(1 − 10/15) = 3.0; every other item 7.0
        assert inspection.scores == {**ALL_SEVEN, "ASS3": 3.0}
        assert observations(audit) == [("hall-1", code, value, "inspection")
                                       for code, value in {**ALL_SEVEN, "ASS3": 3.0}.items()]
        stored = Inspection.objects.get()
        assert stored.failed_checks == ["greeting"] and stored.inspector == user
        assert stored.inspector_role == "quality_checker" and stored.reference == "CALL-42"
        assert [(c["code"], c["item_code"], c["deduction"]) for c in stored.checks][:2] == [
            ("greeting", "ASS3", 10), ("closing", "ASS3", 5)]
        assert len(stored.checks) == 8

    def test_nothing_failed_scores_every_item_seven(self, audit):
        assert self.call(audit).scores == ALL_SEVEN

    def test_everything_failed_scores_every_item_one(self, audit):
        codes = ["greeting", "closing", "wording", "tone", "listening", "answer-time", "right-first", "callback"]
        assert self.call(audit, codes).scores == dict.fromkeys(ALL_SEVEN, 1.0)

    def test_failed_checks_are_stored_once_in_template_order(self, audit):
        inspection = self.call(audit, ["callback", "closing", "callback"])
        assert inspection.failed_checks == ["closing", "callback"]
        # ASS3: 5 of 15 deducted → 1 + 6·(10/15) = 5.0; REL1 has one check → 1.0
        assert inspection.scores == {**ALL_SEVEN, "ASS3": 5.0, "REL1": 1.0}

    def test_it_marks_the_audit_stale(self, audit):
        before = version(audit)
        self.call(audit)
        assert version(audit) == before + 1

    def test_checks_of_items_outside_the_audit_are_ignored(self, units):
        audit = small_audit(units, ["ASS3", "REL3"])
        inspection = self.call(audit, ["greeting", "wording", "right-first"])
        assert inspection.scores == {"ASS3": 3.0, "REL3": 1.0}
        assert observations(audit) == [("hall-1", "ASS3", 3.0, "inspection"), ("hall-1", "REL3", 1.0, "inspection")]
        assert len(inspection.checks) == 8  # the frozen checks are the whole template

    def test_it_refuses_a_template_that_evidences_no_item_of_the_audit(self, units):
        audit = small_audit(units, ["KIOSK1"])
        with pytest.raises(ValidationFailed) as failed:
            self.call(audit)
        assert failed.value.errors == {
            "template": ['none of the checks of "call-centre-call" evidences an item of this audit']}
        assert not Inspection.objects.exists()

    def test_later_template_edits_do_not_change_stored_scores(self, audit):
        first = self.call(audit, ["greeting"])
        template = ScorecardTemplate.objects.get(code="call-centre-call")
        scorecard_template_save(template=template, checks=[
            {"code": "greeting", "item": "ASS3", "deduction": 5, "text": {"en": "Greeting"}},
            {"code": "closing", "item": "ASS3", "deduction": 5, "text": {"en": "Closing"}},
        ])
        first.refresh_from_db()
        assert first.scores == {**ALL_SEVEN, "ASS3": 3.0} and len(first.checks) == 8
        assert first.checks[0]["deduction"] == 10
        second = self.call(audit, ["greeting"])
        # now 5 of 10 deducted: 1 + 6·(5/10) = 4.0
        assert second.scores == {"ASS3": 4.0}
        values = DeliveryObservation.objects.filter(item_code="ASS3").order_by("id").values_list("value", flat=True)
        assert list(values) == [3.0, 4.0]

    def test_it_rejects_an_unknown_check_code_and_writes_nothing(self, audit):
        before = version(audit)
        with pytest.raises(ValidationFailed) as failed:
            self.call(audit, ["greeting", "smile"])
        assert failed.value.errors == {"failed_checks": ['unknown check "smile" in template "call-centre-call"']}
        assert not Inspection.objects.exists() and not DeliveryObservation.objects.exists()
        assert version(audit) == before

    def test_it_rejects_bad_fields_by_name(self, audit):
        with pytest.raises(ValidationFailed) as failed:
            inspection_submit(audit=audit, unit="other", template="call-centre-call", role="boss",
                              reference="x" * 101, observed_at=timezone.now() + dt.timedelta(hours=1),
                              notes="n" * 5001, failed_checks="greeting")
        assert failed.value.errors == {
            "unit": ['unknown unit "other" for this audit'],
            "inspector_role": ["choose one of: supervisor, quality_checker, mystery_shopper"],
            "reference": ["must be text of at most 100 characters"],
            "notes": ["must be text of at most 5000 characters"],
            "observed_at": ["cannot be in the future"],
            "failed_checks": ["must be a list of check codes"],
        }

    def test_a_clock_two_minutes_fast_is_accepted_but_a_naive_time_is_not(self, audit):
        self.call(audit, observed_at=timezone.now() + dt.timedelta(minutes=2))
        with pytest.raises(ValidationFailed) as failed:
            self.call(audit, observed_at=dt.datetime(2025, 1, 1, 12, 0))
        assert failed.value.errors == {"observed_at": ["must be a date and time with a time zone"]}

    def test_it_rejects_an_unknown_or_inactive_template(self, audit):
        with pytest.raises(ValidationFailed) as failed:
            inspection_submit(audit=audit, unit="hall-1", template="nope", failed_checks=["greeting"])
        assert failed.value.errors == {"template": ['unknown scorecard template "nope"']}
        ScorecardTemplate.objects.filter(code="call-centre-call").update(is_active=False)
        with pytest.raises(ValidationFailed) as failed:
            self.call(audit)
        assert failed.value.errors == {"template": ['the scorecard template "call-centre-call" is inactive']}

    def test_it_rejects_evidence_for_a_closed_audit(self, audit):
        Audit.objects.filter(pk=audit.pk).update(is_open=False)
        with pytest.raises(ValidationFailed) as failed:
            self.call(audit)
        assert failed.value.errors == {"audit": ["this audit is closed and accepts no more delivery evidence"]}

    def test_the_service_hall_template_scores_its_items(self, audit):
        inspection = inspection_submit(audit=audit, unit="north", template="service-hall-visit",
                                       role="mystery_shopper", failed_checks=["wait", "leaflets"])
        assert inspection.scores == {"ASS3": 7.0, "RES2": 1.0, "TAN2": 7.0, "TAN3": 7.0, "TAN4": 1.0,
                                     "REL3": 7.0, "RES1": 7.0, "TAN1": 7.0}
        assert DeliveryObservation.objects.filter(inspection=inspection, unit__code="north").count() == 8


class TestUnitStandards:
    def test_the_nearest_unit_override_wins_over_the_audits_standard(self, audit, units):
        QualityStandard.objects.create(audit=audit, item_code="REL1", level=6, description="Wait under 10 min")
        QualityStandard.objects.create(audit=audit, item_code="ASS3", level=6, description="Greet within 5 s")
        QualityStandard.objects.create(audit=audit, item_code="REL1", unit=units["north"], level=5,
                                       description="Wait under 15 min")
        QualityStandard.objects.create(audit=audit, item_code="ASS3", unit=units["hall"], level=7,
                                       description="Greet at the door")
        described = {code: s.description for code, s in unit_standards(audit=audit, unit_id=units["hall"].pk).items()}
        assert described == {"REL1": "Wait under 15 min", "ASS3": "Greet at the door"}
        described = {code: s.description for code, s in unit_standards(audit=audit, unit_id=units["north"].pk).items()}
        assert described == {"REL1": "Wait under 15 min", "ASS3": "Greet within 5 s"}
        described = {code: s.description for code, s in unit_standards(audit=audit, unit_id=units["chain"].pk).items()}
        assert described == {"REL1": "Wait under 10 min", "ASS3": "Greet within 5 s"}


# ---------------------------------------------------------------- pages


@pytest.fixture
def staff(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def boss(units):
    """A manager of the whole chain: sees every piece of evidence of the audit."""
    from django.test import Client

    manager = get_user_model().objects.create_user("boss")
    RoleAssignment.objects.create(user=manager, role="manager", unit=units["chain"])
    client = Client()
    client.force_login(manager)
    return client


class TestSelfAssessmentPage:
    def url(self, audit):
        return reverse("self-assessment", args=[audit.slug])

    def test_it_asks_for_the_unit_first(self, staff, audit):
        page = staff.get(self.url(audit))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Choose your unit to start" in html and 'id="self-assessment-form"' not in html
        assert '<option value="hall-1">' in html and '<option value="other">' not in html

    def test_it_shows_every_item_with_the_units_standard(self, staff, audit, units):
        QualityStandard.objects.create(audit=audit, item_code="REL1", level=6, description="Wait under 10 min")
        QualityStandard.objects.create(audit=audit, item_code="REL1", unit=units["hall"], level=5,
                                       description="Wait under 15 min")
        html = staff.get(self.url(audit) + "?unit=hall-1").content.decode()
        assert 'id="self-assessment-form"' in html and html.count('id="item-') == 22
        assert "Wait under 15 min" in html and "Wait under 10 min" not in html
        assert "The service provider keeps error-free records." in html
        html = staff.get(self.url(audit) + "?unit=chain").content.decode()
        assert "Wait under 10 min" in html

    def test_it_shows_item_texts_in_the_active_language(self, staff, audit):
        html = staff.get(self.url(audit) + "?unit=hall-1", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "该服务机构的记录准确无误。" in html

    def test_a_valid_submission_is_stored_and_redirects_to_my_evidence(self, staff, audit, user):
        before = version(audit)
        page = staff.post(self.url(audit), {"unit": "hall-1", "S_REL1": "5", "S_ASS3": "7", "S_EMP1": "",
                                            "C_REL1": "Queue was long"})
        assert page.status_code == 302
        assert page["Location"] == reverse("delivery-evidence", args=[audit.slug]) + "?mine=1"
        assert observations(audit) == [("hall-1", "REL1", 5.0, "self_assessment"),
                                       ("hall-1", "ASS3", 7.0, "self_assessment")]
        stored = SelfAssessment.objects.get()
        assert stored.submitted_by == user and stored.comments == {"REL1": "Queue was long"}
        assert stored.scores == {code: None for code in stored.scores} | {"REL1": 5, "ASS3": 7}
        assert len(stored.scores) == 22
        assert version(audit) == before + 1

    def test_it_asks_for_at_least_one_score_inline(self, staff, audit):
        page = staff.post(self.url(audit), {"unit": "hall-1", "C_REL1": "nothing scored"})
        assert page.status_code == 200
        html = page.content.decode()
        assert "Score at least one item." in html and "nothing scored" in html
        assert not SelfAssessment.objects.exists()

    def test_it_shows_a_score_outside_the_scale_beside_the_item(self, staff, audit):
        page = staff.post(self.url(audit), {"unit": "hall-1", "S_REL1": "9", "S_ASS3": "4"})
        assert page.status_code == 200
        assert page.context["form"].errors["S_REL1"] == ["Choose a number from 1 to 7, or “Not assessed”."]
        assert 'class="item has-error" id="item-REL1"' in page.content.decode()
        assert not DeliveryObservation.objects.exists()

    def test_a_closed_audit_says_so_and_stores_nothing(self, staff, audit):
        Audit.objects.filter(pk=audit.pk).update(is_open=False)
        page = staff.post(self.url(audit), {"unit": "hall-1", "S_REL1": "4"})
        assert page.status_code == 200
        assert "this audit is closed and accepts no more delivery evidence" in page.content.decode()
        assert not SelfAssessment.objects.exists()

    def test_a_unit_outside_the_audit_is_refused(self, staff, audit):
        html = staff.get(self.url(audit) + "?unit=other").content.decode()
        assert "“other” is not a unit of this audit." in html and 'id="self-assessment-form"' not in html
        page = staff.post(self.url(audit), {"unit": "other", "S_REL1": "4"})
        assert page.status_code == 200 and "“other” is not a unit of this audit." in page.content.decode()
        assert not SelfAssessment.objects.exists()

    def test_it_needs_a_signed_in_user_and_a_known_audit(self, client, staff, audit):
        assert staff.get(reverse("self-assessment", args=["nope"])).status_code == 404
        staff.logout()
        page = client.get(self.url(audit))
        assert page.status_code == 302 and "login" in page["Location"]


class TestInspectionPages:
    def url(self, audit):
        return reverse("inspection-new", args=[audit.slug])

    def form(self, **overrides):
        data = {"template": "call-centre-call", "unit": "hall-1", "inspector_role": "quality_checker",
                "reference": "CALL-42", "observed_at": "2025-03-01T10:30", "failed": ["greeting"], "notes": ""}
        return {**data, **overrides}

    def test_it_offers_the_first_active_scorecard_with_unmistakable_fail_boxes(self, staff, audit):
        page = staff.get(self.url(audit))
        assert page.status_code == 200
        html = page.content.decode()
        assert page.context["template"].code == "call-centre-call"
        assert "Failed — deduct 10 points" in html and "Failed — deduct 5 points" in html
        assert 'data-deduction="20"' in html and 'id="deduction-total">0<' in html
        assert "js/inspection.js" in html and 'nonce="' in html

    def test_another_scorecard_can_be_chosen(self, staff, audit):
        html = staff.get(self.url(audit) + "?template=service-hall-visit").content.decode()
        assert "The queue-number machine and display were working." in html

    def test_an_unknown_scorecard_is_refused(self, staff, audit):
        page = staff.get(self.url(audit) + "?template=nope")
        assert page.status_code == 200 and page.context["form"] is None
        assert "That scorecard does not exist or is no longer active" in page.content.decode()

    def test_a_submission_redirects_to_the_per_item_scores(self, staff, audit, user):
        page = staff.post(self.url(audit), self.form())
        inspection = Inspection.objects.get()
        assert page.status_code == 302
        assert page["Location"] == reverse("inspection-detail", args=[audit.slug, inspection.pk])
        assert inspection.scores == {**ALL_SEVEN, "ASS3": 3.0} and inspection.inspector == user
        assert inspection.observed_at == dt.datetime(2025, 3, 1, 10, 30, tzinfo=dt.UTC)
        detail = staff.get(page["Location"])
        assert detail.status_code == 200
        html = detail.content.decode()
        assert "<strong>3.00</strong>" in html and "10 / 15" in html and "CALL-42" in html
        assert [row["code"] for row in detail.context["scores"]] == ["REL1", "REL3", "RES2", "ASS1", "ASS3",
                                                                     "EMP3", "EMP5"]

    def test_an_unknown_check_is_an_inline_error(self, staff, audit):
        page = staff.post(self.url(audit), self.form(failed=["greeting", "smile"]))
        assert page.status_code == 200 and "failed" in page.context["form"].errors
        assert not Inspection.objects.exists()

    def test_a_future_observation_time_is_an_inline_error(self, staff, audit):
        later = (timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        page = staff.post(self.url(audit), self.form(observed_at=later))
        assert page.context["form"].errors == {"observed_at": ["cannot be in the future"]}
        assert not Inspection.objects.exists()

    def test_the_running_total_is_rendered_again_after_an_error(self, staff, audit):
        page = staff.post(self.url(audit), self.form(unit="", failed=["greeting", "callback"]))
        html = page.content.decode()
        assert 'id="deduction-total">25<' in html and "checked" in html
        assert "unit" in page.context["form"].errors

    def test_a_closed_audit_is_refused_on_the_page(self, staff, audit):
        Audit.objects.filter(pk=audit.pk).update(is_open=False)
        page = staff.post(self.url(audit), self.form())
        assert "this audit is closed and accepts no more delivery evidence" in page.content.decode()
        assert not Inspection.objects.exists()

    def test_the_detail_of_another_audit_is_not_found(self, staff, audit, units):
        inspection = inspection_submit(audit=audit, unit="hall-1", template="call-centre-call")
        other = small_audit(units, ["ASS3"])
        assert staff.get(reverse("inspection-detail", args=[other.slug, inspection.pk])).status_code == 404


class TestEvidencePage:
    def url(self, audit, query=""):
        return reverse("delivery-evidence", args=[audit.slug]) + query

    def test_it_lists_self_assessments_and_inspections_newest_first(self, boss, audit, user):
        self_assessment_submit(audit=audit, unit="hall-1", user=user, scores={"REL1": 5, "ASS3": 6})
        inspection_submit(audit=audit, unit="north", template="call-centre-call", failed_checks=["greeting"])
        page = boss.get(self.url(audit))
        assert page.status_code == 200
        assert [row["kind"] for row in page.context["rows"]] == ["inspection", "self_assessment"]
        html = page.content.decode()
        assert "Call-centre call quality check" in html and "1 check failed, 10 points deducted" in html
        assert "2 items scored" in html and "mean 5.50 / 7" in html

    def test_staff_see_only_their_own_evidence_whatever_the_query_says(self, staff, boss, audit, user):
        self_assessment_submit(audit=audit, unit="hall-1", user=user, scores={"REL1": 5})
        inspection_submit(audit=audit, unit="north", template="call-centre-call")
        for query in ("", "?mine=0", "?mine=1"):
            page = staff.get(self.url(audit, query))
            assert [row["kind"] for row in page.context["rows"]] == ["self_assessment"]
            assert page.context["mine"] is True and "All evidence" not in page.content.decode()
        assert [row["kind"] for row in boss.get(self.url(audit)).context["rows"]] == ["inspection",
                                                                                     "self_assessment"]
        assert boss.get(self.url(audit, "?mine=1")).context["rows"] == []

    def test_it_pages_through_the_evidence(self, boss, audit, django_assert_max_num_queries):
        for n in range(26):
            self_assessment_submit(audit=audit, unit="hall-1", scores={"REL1": 1 + n % 7})
        inspection_submit(audit=audit, unit="hall-1", template="call-centre-call")
        with django_assert_max_num_queries(12):
            first = boss.get(self.url(audit))
        assert len(first.context["rows"]) == 25 and first.context["rows"][0]["kind"] == "inspection"
        second = boss.get(self.url(audit, "?page=2"))
        assert len(second.context["rows"]) == 2 and "Page 2 of 2" in second.content.decode()

    def test_it_invites_to_give_evidence_when_there_is_none(self, staff, audit):
        html = staff.get(self.url(audit)).content.decode()
        assert "You have not submitted any evidence yet" in html
        assert reverse("self-assessment", args=[audit.slug]) in html


def test_delivery_evidence_reaches_gap_3_after_the_recompute(audit, celery_eager, django_capture_on_commit_callbacks):
    Audit.objects.filter(pk=audit.pk).update(recompute_queued=False)  # the fixture's recompute never ran
    QualityStandard.objects.create(audit=audit, item_code="ASS3", level=6)
    with django_capture_on_commit_callbacks(execute=True):
        inspection_submit(audit=audit, unit="hall-1", template="call-centre-call", failed_checks=["greeting"])
        self_assessment_submit(audit=audit, unit="hall-1", scores={"ASS3": 5})
    audit.refresh_from_db()
    item = audit.results.get(unit=None).payload["gap3"]["items"]["ASS3"]
    # observations 3.0 (inspection) and 5.0 (self-assessment): mean_d 4.0, gap 4.0 − 6 = −2.0
    assert audit.result_status == "fresh"
    assert (item["mean_d"], item["standard"], item["gap"], item["n"]) == (4.0, 6.0, -2.0, 2)
