"""Invariants that keep stored answers meaningful, whatever page or API writes."""

import uuid

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from surveys.models import Audit, Instrument, Unit
from surveys.selectors import audit_unit_ids
from surveys.services import ValidationFailed, audit_create, audit_update, response_submit


@pytest.fixture
def tree(db):
    chain = Unit.objects.create(code="C", name="Chain")
    north = Unit.objects.create(code="N", name="North", parent=chain)
    hall = Unit.objects.create(code="H", name="Hall", parent=north)
    return chain, north, hall


def test_a_unit_cannot_be_placed_below_itself_or_its_descendants(tree):
    chain, north, hall = tree
    chain.parent = hall
    with pytest.raises(ValidationError) as info:
        chain.full_clean()
    assert "parent" in info.value.message_dict
    north.parent = north
    with pytest.raises(ValidationError):
        north.full_clean()
    hall = Unit.objects.get(code="H")
    hall.parent = Unit.objects.get(code="C")
    hall.full_clean()  # moving a hall up the tree is fine


def test_a_cycle_written_around_the_checks_does_not_hang_the_scope_walk(tree):
    chain, north, hall = tree
    Unit.objects.filter(pk=chain.pk).update(parent=hall)
    audit = audit_create(slug="a", title="A", instrument=Instrument.objects.get(code="servqual"), units=[north])
    assert sorted(audit_unit_ids(audit=audit)) == ["C", "H", "N"]


def test_units_with_responses_cannot_be_removed_from_an_audit(tree):
    chain, north, hall = tree
    other = Unit.objects.create(code="O", name="Other")
    audit = audit_create(slug="a", title="A", instrument=Instrument.objects.get(code="servqual"), units=[north])
    response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code="H", answers={})
    with pytest.raises(ValidationFailed) as info:
        audit_update(audit=audit, units=[other])
    assert info.value.errors == {"units": ["cannot remove units that already have responses: H"]}
    audit_update(audit=audit, units=[chain, other])  # still covers H through the chain
    assert sorted(audit.units.values_list("code", flat=True)) == ["C", "O"]


def test_the_admin_freezes_the_layout_once_an_audit_has_responses(tree, client):
    chain, north, hall = tree
    audit = audit_create(slug="a", title="A", instrument=Instrument.objects.get(code="servqual"), units=[north])
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    url = f"/admin/surveys/audit/{audit.pk}/change/"
    assert 'name="scale"' in client.get(url).content.decode()
    response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code="H", answers={})
    page = client.get(url).content.decode()
    assert 'name="scale"' not in page and 'name="format"' not in page and 'name="instrument"' not in page
    version = Audit.objects.get(pk=audit.pk).data_version
    form = {"title": "Renamed", "units": [north.pk], "is_open": "on", "min_sample": 9,
            "scale": 3, "format": "three_column"}
    assert client.post(url, form).status_code == 302
    audit.refresh_from_db()
    assert (audit.title, audit.min_sample, audit.scale, audit.format) == ("Renamed", 9, 7, "two_column")
    assert audit.data_version > version  # min_sample changes low-sample flags: recompute


def test_the_admin_keeps_units_that_have_responses_and_counts_deletions(tree, client):
    chain, north, hall = tree
    other = Unit.objects.create(code="O", name="Other")
    audit = audit_create(slug="a", title="A", instrument=Instrument.objects.get(code="servqual"), units=[north])
    for _ in range(2):
        response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code="H", answers={})
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    form = {"title": "A", "units": [other.pk], "is_open": "on", "min_sample": 5}
    page = client.post(f"/admin/surveys/audit/{audit.pk}/change/", form)
    assert page.status_code == 200 and "cannot remove units that already have responses: H" in page.content.decode()
    assert list(audit.units.values_list("code", flat=True)) == ["N"]
    first = audit.responses.first()
    assert client.post(f"/admin/surveys/response/{first.pk}/delete/", {"post": "yes"}).status_code == 302
    audit.refresh_from_db()
    assert audit.response_count == 1 and audit.result_status == "stale"


def test_creating_an_audit_with_a_taken_slug_is_a_field_error(tree):
    chain, north, hall = tree
    servqual = Instrument.objects.get(code="servqual")
    audit_create(slug="a", title="A", instrument=servqual, units=[north])
    with pytest.raises(ValidationFailed) as info:
        audit_create(slug="a", title="Again", instrument=servqual, units=[north])
    assert info.value.errors == {"slug": ['an audit with slug "a" already exists']}
    assert Audit.objects.count() == 1
