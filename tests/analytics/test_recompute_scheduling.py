"""A burst of submissions marks the audit stale once and enqueues one recompute."""

import uuid

import pytest

from surveys.models import Audit, Instrument, Unit
from surveys.services import audit_create, response_submit


@pytest.mark.django_db
def test_a_burst_of_submissions_enqueues_one_recompute(django_capture_on_commit_callbacks):
    unit = Unit.objects.create(code="H1", name="Hall")
    with django_capture_on_commit_callbacks(execute=True):
        audit = audit_create(slug="a", title="A", instrument=Instrument.objects.get(code="servqual"), units=[unit])
    assert Audit.objects.get(pk=audit.pk).result_status == "fresh"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for _ in range(25):
            response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code="H1",
                            answers={"REL1": {"expectation": 7, "perception": 4}})
    audit.refresh_from_db()
    assert len(callbacks) == 1
    assert audit.recompute_queued is True and audit.result_status == "stale"
    callbacks[0]()  # the queued recompute, run eagerly
    audit.refresh_from_db()
    assert audit.result_status == "fresh" and audit.recompute_queued is False
    assert audit.results.get(unit=None).payload["gap5"]["items"]["REL1"]["n"] == 25


@pytest.mark.django_db
def test_a_change_during_a_recompute_leaves_the_result_stale(django_capture_on_commit_callbacks):
    unit = Unit.objects.create(code="H1", name="Hall")
    with django_capture_on_commit_callbacks(execute=True):
        audit = audit_create(slug="a", title="A", instrument=Instrument.objects.get(code="servqual"), units=[unit])
    # A recompute that read version v is overtaken by a submission: v + 1 > v.
    Audit.objects.filter(pk=audit.pk).update(computing=True)
    with django_capture_on_commit_callbacks(execute=False):
        response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code="H1", answers={})
    Audit.objects.filter(pk=audit.pk).update(computing=False)
    audit.refresh_from_db()
    assert audit.result_status == "stale"


@pytest.mark.django_db
def test_a_recompute_queued_long_ago_and_never_started_is_queued_again(django_capture_on_commit_callbacks,
                                                                       settings):
    import datetime as dt

    from django.utils import timezone

    unit = Unit.objects.create(code="H1", name="Hall")
    with django_capture_on_commit_callbacks(execute=True):
        audit = audit_create(slug="a", title="A", instrument=Instrument.objects.get(code="servqual"), units=[unit])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code="H1", answers={})
    assert len(callbacks) == 1  # queued; suppose its message is lost
    long_ago = timezone.now() - dt.timedelta(seconds=settings.GAP_RECOMPUTE_LOST_AFTER + 1)
    Audit.objects.filter(pk=audit.pk).update(recompute_queued_at=long_ago)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code="H1", answers={})
        response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code="H1", answers={})
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_an_older_recompute_never_overwrites_newer_figures(django_capture_on_commit_callbacks):
    from analytics.services import audit_compute

    unit = Unit.objects.create(code="H1", name="Hall")
    audit = audit_create(slug="a", title="A", instrument=Instrument.objects.get(code="servqual"), units=[unit])
    response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code="H1", answers={})
    audit_compute(audit_id=audit.pk)
    audit.refresh_from_db()
    newest = audit.computed_version
    # A recompute that read an older version finishes last: it stores nothing.
    Audit.objects.filter(pk=audit.pk).update(data_version=newest - 1)
    audit_compute(audit_id=audit.pk)
    audit.refresh_from_db()
    assert audit.computed_version == newest and audit.computing is False
    assert audit.results.get(unit=None).payload["n_responses"] == 1


@pytest.mark.django_db
def test_asking_for_a_recompute_while_one_is_queued_answers_that_one():
    from analytics.services import audit_recompute_request

    unit = Unit.objects.create(code="H1", name="Hall")
    audit = audit_create(slug="a", title="A", instrument=Instrument.objects.get(code="servqual"), units=[unit])
    first = audit_recompute_request(audit=audit)  # its task runs on commit, which this test never reaches
    assert audit_recompute_request(audit=audit).pk == first.pk
