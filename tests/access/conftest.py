"""The access world: one chain, two regions, three halls, two audits, one user per
role and scope, and data (customer responses, manager beliefs, standards, promises,
delivery evidence) in every hall, so that an out-of-scope leak shows in a body.

    CHAIN ─┬─ NORTH ─┬─ N-HALL-1
           │         └─ N-HALL-2
           └─ SOUTH ─── S-HALL-1

Audits: `chainwide` (units: CHAIN) and `south-only` (units: SOUTH).
Users: admin (organisation-wide), manager_north (manager on NORTH), manager_south,
staff_n1 (staff on N-HALL-1), staff_s1 (staff on S-HALL-1), nobody (signed in, no
role) and the anonymous client. SOUTH_MARKERS must never appear in a body served to
a north-side user.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import RoleAssignment
from analytics.services import audit_compute
from provider.beliefs import manager_answers_submit
from provider.delivery import inspection_submit, self_assessment_submit
from provider.promises import promise_create
from provider.standards import standard_set
from surveys.models import Instrument, Unit
from surveys.selectors import audit_layout
from surveys.services import audit_create, response_submit

User = get_user_model()
SOUTH_MARKERS = ("S-HALL-1", "Southern Hall One", "SOUTH-ONLY-PROMISE", "South region")
ROLES = ("anonymous", "nobody", "staff_n1", "staff_s1", "manager_north", "manager_south", "admin")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(name: str, *roles: tuple[str, Unit | None]) -> User:
    user = User.objects.create_user(username=f"{name}@example.com", email=f"{name}@example.com",
                                    password="Correct-horse-battery-9")
    for role, unit in roles:
        RoleAssignment.objects.create(user=user, role=role, unit=unit)
    return user


def _answers(layout, e: int, p: int) -> dict:
    return {code: {"expectation": e, "perception": p, "adequate": None} for code in layout.item_codes}


@pytest.fixture
def world(db, django_capture_on_commit_callbacks) -> SimpleNamespace:
    chain = Unit.objects.create(code="CHAIN", name="Chain")
    north = Unit.objects.create(code="NORTH", name="North region", parent=chain)
    south = Unit.objects.create(code="SOUTH", name="South region", parent=chain)
    n1 = Unit.objects.create(code="N-HALL-1", name="Northern Hall One", parent=north)
    n2 = Unit.objects.create(code="N-HALL-2", name="Northern Hall Two", parent=north)
    s1 = Unit.objects.create(code="S-HALL-1", name="Southern Hall One", parent=south)
    servqual = Instrument.objects.get(code="servqual")
    chainwide = audit_create(slug="chainwide", title="Chain-wide audit", instrument=servqual, units=[chain])
    south_only = audit_create(slug="south-only", title="South-only audit", instrument=servqual, units=[south])
    users = SimpleNamespace(
        admin=_user("admin", ("admin", None)),
        manager_north=_user("manager-north", ("manager", north)),
        manager_south=_user("manager-south", ("manager", south)),
        staff_n1=_user("staff-n1", ("staff", n1)),
        staff_s1=_user("staff-s1", ("staff", s1)),
        nobody=_user("nobody"),
    )
    layout = audit_layout(audit=chainwide)
    for audit in (chainwide, south_only):
        halls = [n1, n2, s1] if audit is chainwide else [s1]
        for i, hall in enumerate(halls * 3):
            response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code=hall.code,
                            answers=_answers(layout, 6, 4 + i % 3))
        standard_set(audit=audit, item_code="RES2", unit=None, level=6, description="Wait under 10 minutes")
        standard_set(audit=audit, item_code="RES2", unit=s1, level=7, description="S-HALL-1 override")
        promise_create(audit=audit, item_code="RES2", text="Served within 5 minutes", level=7)
        promise_create(audit=audit, item_code="RES2", unit=s1, text="SOUTH-ONLY-PROMISE", level=7)
        beliefs = {code: 5 for code in layout.item_codes}
        if audit is chainwide:
            manager_answers_submit(audit=audit, manager=users.manager_north, unit=north, answers=beliefs)
        manager_answers_submit(audit=audit, manager=users.manager_south, unit=south, answers=beliefs)
        self_assessment_submit(audit=audit, unit=s1, user=users.staff_s1, scores={"RES2": 3},
                               comments={"RES2": "S-HALL-1 queue too long"})
        inspection_submit(audit=audit, unit=s1, template="call-centre-call", user=users.staff_s1,
                          failed_checks=["greeting"], reference="S-HALL-1-CALL")
        if audit is chainwide:
            self_assessment_submit(audit=audit, unit=n1, user=users.staff_n1, scores={"RES2": 5}, comments={})
            inspection_submit(audit=audit, unit=n1, template="call-centre-call", user=users.staff_n1,
                              failed_checks=[], reference="N-CALL")
    for audit in (chainwide, south_only):
        audit_compute(audit_id=audit.pk)
        audit.refresh_from_db()
    return SimpleNamespace(chain=chain, north=north, south=south, n1=n1, n2=n2, s1=s1,
                           chainwide=chainwide, south_only=south_only, users=users)


@pytest.fixture
def client_as(world):
    """A test client signed in as one of ROLES ('anonymous' stays signed out)."""
    def make(role: str) -> Client:
        client = Client()
        if role != "anonymous":
            client.force_login(getattr(world.users, role))
        return client
    return make
