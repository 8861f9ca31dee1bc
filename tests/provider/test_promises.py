"""The promise register (gap 4): services, evidence, ordering and the promise pages."""
# ruff: noqa: F811 (pytest fixtures imported from tests.provider._h2_setup are redefined as arguments)

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from provider.models import Promise
from provider.promises import promise_create, promise_delete, promise_register, promise_update
from surveys.services import ValidationFailed
from tests.provider._h2_setup import (  # noqa: F401 (fixtures)
    admin,
    audit,
    manager,
    observe,
    stored,
    units,
    version,
)

INSPECTION = "inspection"


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-12)


@pytest.fixture
def register(audit, units) -> dict[str, Promise]:
    """Six promises and the delivery observations of their items, by hand:

    REL1: H1 4, 5 (self) and H3 5 (inspection)       → chain-wide mean 14/3
    RES2: H1 5, 4 (self), H2 6.5 (inspection), H3 1  → North mean 15.5/3, chain 16.5/4
    TAN1: H3 4, 5                                    → South mean 4.5
    ASS1: H1 5 and 5 − 2e-12                         → mean 5 − 1e-12 (equal to 5 within 1e-9)
    EMP2: none
    """
    observe(audit, units["H1"], "REL1", 4, 5)
    observe(audit, units["H3"], "REL1", 5, source=INSPECTION)
    observe(audit, units["H1"], "RES2", 5, 4)
    observe(audit, units["H2"], "RES2", 6.5, source=INSPECTION)
    observe(audit, units["H3"], "RES2", 1)
    observe(audit, units["H3"], "TAN1", 4, 5)
    observe(audit, units["H1"], "ASS1", 5, 5 - 2e-12)

    def make(item, level, unit=None, **extra):
        return promise_create(audit=audit, item_code=item, level=level, unit=unit,
                              text=f"We promise {item} at {level}", **extra)

    return {
        "rel1_chain": make("REL1", 6),  # 14/3 < 6: unmet by 4/3
        "res2_north": make("RES2", 5, "N", channel="website"),  # 15.5/3 ≥ 5: met
        "tan1_south": make("TAN1", 7, "S", channel="leaflet"),  # 4.5 < 7: unmet by 2.5
        "emp2_chain": make("EMP2", 3),  # no observations
        "rel1_hall2": make("REL1", 2, "H2"),  # no observations in Hall 2
        "ass1_chain": make("ASS1", 5, valid_to=dt.date(2024, 12, 31)),  # met within 1e-9
    }


class TestRegister:
    def test_unmet_promises_come_first_by_shortfall_then_those_without_evidence_then_met_ones(self, register):
        order = [row.promise.pk for row in promise_register(audit=register["rel1_chain"].audit)]
        names = {p.pk: name for name, p in register.items()}
        assert [names[pk] for pk in order] == [
            "tan1_south", "rel1_chain",  # shortfalls 2.5, then 4/3
            "rel1_hall2", "emp2_chain",  # no evidence, in instrument order (REL1 before EMP2)
            "res2_north", "ass1_chain",  # met, in instrument order (RES2 before ASS1)
        ]

    def test_evidence_is_over_the_promises_scope_with_counts_by_source(self, register):
        rows = {row.promise.pk: row for row in promise_register(audit=register["rel1_chain"].audit)}
        rel1 = rows[register["rel1_chain"].pk].evidence
        assert (rel1.n, rel1.n_self_assessment, rel1.n_inspection) == (3, 2, 1)
        assert rel1.mean_d == approx(14 / 3) and rel1.shortfall == approx(6 - 14 / 3)
        assert rel1.met is False and rel1.status == "unmet"
        north = rows[register["res2_north"].pk].evidence
        assert (north.n, north.n_self_assessment, north.n_inspection) == (3, 2, 1)
        assert north.mean_d == approx(15.5 / 3) and north.met is True  # Hall 3's 1 is outside North
        south = rows[register["tan1_south"].pk].evidence
        assert (south.n, south.mean_d, south.shortfall) == (2, 4.5, 2.5)
        for name in ("emp2_chain", "rel1_hall2"):
            evidence = rows[register[name].pk].evidence
            assert (evidence.n, evidence.mean_d, evidence.met, evidence.status) == (0, None, None, "no_evidence")
        ass1 = rows[register["ass1_chain"].pk]
        assert ass1.evidence.mean_d == approx(5 - 1e-12) and ass1.evidence.met is True
        assert ass1.in_period is False and rows[register["rel1_chain"].pk].in_period is True

    def test_the_register_reads_its_evidence_in_one_aggregate_query(self, register, audit,
                                                                    django_assert_num_queries):
        for i in range(10):
            promise_create(audit=audit, item_code="RES2", level=1 + i % 7, unit=["H1", "H2", "N", None][i % 4],
                           text=f"promise {i}")
        # The promises, the observations aggregated by item, unit and source, and the unit tree.
        with django_assert_num_queries(3):
            rows = promise_register(audit=audit)
        assert len(rows) == 16

    def test_the_stored_gap_4_takes_the_highest_promise_of_the_item(self, audit, units,
                                                                     django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            observe(audit, units["H1"], "REL1", 4, 5)
            promise_create(audit=audit, item_code="REL1", level=6, text="on time, every time")
            promise_create(audit=audit, item_code="REL1", level=7, text="never late", channel="poster")
        gap4 = stored(audit)["gap4"]["items"]["REL1"]
        # C = max(6, 7) = 7; mean_d = (4 + 5) / 2 = 4.5; gap = 4.5 − 7
        assert (gap4["promised"], gap4["mean_d"], gap4["gap"], gap4["n"]) == (7.0, 4.5, -2.5, 2)


class TestServices:
    def test_every_write_marks_the_audit_stale(self, audit):
        before = version(audit)
        promise = promise_create(audit=audit, item_code="RES2", level=6, text=" Served within 5 minutes ",
                                 channel="poster", valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 6, 30))
        assert (promise.text, promise.unit, promise.channel) == ("Served within 5 minutes", None, "poster")
        promise_update(promise=promise, unit="N", level=5)
        promise.refresh_from_db()
        assert (promise.unit.code, promise.level, promise.text) == ("N", 5, "Served within 5 minutes")
        promise_delete(promise=promise)
        assert Promise.objects.count() == 0
        assert version(audit) == before + 3

    @pytest.mark.parametrize("fields, field", [
        ({"level": 0}, "level"),
        ({"level": 8}, "level"),
        ({"level": "5"}, "level"),
        ({"item_code": "NOPE1"}, "item"),
        ({"unit": "X"}, "unit"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"channel": "billboard"}, "channel"),
        ({"valid_from": dt.date(2025, 2, 1), "valid_to": dt.date(2025, 1, 31)}, "valid_to"),
        ({"valid_from": "2025-01-01"}, "valid_from"),
    ])
    def test_it_rejects_bad_input_by_field_and_writes_nothing(self, audit, fields, field):
        before = version(audit)
        values = {"item_code": "RES2", "level": 5, "text": "Served within 5 minutes", **fields}
        with pytest.raises(ValidationFailed) as failed:
            promise_create(audit=audit, **values)
        assert list(failed.value.errors) == [field]
        assert Promise.objects.count() == 0 and version(audit) == before

    def test_a_bad_update_changes_nothing(self, audit):
        promise = promise_create(audit=audit, item_code="RES2", level=5, text="fast")
        with pytest.raises(ValidationFailed):
            promise_update(promise=promise, level=5, valid_from=dt.date(2025, 3, 1), valid_to=dt.date(2025, 2, 1))
        promise.refresh_from_db()
        assert (promise.valid_from, promise.valid_to) == (None, None)


