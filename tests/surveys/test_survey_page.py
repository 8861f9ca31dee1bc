"""The public customer survey page /s/<signed token>/ (METHOD.md §1, §3; links: tests/surveys/test_links.py)."""

import uuid

import pytest
from django.urls import reverse

from surveys.links import link_issue, link_path
from surveys.models import Instrument, Response, Unit
from surveys.selectors import audit_layout
from surveys.services import audit_create

pytestmark = pytest.mark.django_db

DIMENSIONS = {
    "tangibles": ["TAN1", "TAN2", "TAN3", "TAN4"],
    "reliability": ["REL1", "REL2", "REL3", "REL4", "REL5"],
    "responsiveness": ["RES1", "RES2", "RES3", "RES4"],
    "assurance": ["ASS1", "ASS2", "ASS3", "ASS4"],
    "empathy": ["EMP1", "EMP2", "EMP3", "EMP4", "EMP5"],
}
ITEMS = [code for codes in DIMENSIONS.values() for code in codes]


@pytest.fixture
def hall():
    chain = Unit.objects.create(code="chain", name="Chain")
    return Unit.objects.create(code="hall-1", name="Hall 1", parent=chain)


@pytest.fixture
def audit(hall):
    return audit_create(slug="spring", title="Spring audit", units=[hall.parent],
                        instrument=Instrument.objects.get(code="servqual"))


@pytest.fixture
def three_column_audit(hall):
    return audit_create(slug="zone", title="Zone audit", units=[hall], format="three_column", scale=9,
                        instrument=Instrument.objects.get(code="servqual"))


def url(audit, unit="hall-1"):
    """The signed survey link of the audit and unit (the unit is created when missing)."""
    unit = Unit.objects.filter(code=unit).first() or Unit.objects.create(code=unit, name=unit)
    return link_path(link_issue(audit=audit, unit=unit))


def form_data(columns="EP", submission_id=None, importance=None, **answers):
    """A POST as the browser sends it: every radio row, unanswered ones as "No opinion"."""
    data = {"submission_id": str(submission_id or uuid.uuid4())}
    for item in ITEMS:
        for column in columns:
            data[f"{column}_{item}"] = ""
    data.update({k: str(v) for k, v in answers.items()})
    for dimension in DIMENSIONS:
        data[f"W_{dimension}"] = "" if importance is None else str(importance[dimension])
    return data


class TestSurveyPage:
    def test_it_shows_every_item_and_the_importance_inputs_in_english(self, client, audit):
        page = client.get(url(audit))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Spring audit" in html
        assert "The service provider has modern-looking equipment." in html
        for item in ITEMS:
            for column in "EP":
                assert html.count(f'name="{column}_{item}"') == 8  # 1..7 and "No opinion"
            assert f'name="A_{item}"' not in html
        for dimension in DIMENSIONS:
            assert f'name="W_{dimension}"' in html
        assert 'name="submission_id"' in html
        assert "Total:" in html and 'id="importance-total">0<' in html
        assert 'action="/i18n/setlang/"' in html  # the language switcher

    def test_it_speaks_the_respondents_language(self, client, audit):
        client.cookies["django_language"] = "zh-hans"
        html = client.get(url(audit)).content.decode()
        assert "该服务机构拥有现代化的设备。" in html
        assert "有形性" in html
        assert "The service provider has modern-looking equipment." not in html

    def test_it_follows_accept_language(self, client, audit):
        html = client.get(url(audit), headers={"accept-language": "zh-CN,zh;q=0.9"}).content.decode()
        assert "该服务机构拥有现代化的设备。" in html

    def test_a_three_column_audit_asks_three_ratings_on_its_scale(self, client, three_column_audit):
        html = client.get(url(three_column_audit)).content.decode()
        for column in "AEP":
            assert html.count(f'name="{column}_REL1"') == 10  # 1..9 and "No opinion"
        assert "Minimum acceptable" in html and "Desired" in html

    def test_it_needs_no_login(self, client, audit):
        assert client.get(url(audit)).status_code == 200


