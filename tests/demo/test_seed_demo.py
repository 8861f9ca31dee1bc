"""The demo tells its story: every gap has figures, and they point where the story says."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from analytics.selectors import audit_gaps
from surveys.demo import demo_seed
from surveys.models import Audit


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks) -> Audit:
    with django_capture_on_commit_callbacks(execute=True):
        demo_seed(n_two_column=400, n_three_column=60)
    return Audit.objects.get(slug="customer-gap-2026")


def test_the_demo_tells_its_story_in_every_gap(demo):
    result = audit_gaps(audit=demo)
    assert result["status"] == "fresh"
    for gap in ("gap1", "gap2", "gap3", "gap4", "gap5"):
        assert result[gap]["overall"]["gap"] is not None, gap
    # Managers underestimate how much customers value reliability (gap 1) ...
    dimensions = result["gap1"]["dimensions"]
    assert dimensions["reliability"]["gap"] < -1.0
    assert dimensions["reliability"]["gap"] == min(d["gap"] for d in dimensions.values())
    # ... the posters promise a 5-minute wait that delivery does not meet (gap 4) ...
    wait = result["gap4"]["items"]["RES2"]
    assert wait["promised"] == 7.0 and wait["gap"] < -1.5 and wait["n"] > 50
    # ... and the call centre is inspected on its greeting (gap 3): 12 weeks × 6 calls.
    hotline = audit_gaps(audit=demo, unit_code="HOTLINE")
    assert hotline["gap3"]["items"]["ASS3"]["n"] == 72
    assert hotline["gap3"]["items"]["ASS3"]["gap"] < 0
    # Every role can be tried.
    users = get_user_model().objects
    assert users.get(username="manager-north@example.com").role_assignments.get().unit.code == "NORTH"
    assert users.get(username="inspector-hotline@example.com").role_assignments.get().role == "staff"


def test_seeding_twice_adds_nothing(demo, django_capture_on_commit_callbacks):
    counts = (demo.responses.count(), demo.manager_answer_sets.count(), demo.inspections.count())
    with django_capture_on_commit_callbacks(execute=True):
        demo_seed(n_two_column=400, n_three_column=60)
    assert (demo.responses.count(), demo.manager_answer_sets.count(), demo.inspections.count()) == counts
