"""Manager beliefs (gap 1): the service, the manager survey page and the beliefs page."""
# ruff: noqa: F811 (pytest fixtures imported from tests.provider._h2_setup are redefined as arguments)

from __future__ import annotations

import pytest
from django.urls import reverse

from provider.beliefs import beliefs_overview, manager_answers_submit, manager_importance
from provider.models import ManagerAnswerSet
from surveys.models import Audit
from surveys.services import ValidationFailed
from tests.provider._h2_setup import (  # noqa: F401 (fixtures)
    DIMENSIONS,
    ITEMS,
    audit,
    customer,
    manager,
    other_manager,
    stored,
    units,
    version,
)

SPLIT_A = {"tangibles": 10, "reliability": 30, "responsiveness": 20, "assurance": 20, "empathy": 20}
SPLIT_B = {"tangibles": 30, "reliability": 30, "responsiveness": 10, "assurance": 10, "empathy": 20}


def close(audit: Audit) -> None:
    Audit.objects.filter(pk=audit.pk).update(is_open=False)
    audit.refresh_from_db()


# ------------------------------------------------------------------ service
class TestSubmit:
    def test_it_stores_every_item_of_the_audit_and_the_importance_split(self, audit, manager):
        before = version(audit)
        answer_set, created = manager_answers_submit(
            audit=audit, manager=manager, unit="H1", answers={"REL1": 6, "REL2": None, "TAN1": 3},
            importance=SPLIT_A,
        )
        assert created is True
        answer_set.refresh_from_db()
        assert answer_set.unit.code == "H1"
        assert sorted(answer_set.answers) == sorted(ITEMS)
        assert {c: v for c, v in answer_set.answers.items() if v is not None} == {"TAN1": 3, "REL1": 6}
        assert answer_set.importance == SPLIT_A
        assert version(audit) == before + 1

    def test_submitting_again_replaces_the_managers_one_set(self, audit, manager):
        manager_answers_submit(audit=audit, manager=manager, unit="H1", answers={"TAN1": 3}, importance=SPLIT_A)
        answer_set, created = manager_answers_submit(audit=audit, manager=manager, unit="N",
                                                     answers={"REL1": 7}, importance=None)
        assert created is False
        assert ManagerAnswerSet.objects.count() == 1
        answer_set.refresh_from_db()
        assert answer_set.unit.code == "N"
        assert answer_set.answers["REL1"] == 7 and answer_set.answers["TAN1"] is None
        assert answer_set.importance is None

    def test_each_manager_has_a_set_of_their_own(self, audit, manager, other_manager):
        manager_answers_submit(audit=audit, manager=manager, unit="H1", answers={"REL1": 6})
        manager_answers_submit(audit=audit, manager=other_manager, unit="H3", answers={"REL1": 3})
        rows = ManagerAnswerSet.objects.order_by("manager__username").values_list(
            "manager__username", "unit__code", "answers__REL1")
        assert list(rows) == [("mia", "H1", 6), ("omar", "H3", 3)]

    def test_it_refuses_answers_once_the_audit_is_closed(self, audit, manager):
        manager_answers_submit(audit=audit, manager=manager, unit="H1", answers={"REL1": 6})
        close(audit)
        before = version(audit)
        with pytest.raises(ValidationFailed) as failed:
            manager_answers_submit(audit=audit, manager=manager, unit="H1", answers={"REL1": 2})
        assert set(failed.value.errors) == {"audit"}
        assert ManagerAnswerSet.objects.get().answers["REL1"] == 6
        assert version(audit) == before

    @pytest.mark.parametrize("unit, answers, importance, field", [
        ("H1", {"REL1": 8}, None, "answers.REL1"),
        ("H1", {"REL1": 0}, None, "answers.REL1"),
        ("H1", {"REL1": 2.5}, None, "answers.REL1"),
        ("H1", {"REL1": "7"}, None, "answers.REL1"),
        ("H1", {"REL1": True}, None, "answers.REL1"),
        ("H1", {"NOPE1": 3}, None, "answers.NOPE1"),
        ("H1", ["REL1"], None, "answers"),
        ("X", {"REL1": 3}, None, "unit"),
        ("ZZ", {"REL1": 3}, None, "unit"),
        ("", {"REL1": 3}, None, "unit"),
        ("H1", {}, {d: 19 for d in DIMENSIONS}, "importance"),
        ("H1", {}, {"tangibles": 100}, "importance"),
        ("H1", {}, {**SPLIT_A, "tangibles": -10, "reliability": 50}, "importance.tangibles"),
        ("H1", {}, {**SPLIT_A, "speed": 0}, "importance.speed"),
    ])
    def test_it_rejects_bad_input_by_field_and_writes_nothing(self, audit, manager, unit, answers, importance,
                                                              field):
        before = version(audit)
        with pytest.raises(ValidationFailed) as failed:
            manager_answers_submit(audit=audit, manager=manager, unit=unit, answers=answers, importance=importance)
        assert list(failed.value.errors) == [field]
        assert ManagerAnswerSet.objects.count() == 0
        assert version(audit) == before

    def test_the_region_above_the_audits_units_is_not_a_managers_unit(self, units, manager, audit):
        from surveys.services import audit_update

        audit_update(audit=audit, units=[units["N"]])
        with pytest.raises(ValidationFailed) as failed:
            manager_answers_submit(audit=audit, manager=manager, unit="C", answers={"REL1": 3})
        assert list(failed.value.errors) == ["unit"]
        answer_set, _ = manager_answers_submit(audit=audit, manager=manager, unit="H2", answers={"REL1": 3})
        assert answer_set.unit.code == "H2"


