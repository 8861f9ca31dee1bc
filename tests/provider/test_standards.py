"""Quality standards (gap 2): the services, coverage, unit overrides and the standards pages."""
# ruff: noqa: F811 (pytest fixtures imported from tests.provider._h2_setup are redefined as arguments)

from __future__ import annotations

import pytest
from django.db.models import F
from django.urls import reverse

from provider.beliefs import manager_answers_submit
from provider.models import QualityStandard
from provider.standards import standard_delete, standard_set, standard_update, standards_overview
from surveys.services import ValidationFailed
from tests.provider._h2_setup import (  # noqa: F401 (fixtures)
    ITEMS,
    admin,
    audit,
    manager,
    other_manager,
    stored,
    units,
    version,
)


def rows(audit) -> list[tuple]:
    return list(QualityStandard.objects.filter(audit=audit).order_by(
        "item_code", F("unit__code").asc(nulls_first=True)).values_list(
        "item_code", "unit__code", "level", "description"))


class TestServices:
    def test_setting_a_standard_twice_updates_the_one_row_of_the_item(self, audit):
        before = version(audit)
        standard, created = standard_set(audit=audit, item_code="RES2", unit=None, level=6,
                                         description="queue wait under 10 minutes")
        assert created is True
        again, created = standard_set(audit=audit, item_code="RES2", unit=None, level=5,
                                      description="  queue wait under 15 minutes ")
        assert created is False and again.pk == standard.pk
        assert rows(audit) == [("RES2", None, 5, "queue wait under 15 minutes")]
        assert version(audit) == before + 2

    def test_a_unit_override_is_a_row_of_its_own_and_is_updated_in_place(self, audit, units):
        standard_set(audit=audit, item_code="RES2", unit=None, level=6, description="under 10 minutes")
        override, created = standard_set(audit=audit, item_code="RES2", unit="N", level=4,
                                         description="under 20 minutes (one counter)")
        assert created is True
        same, created = standard_set(audit=audit, item_code="RES2", unit=units["N"], level=5, description="")
        assert created is False and same.pk == override.pk
        assert rows(audit) == [("RES2", None, 6, "under 10 minutes"), ("RES2", "N", 5, "")]

    @pytest.mark.parametrize("fields, field", [
        ({"level": 0}, "level"),
        ({"level": 8}, "level"),  # the audit's scale is 1..7
        ({"level": True}, "level"),
        ({"level": 5.5}, "level"),
        ({"item_code": "NOPE1"}, "item"),
        ({"item_code": ""}, "item"),
        ({"unit": "X"}, "unit"),
        ({"unit": "ZZ"}, "unit"),
        ({"description": "x" * 2001}, "description"),
    ])
    def test_it_rejects_bad_input_by_field_and_writes_nothing(self, audit, fields, field):
        before = version(audit)
        values = {"item_code": "REL1", "unit": None, "level": 6, "description": "", **fields}
        with pytest.raises(ValidationFailed) as failed:
            standard_set(audit=audit, **values)
        assert list(failed.value.errors) == [field]
        assert rows(audit) == []
        assert version(audit) == before

    def test_updating_moves_a_standard_but_not_onto_one_that_exists(self, audit):
        audit_level, _ = standard_set(audit=audit, item_code="REL1", unit=None, level=6)
        override, _ = standard_set(audit=audit, item_code="REL1", unit="S", level=5)
        with pytest.raises(ValidationFailed) as failed:
            standard_update(standard=override, unit=None)
        assert list(failed.value.errors) == ["item"]
        standard_update(standard=override, unit="H3", level=4, description="greet within 5 seconds")
        assert rows(audit) == [("REL1", None, 6, ""), ("REL1", "H3", 4, "greet within 5 seconds")]
        before = version(audit)
        standard_delete(standard=audit_level)
        assert rows(audit) == [("REL1", "H3", 4, "greet within 5 seconds")]
        assert version(audit) == before + 1


