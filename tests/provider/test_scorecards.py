"""Scorecard templates (METHOD.md §6): the conversion of failed checks into item scores,
the two shipped templates, template edits and deletion, and the /scorecards/ page."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import RoleAssignment
from provider.delivery import (
    scorecard_checks_validate,
    scorecard_scores,
    scorecard_template_delete,
    scorecard_template_save,
)
from provider.models import ScorecardCheck, ScorecardTemplate
from surveys.models import Unit
from surveys.services import ValidationFailed

CALL_CHECKS = [
    {"code": "greeting", "item_code": "ASS3", "deduction": 10},
    {"code": "closing", "item_code": "ASS3", "deduction": 5},
    {"code": "wording", "item_code": "ASS1", "deduction": 15},
]


class TestScorecardScores:
    def test_a_failed_greeting_gives_three_on_a_seven_point_scale(self):
        # ASS3: 10 of 15 points deducted → 1 + 6·(1 − 10/15) = 3.0; ASS1 untouched → 7.0
        assert scorecard_scores(CALL_CHECKS, {"greeting"}, 7) == {"ASS3": 3.0, "ASS1": 7.0}

    def test_nothing_failed_gives_the_top_of_the_scale(self):
        assert scorecard_scores(CALL_CHECKS, set(), 7) == {"ASS3": 7.0, "ASS1": 7.0}

    def test_everything_failed_gives_one(self):
        assert scorecard_scores(CALL_CHECKS, {"greeting", "closing", "wording"}, 7) == {"ASS3": 1.0, "ASS1": 1.0}

    def test_an_item_with_one_check_is_either_the_top_or_the_bottom(self):
        assert scorecard_scores(CALL_CHECKS, {"wording"}, 7)["ASS1"] == 1.0
        assert scorecard_scores(CALL_CHECKS, {"closing"}, 7)["ASS1"] == 7.0

    def test_the_closing_alone_deducts_a_third_of_the_item(self):
        # 5 of 15 deducted → 1 + 6·(10/15) = 5.0
        assert scorecard_scores(CALL_CHECKS, {"closing"}, 7)["ASS3"] == 5.0

    def test_the_scale_is_the_audits(self):
        # K = 5: 1 + 4·(5/15) = 7/3; K = 10: 1 + 9·(5/15) = 4.0
        assert scorecard_scores(CALL_CHECKS, {"greeting"}, 5)["ASS3"] == pytest.approx(7 / 3, abs=1e-12)
        assert scorecard_scores(CALL_CHECKS, {"greeting"}, 10)["ASS3"] == 4.0

    def test_items_come_in_the_order_of_their_first_check(self):
        assert list(scorecard_scores(CALL_CHECKS, set(), 7)) == ["ASS3", "ASS1"]

    def test_no_checks_give_no_scores(self):
        assert scorecard_scores([], set(), 7) == {}


@pytest.mark.django_db
class TestShippedTemplates:
    def test_the_call_centre_template_maps_each_check_to_its_item(self):
        template = ScorecardTemplate.objects.get(code="call-centre-call")
        checks = [(c.code, c.item_code, c.deduction) for c in template.checks.order_by("position")]
        assert checks == [
            ("greeting", "ASS3", 10), ("closing", "ASS3", 5), ("wording", "ASS1", 15), ("tone", "EMP3", 10),
            ("listening", "EMP5", 15), ("answer-time", "RES2", 10), ("right-first", "REL3", 20),
            ("callback", "REL1", 15),
        ]
        assert template.is_active
        assert template.name == {"en": "Call-centre call quality check", "zh-hans": "呼叫中心通话质检"}

    def test_the_service_hall_template_maps_each_check_to_its_item(self):
        template = ScorecardTemplate.objects.get(code="service-hall-visit")
        checks = {c.code: (c.item_code, c.deduction) for c in template.checks.all()}
        assert checks == {
            "greeting": ("ASS3", 10), "wait": ("RES2", 20), "clean": ("TAN2", 10), "uniform": ("TAN3", 10),
            "leaflets": ("TAN4", 5), "right-first": ("REL3", 20), "next-steps": ("RES1", 15),
            "queue-system": ("TAN1", 10),
        }

    def test_every_shipped_check_has_english_and_chinese_text(self):
        texts = ScorecardCheck.objects.filter(template__code__in=["call-centre-call", "service-hall-visit"])
        assert texts.count() == 16
        for check in texts:
            assert set(check.text) == {"en", "zh-hans"} and all(check.text.values())

    def test_each_shipped_template_deducts_100_points_in_all(self):
        for template in ScorecardTemplate.objects.filter(code__in=["call-centre-call", "service-hall-visit"]):
            assert sum(c.deduction for c in template.checks.all()) == 100


def check(code, item="ASS3", deduction=10, text=None):
    return {"code": code, "item": item, "deduction": deduction, "text": text or {"en": f"Check {code}"}}


@pytest.mark.django_db
class TestTemplateSave:
    def test_it_creates_a_template_with_its_checks_in_order(self):
        template = scorecard_template_save(code="kiosk", name={"en": "Kiosk"},
                                           checks=[check("b", "TAN1", 30), check("a", "REL3", 70)])
        assert [(c.code, c.item_code, c.deduction, c.position) for c in template.checks.order_by("position")] == [
            ("b", "TAN1", 30, 1), ("a", "REL3", 70, 2)]
        assert template.is_active and template.description == {}

    def test_it_replaces_the_checks_when_given(self):
        template = scorecard_template_save(code="kiosk", name={"en": "Kiosk"}, checks=[check("a")])
        scorecard_template_save(template=template, checks=[check("z", "EMP1", 40)])
        assert list(template.checks.values_list("code", "item_code", "deduction")) == [("z", "EMP1", 40)]

    def test_it_keeps_the_checks_when_only_the_name_changes(self):
        template = scorecard_template_save(code="kiosk", name={"en": "Kiosk"}, checks=[check("a")])
        scorecard_template_save(template=template, name={"en": "Kiosk v2"}, is_active=False)
        template.refresh_from_db()
        assert template.name == {"en": "Kiosk v2"} and not template.is_active
        assert list(template.checks.values_list("code", flat=True)) == ["a"]

    def test_it_rejects_bad_checks_by_field(self):
        errors = scorecard_checks_validate([
            check("a"), check("a"), check("b", item="no spaces"), check("c", deduction=0), check("d", deduction=101),
            check("e", deduction=True), check("f", text={"en": " "}), check("bad code"),
        ])
        assert errors == {
            "checks.1.code": ['check code "a" is used twice'],
            "checks.2.item": ["an item code: 1 to 32 letters, digits, '_' or '-'"],
            "checks.3.deduction": ["must be a whole number of points from 1 to 100"],
            "checks.4.deduction": ["must be a whole number of points from 1 to 100"],
            "checks.5.deduction": ["must be a whole number of points from 1 to 100"],
            "checks.6.text": ["must be an object of texts keyed by language code, with at least one text"],
            "checks.7.code": ["use 1 to 32 letters, digits, '_' or '-'"],
        }

    def test_it_rejects_a_template_without_checks_and_writes_nothing(self):
        with pytest.raises(ValidationFailed) as failed:
            scorecard_template_save(code="kiosk", name={"en": "Kiosk"}, checks=[])
        assert failed.value.errors == {"checks": ["must be a list of 1 to 100 checks"]}
        assert not ScorecardTemplate.objects.filter(code="kiosk").exists()

    def test_it_rejects_a_code_already_taken(self):
        with pytest.raises(ValidationFailed) as failed:
            scorecard_template_save(code="call-centre-call", name={"en": "Again"}, checks=[check("a")])
        assert failed.value.errors == {"code": ['a scorecard template "call-centre-call" already exists']}
        assert ScorecardTemplate.objects.get(code="call-centre-call").checks.count() == 8

    def test_a_template_no_inspection_used_can_be_deleted(self):
        template = scorecard_template_save(code="kiosk", name={"en": "Kiosk"}, checks=[check("a")])
        scorecard_template_delete(template=template)
        assert not ScorecardTemplate.objects.filter(code="kiosk").exists()
        assert not ScorecardCheck.objects.filter(template_id=template.pk).exists()


def inspector():
    """A frontline staff member (any role may read the scorecards)."""
    user = get_user_model().objects.create_user("inspector")
    RoleAssignment.objects.create(user=user, role="staff", unit=Unit.objects.create(code="hall", name="Hall"))
    return user


@pytest.mark.django_db
class TestScorecardPage:
    def test_it_lists_the_templates_with_their_checks_deductions_and_items(self, client):
        client.force_login(inspector())
        page = client.get(reverse("scorecard-list"))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Call-centre call quality check" in html and "Service-hall visit" in html
        assert "Opening greeting: uses the standard greeting and gives their own name." in html
        assert "<code>ASS3</code>" in html and "Staff are consistently courteous with you." in html
        assert html.count('<th class="num">100</th>') == 2  # each template's total deduction

    def test_it_shows_the_chinese_texts_in_chinese(self, client):
        client.force_login(inspector())
        html = client.get(reverse("scorecard-list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "呼叫中心通话质检" in html and "开场问候：使用标准问候语，并主动报出姓名或工号。" in html

    def test_it_needs_a_signed_in_user(self, client):
        page = client.get(reverse("scorecard-list"))
        assert page.status_code == 302 and "login" in page["Location"]

    def test_it_runs_a_fixed_number_of_queries(self, client, django_assert_max_num_queries):
        client.force_login(inspector())
        for n in range(5):
            scorecard_template_save(code=f"t{n}", name={"en": f"T{n}"}, checks=[check("a"), check("b")])
        with django_assert_max_num_queries(6):
            page = client.get(reverse("scorecard-list"))
        assert len(page.context["templates"]) == 7


@pytest.mark.django_db
class TestAdmin:
    @pytest.fixture
    def admin_client(self, client):
        client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
        return client

    @pytest.mark.parametrize("model", ["manageranswerset", "qualitystandard", "promise", "scorecardtemplate",
                                       "selfassessment", "inspection", "deliveryobservation"])
    def test_every_provider_model_has_a_list_page(self, admin_client, model):
        assert admin_client.get(reverse(f"admin:provider_{model}_changelist")).status_code == 200

    def test_a_template_is_edited_with_its_checks_inline(self, admin_client):
        template = ScorecardTemplate.objects.get(code="call-centre-call")
        page = admin_client.get(reverse("admin:provider_scorecardtemplate_change", args=[template.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert 'name="checks-TOTAL_FORMS" value="8"' in html and "listening" in html

    def test_evidence_cannot_be_added_in_the_admin(self, admin_client):
        assert admin_client.get(reverse("admin:provider_inspection_add")).status_code == 403
        assert admin_client.get(reverse("admin:provider_selfassessment_add")).status_code == 403