class TestReads:
    def test_managers_importance_is_the_mean_split_over_the_sets_that_gave_one(self, audit, manager,
                                                                                 other_manager, units):
        from django.contrib.auth import get_user_model

        third = get_user_model().objects.create_user(username="tao")
        manager_answers_submit(audit=audit, manager=manager, unit="H1", answers={}, importance=SPLIT_A)
        manager_answers_submit(audit=audit, manager=other_manager, unit="H3", answers={}, importance=SPLIT_B)
        manager_answers_submit(audit=audit, manager=third, unit="H2", answers={"REL1": 5}, importance=None)
        means, n = manager_importance(audit=audit)
        assert n == 2
        assert means == {"tangibles": 20.0, "reliability": 30.0, "responsiveness": 15.0, "assurance": 15.0,
                         "empathy": 20.0}
        north = [units["N"].pk, units["H1"].pk, units["H2"].pk]
        assert manager_importance(audit=audit, unit_ids=north) == (SPLIT_A, 1)
        assert manager_importance(audit=audit, unit_ids=[units["X"].pk]) == (dict.fromkeys(DIMENSIONS), 0)

    def test_a_manager_answer_changes_gap_1_in_the_stored_result(self, audit, manager, other_manager,
                                                                 django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            customer(audit, "H1", REL1=7)
            customer(audit, "H3", REL1=5)
        assert stored(audit)["gap1"]["items"]["REL1"]["mean_m"] is None
        before = version(audit)
        with django_capture_on_commit_callbacks(execute=True):
            manager_answers_submit(audit=audit, manager=manager, unit="H1", answers={"REL1": 6})
            manager_answers_submit(audit=audit, manager=other_manager, unit="H3", answers={"REL1": 3})
        assert version(audit) == before + 2
        result = stored(audit)
        assert result["status"] == "fresh"
        rel1 = result["gap1"]["items"]["REL1"]
        # mean_m = (6 + 3) / 2 = 4.5; mean_e = (7 + 5) / 2 = 6; gap = 4.5 − 6 = −1.5
        assert (rel1["mean_m"], rel1["mean_e"], rel1["gap"]) == (4.5, 6.0, -1.5)
        assert (rel1["n_managers"], rel1["n_customers"]) == (2, 2)
        # Hall 1 alone: one manager (6) and one customer (7).
        hall = stored(audit, "H1")["gap1"]["items"]["REL1"]
        assert (hall["mean_m"], hall["mean_e"], hall["gap"], hall["n_managers"]) == (6.0, 7.0, -1.0, 1)

    def test_the_overview_sets_managers_split_beside_customers_importance(
        self, audit, manager, other_manager, django_capture_on_commit_callbacks
    ):
        import uuid

        from surveys.services import response_submit

        with django_capture_on_commit_callbacks(execute=True):
            response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code="H1",
                            answers={"REL1": {"expectation": 7, "perception": 5}},
                            importance={"tangibles": 10, "reliability": 50, "responsiveness": 10,
                                        "assurance": 10, "empathy": 20})
            manager_answers_submit(audit=audit, manager=manager, unit="H1", answers={"REL1": 6},
                                   importance=SPLIT_A)
            manager_answers_submit(audit=audit, manager=other_manager, unit="H3", answers={}, importance=SPLIT_B)
        overview = beliefs_overview(audit=audit)
        rows = {r["code"]: (r["managers"], r["customers"], r["difference"]) for r in overview["dimensions"]}
        assert rows["reliability"] == (30.0, 50.0, -20.0)
        assert rows["tangibles"] == (20.0, 10.0, 10.0)
        assert (overview["n_sets"], overview["n_splits"]) == (2, 2)
        assert overview["items"]["REL1"]["mean_m"] == 6.0