class TestCoverage:
    def test_it_counts_items_with_an_audit_standard_and_lists_the_others(self, audit):
        for code in ITEMS[:17]:
            standard_set(audit=audit, item_code=code, unit=None, level=6)
        standard_set(audit=audit, item_code=ITEMS[17], unit="N", level=5)  # an override alone
        overview = standards_overview(audit=audit)
        assert (overview["n_items"], overview["n_covered"], overview["n_overrides"]) == (22, 17, 1)
        assert [row.code for row in overview["missing"]] == ITEMS[17:]
        assert [o.unit.code for o in overview["missing"][0].overrides] == ["N"]
        assert [s["code"] for s in overview["sections"]] == ["tangibles", "reliability", "responsiveness",
                                                            "assurance", "empathy"]

    def test_gap_2_is_the_standard_minus_managers_belief_and_overrides_count_for_their_unit(
        self, audit, manager, other_manager, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            manager_answers_submit(audit=audit, manager=manager, unit="H1", answers={"REL1": 6})
            manager_answers_submit(audit=audit, manager=other_manager, unit="H3", answers={"REL1": 3})
            standard_set(audit=audit, item_code="REL1", unit=None, level=6)
            standard_set(audit=audit, item_code="REL1", unit="N", level=4)
        # Audit: S = 6, mean_m = (6 + 3) / 2 = 4.5 → 1.5. North: S = 4 (override), mean_m = 6 → −2.
        whole = stored(audit)["gap2"]["items"]["REL1"]
        assert (whole["standard"], whole["mean_m"], whole["gap"]) == (6.0, 4.5, 1.5)
        north = stored(audit, "N")["gap2"]["items"]["REL1"]
        assert (north["standard"], north["mean_m"], north["gap"]) == (4.0, 6.0, -2.0)
        hall = stored(audit, "H1")["gap2"]["items"]["REL1"]  # below North: North's override
        assert hall["standard"] == 4.0
        south = stored(audit, "S")["gap2"]["items"]["REL1"]  # no override: the audit's standard
        assert (south["standard"], south["gap"]) == (6.0, 3.0)
        assert stored(audit)["gap2"]["items"]["REL2"]["gap"] is None  # no standard: null, not zero
        row = next(r for s in standards_overview(audit=audit)["sections"] for r in s["rows"] if r.code == "REL1")
        assert (row.gap, row.mean_m) == (1.5, 4.5)


class TestPages:
    def url(self, audit, name="audit-standards", *args):
        return reverse(name, args=[audit.slug, *args])

    def test_anonymous_users_are_sent_to_sign_in(self, client, audit):
        for url in (self.url(audit), reverse("standard-edit", args=[audit.slug, 1])):
            page = client.get(url)
            assert page.status_code == 302 and "next=" in page["Location"]

    def test_it_shows_coverage_and_every_item(self, client, audit, manager):
        for code in ITEMS[:17]:
            standard_set(audit=audit, item_code=code, unit=None, level=6, description=f"rule for {code}")
        standard_set(audit=audit, item_code="TAN1", unit="H1", level=5, description="older hall")
        client.force_login(manager)
        page = client.get(self.url(audit))
        assert page.status_code == 200
        html = page.content.decode()
        assert "17 of 22 items have a standard" in html
        assert "5 items without a standard" in html
        assert all(f'id="standard-{code}"' in html for code in ITEMS)
        assert 'id="standard-TAN1-H1"' in html and "older hall" in html

    def test_adding_a_standard_through_the_form(self, client, audit, admin):
        client.force_login(admin)
        page = client.post(self.url(audit), {"item": "RES2", "unit": "", "level": "6",
                                             "description": "queue wait under 10 minutes"})
        assert page.status_code == 302
        page = client.post(self.url(audit), {"item": "RES2", "unit": "N", "level": "4", "description": ""})
        assert page.status_code == 302
        assert rows(audit) == [("RES2", None, 6, "queue wait under 10 minutes"), ("RES2", "N", 4, "")]

    @pytest.mark.parametrize("data, field", [
        ({"item": "RES2", "unit": "", "level": "9"}, "level"),
        ({"item": "RES2", "unit": "", "level": ""}, "level"),
        ({"item": "NOPE", "unit": "", "level": "5"}, "item"),
        ({"item": "RES2", "unit": "X", "level": "5"}, "unit"),
        ({"item": "RES2", "unit": "", "level": "5", "description": "x" * 2001}, "description"),
    ])
    def test_a_bad_form_comes_back_with_inline_errors_and_writes_nothing(self, client, audit, admin, data, field):
        client.force_login(admin)
        before = version(audit)
        page = client.post(self.url(audit), data)
        assert page.status_code == 200
        assert list(page.context["form"].errors) == [field]
        assert f'id="id_{field}_errors"' in page.content.decode()
        assert rows(audit) == [] and version(audit) == before

    def test_editing_and_deleting_a_standard(self, client, audit, admin):
        standard, _ = standard_set(audit=audit, item_code="REL1", unit=None, level=6)
        client.force_login(admin)
        edit = reverse("standard-edit", args=[audit.slug, standard.pk])
        page = client.get(edit)
        assert page.status_code == 200 and page.context["form"].initial["level"] == 6
        assert client.post(edit, {"item": "REL1", "unit": "S", "level": "3", "description": "d"}).status_code == 302
        assert rows(audit) == [("REL1", "S", 3, "d")]
        bad = client.post(edit, {"item": "REL1", "unit": "S", "level": "0"})
        assert bad.status_code == 200 and "level" in bad.context["form"].errors
        delete = reverse("standard-delete", args=[audit.slug, standard.pk])
        assert client.get(delete).status_code == 405
        assert client.post(delete).status_code == 302
        assert rows(audit) == []
        assert client.get(edit).status_code == 404