class TestPages:
    def test_anonymous_users_are_sent_to_sign_in(self, client, audit):
        for url in (reverse("audit-promises", args=[audit.slug]), reverse("promise-edit", args=[audit.slug, 1])):
            page = client.get(url)
            assert page.status_code == 302 and "next=" in page["Location"]

    def test_it_lists_unmet_promises_first_with_their_evidence(self, client, register, manager, audit):
        client.force_login(manager)
        page = client.get(reverse("audit-promises", args=[audit.slug]))
        assert page.status_code == 200
        assert [r["status"] for r in page.context["rows"]] == ["unmet", "unmet", "no_evidence", "no_evidence",
                                                               "met", "met"]
        assert page.context["counts"] == {"unmet": 2, "no_evidence": 2, "met": 2}
        first = page.context["rows"][0]
        assert (first["promise"].item_code, first["mean_d"], first["shortfall"]) == ("TAN1", "4.50", "2.50")
        html = page.content.decode()
        assert html.index(f'id="promise-{register["tan1_south"].pk}"') < html.index(
            f'id="promise-{register["emp2_chain"].pk}"') < html.index(f'id="promise-{register["ass1_chain"].pk}"')
        assert "no evidence yet" in html and "not counted in gap 4" in html

    def test_recording_editing_and_deleting_a_promise(self, client, audit, admin):
        client.force_login(admin)
        url = reverse("audit-promises", args=[audit.slug])
        page = client.post(url, {"text": "Served within 5 minutes", "channel": "poster", "item": "RES2",
                                 "unit": "S", "level": "6", "valid_from": "2025-01-01", "valid_to": ""})
        assert page.status_code == 302
        promise = Promise.objects.get()
        assert (promise.unit.code, promise.level, promise.valid_from, promise.valid_to) == \
            ("S", 6, dt.date(2025, 1, 1), None)
        edit = reverse("promise-edit", args=[audit.slug, promise.pk])
        assert client.get(edit).context["form"].initial["unit"] == "S"
        page = client.post(edit, {"text": "Served within 10 minutes", "channel": "website", "item": "RES2",
                                  "unit": "", "level": "5", "valid_from": "", "valid_to": ""})
        assert page.status_code == 302
        promise.refresh_from_db()
        assert (promise.text, promise.channel, promise.unit, promise.level) == \
            ("Served within 10 minutes", "website", None, 5)
        assert client.post(reverse("promise-delete", args=[audit.slug, promise.pk])).status_code == 302
        assert Promise.objects.count() == 0

    @pytest.mark.parametrize("change, field", [
        ({"valid_from": "2025-03-01", "valid_to": "2025-02-01"}, "valid_to"),
        ({"level": "8"}, "level"),
        ({"text": ""}, "text"),
        ({"channel": "billboard"}, "channel"),
        ({"unit": "X"}, "unit"),
        ({"valid_from": "2025-02-30"}, "valid_from"),
    ])
    def test_a_bad_form_comes_back_with_inline_errors_and_writes_nothing(self, client, audit, admin, change,
                                                                         field):
        client.force_login(admin)
        before = version(audit)
        data = {"text": "Served within 5 minutes", "channel": "poster", "item": "RES2", "unit": "", "level": "6",
                "valid_from": "", "valid_to": "", **change}
        page = client.post(reverse("audit-promises", args=[audit.slug]), data)
        assert page.status_code == 200
        assert list(page.context["form"].errors) == [field]
        assert f'id="id_{field}_errors"' in page.content.decode()
        assert Promise.objects.count() == 0 and version(audit) == before