class TestSubmitting:
    def test_a_valid_answer_is_stored_once_and_thanks_the_customer(self, client, audit):
        points = {"tangibles": 10, "reliability": 30, "responsiveness": 20, "assurance": 20, "empathy": 20}
        page = client.post(url(audit), form_data(E_REL1=7, P_REL1=5, P_TAN2=3, importance=points))
        assert page.status_code == 302
        assert page.url == url(audit) + "thanks/"
        response = Response.objects.get()
        assert response.unit.code == "hall-1"
        layout = audit_layout(audit=audit)
        answers = layout.unpack_answers(response.answers)
        assert answers["REL1"] == {"expectation": 7, "perception": 5}
        assert answers["TAN2"] == {"expectation": None, "perception": 3}
        assert answers["EMP5"] == {"expectation": None, "perception": None}
        assert layout.unpack_importance(response.importance) == points
        assert "Thank you" in client.get(page.url).content.decode()

    def test_all_importance_boxes_empty_means_no_importance(self, client, audit):
        client.post(url(audit), form_data(E_REL1=4))
        assert Response.objects.get().importance is None

    def test_the_same_form_sent_twice_stores_one_response(self, client, audit):
        data = form_data(E_REL1=6, P_REL1=6)
        first, second = client.post(url(audit), data), client.post(url(audit), data)
        assert first.status_code == second.status_code == 302
        assert Response.objects.count() == 1

    def test_a_three_column_answer_stores_the_desired_level_as_expectation(self, client, three_column_audit):
        client.post(url(three_column_audit), form_data("AEP", A_REL1=3, E_REL1=8, P_REL1=9))
        answers = audit_layout(audit=three_column_audit).unpack_answers(Response.objects.get().answers)
        assert answers["REL1"] == {"expectation": 8, "perception": 9, "adequate": 3}


class TestRejecting:
    def test_an_answer_outside_the_scale_is_shown_beside_its_item(self, client, audit):
        data = form_data(E_REL1=9, P_REL1=5, E_TAN1=2)
        page = client.post(url(audit), data)
        assert page.status_code == 200
        assert page.context["form"].errors["E_REL1"] == ["Choose a number from 1 to 7, or “No opinion”."]
        html = page.content.decode()
        assert 'class="item has-error" id="item-REL1"' in html
        # The other answers are kept, and the same submission id is sent again.
        assert 'name="P_REL1" value="5" checked' in html and 'name="E_TAN1" value="2" checked' in html
        assert f'value="{data["submission_id"]}"' in html
        assert not Response.objects.exists()

    def test_importance_must_add_up_to_100(self, client, audit):
        points = {"tangibles": 10, "reliability": 20, "responsiveness": 20, "assurance": 20, "empathy": 20}
        page = client.post(url(audit), form_data(E_REL1=4, importance=points))
        assert page.status_code == 200
        html = page.content.decode()
        assert "Points must add up to exactly 100 (they add up to 90)." in html
        assert 'class="points-total off"' in html and 'id="importance-total">90<' in html
        assert 'name="W_tangibles" value="10"' in html
        assert not Response.objects.exists()

    def test_a_partial_importance_split_is_rejected(self, client, audit):
        data = form_data(E_REL1=4)
        data["W_tangibles"] = "100"
        assert client.post(url(audit), data).status_code == 200
        assert not Response.objects.exists()

    def test_a_non_numeric_answer_is_rejected(self, client, audit):
        page = client.post(url(audit), form_data(P_EMP1="seven"))
        assert "E_EMP1" not in page.context["form"].errors and "P_EMP1" in page.context["form"].errors
        assert not Response.objects.exists()

    def test_a_unit_outside_the_audit_gets_a_friendly_404(self, client, audit):
        Unit.objects.create(code="elsewhere", name="Elsewhere")
        page = client.get(url(audit, "elsewhere"))
        assert page.status_code == 404
        assert "We could not find this survey" in page.content.decode()

    def test_posting_for_a_unit_outside_the_audit_shows_the_error_and_writes_nothing(self, client, audit):
        page = client.post(url(audit, "nowhere"), form_data(E_REL1=4))  # a link issued, then the unit left
        assert page.status_code == 200
        assert "This survey link does not belong to a unit of this audit." in page.content.decode()
        assert not Response.objects.exists()

    def test_the_unsigned_links_of_old_get_a_clear_404(self, client, audit):
        for path in ("/s/spring/hall-1/", "/s/spring/hall-1/thanks/", "/s/nope/hall-1/"):
            page = client.get(path)
            assert page.status_code == 404, path
            assert "This survey link is not valid" in page.content.decode()
        assert reverse("survey", args=["x"]) == "/s/x/"

    def test_a_closed_audit_answers_410_and_stores_nothing(self, client, audit):
        audit.is_open = False
        audit.save()
        page = client.get(url(audit))
        assert page.status_code == 410
        assert "This survey is closed" in page.content.decode()
        assert client.post(url(audit), form_data(E_REL1=4)).status_code == 410
        assert not Response.objects.exists()