# ------------------------------------------------------------------ manager survey page
def survey_post(unit: str = "H1", **extra) -> dict:
    data = {"unit": unit}
    data.update(extra)
    return data


class TestManagerSurveyPage:
    def test_anonymous_users_are_sent_to_sign_in(self, client, audit):
        page = client.get(reverse("manager-survey", args=[audit.slug]))
        assert page.status_code == 302 and "next=" in page["Location"]

    def test_it_shows_every_item_grouped_by_dimension_and_the_audits_units(self, client, audit, manager):
        client.force_login(manager)
        page = client.get(reverse("manager-survey", args=[audit.slug]))
        assert page.status_code == 200
        html = page.content.decode()
        assert all(f'name="M_{code}"' in html for code in ITEMS)
        assert all(f'id="dimension-{d}"' in html for d in DIMENSIONS)
        units = [code for code, _label in page.context["form"].fields["unit"].choices if code]
        assert units == ["C", "N", "H1", "H2", "S", "H3"]

    def test_unknown_audit_is_404(self, client, manager, db):
        client.force_login(manager)
        assert client.get(reverse("manager-survey", args=["nope"])).status_code == 404

    def test_saving_stores_the_set_and_the_page_shows_it_again(self, client, audit, manager):
        client.force_login(manager)
        url = reverse("manager-survey", args=[audit.slug])
        points = {f"W_{d}": str(p) for d, p in SPLIT_A.items()}
        page = client.post(url, survey_post(M_REL1="6", M_TAN2="2", M_EMP5="", **points))
        assert page.status_code == 302
        answer_set = ManagerAnswerSet.objects.get()
        assert (answer_set.answers["REL1"], answer_set.answers["TAN2"], answer_set.answers["EMP5"]) == (6, 2, None)
        assert answer_set.importance == SPLIT_A
        html = client.get(url).content.decode()
        assert 'name="M_REL1" value="6" checked' in html
        assert 'name="M_TAN2" value="2" checked' in html
        assert 'value="30" min="0"' in html  # reliability's points
        # Saving again updates the one set.
        client.post(url, survey_post(unit="H2", M_REL1="3"))
        assert ManagerAnswerSet.objects.count() == 1
        answer_set.refresh_from_db()
        assert (answer_set.unit.code, answer_set.answers["REL1"], answer_set.answers["TAN2"]) == ("H2", 3, None)
        assert answer_set.importance is None

    @pytest.mark.parametrize("data, field", [
        (survey_post(M_REL1="9"), "M_REL1"),
        (survey_post(unit="X", M_REL1="3"), "unit"),
        (survey_post(unit="", M_REL1="3"), "unit"),
        (survey_post(M_REL1="3", W_tangibles="50", W_reliability="40"), None),
        (survey_post(M_REL1="3", **{f"W_{d}": "18" for d in DIMENSIONS}), None),
        (survey_post(M_REL1="3", W_tangibles="-5"), "W_tangibles"),
    ])
    def test_bad_answers_come_back_with_inline_errors_and_nothing_is_stored(self, client, audit, manager, data,
                                                                           field):
        client.force_login(manager)
        before = version(audit)
        page = client.post(reverse("manager-survey", args=[audit.slug]), data)
        assert page.status_code == 200
        form = page.context["form"]
        assert (field in form.errors) if field else form.importance_errors
        assert 'class="errorlist' in page.content.decode()
        assert ManagerAnswerSet.objects.count() == 0
        assert version(audit) == before

    def test_a_closed_audit_shows_the_stored_answers_read_only_and_refuses_a_post(self, client, audit, manager):
        manager_answers_submit(audit=audit, manager=manager, unit="H1", answers={"REL1": 6})
        close(audit)
        client.force_login(manager)
        url = reverse("manager-survey", args=[audit.slug])
        page = client.get(url)
        html = page.content.decode()
        assert page.status_code == 200
        assert 'id="survey-closed"' in html and "can no longer change" in html
        assert 'name="M_REL1" value="6" checked' in html
        assert "disabled" in html and 'type="submit" class="submit"' not in html
        before = version(audit)
        refused = client.post(url, survey_post(M_REL1="2"))
        assert refused.status_code == 409
        assert ManagerAnswerSet.objects.get().answers["REL1"] == 6
        assert version(audit) == before


# ------------------------------------------------------------------ beliefs page
class TestBeliefsPage:
    def test_anonymous_users_are_sent_to_sign_in(self, client, audit):
        page = client.get(reverse("audit-beliefs", args=[audit.slug]))
        assert page.status_code == 302 and "next=" in page["Location"]

    def test_it_shows_managers_belief_beside_customers_expectation(
        self, client, audit, manager, other_manager, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            customer(audit, "H1", REL1=7)
            customer(audit, "H3", REL1=5)
            manager_answers_submit(audit=audit, manager=manager, unit="H1", answers={"REL1": 6}, importance=SPLIT_A)
            manager_answers_submit(audit=audit, manager=other_manager, unit="H3", answers={"REL1": 3},
                                   importance=SPLIT_B)
        client.force_login(manager)
        page = client.get(reverse("audit-beliefs", args=[audit.slug]))
        assert page.status_code == 200
        rel1 = next(r for s in page.context["sections"] for r in s["rows"] if r["code"] == "REL1")
        assert (rel1["mean_m"], rel1["mean_e"], rel1["gap"], rel1["n_managers"], rel1["n_customers"]) == \
            ("4.50", "6.00", "-1.50", 2, 2)
        importance = {r["code"]: r["managers"] for r in page.context["importance_rows"]}
        assert importance == {"tangibles": "20.0", "reliability": "30.0", "responsiveness": "15.0",
                              "assurance": "15.0", "empathy": "20.0"}
        html = page.content.decode()
        assert 'id="chart-beliefs-items"' in html and 'id="chart-beliefs-importance"' in html
        assert 'src="/static/vendor/plotly.min.js"' in html

    def test_it_filters_by_unit(self, client, audit, manager, other_manager, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            manager_answers_submit(audit=audit, manager=manager, unit="H1", answers={"REL1": 6}, importance=SPLIT_A)
            manager_answers_submit(audit=audit, manager=other_manager, unit="H3", answers={"REL1": 3})
        client.force_login(manager)
        page = client.get(reverse("audit-beliefs", args=[audit.slug]), {"unit": "S"})
        assert page.status_code == 200
        assert page.context["overview"]["n_sets"] == 1
        rel1 = next(r for s in page.context["sections"] for r in s["rows"] if r["code"] == "REL1")
        assert rel1["mean_m"] == "3.00"

    def test_an_unknown_unit_is_a_400_with_a_message(self, client, audit, manager):
        client.force_login(manager)
        page = client.get(reverse("audit-beliefs", args=[audit.slug]), {"unit": "X"})
        assert page.status_code == 400
        assert 'id="beliefs-error"' in page.content.decode()

    def test_with_no_answers_it_says_so_and_draws_no_chart(self, client, audit, manager):
        client.force_login(manager)
        page = client.get(reverse("audit-beliefs", args=[audit.slug]))
        html = page.content.decode()
        assert page.status_code == 200
        assert 'id="beliefs-empty"' in html and "plotly.min.js" not in html
