"""Fixtures of the manager-belief, standard and promise tests: a small chain of units,
a SERVQUAL audit over it, managers, and helpers that write through the services."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.auth import get_user_model

from accounts.models import RoleAssignment
from analytics.selectors import audit_gaps
from provider.models import DeliveryObservation
from surveys.models import Audit, Instrument, Unit
from surveys.services import audit_create, response_submit

ITEMS = [f"{p}{i}" for p, k in (("TAN", 4), ("REL", 5), ("RES", 4), ("ASS", 4), ("EMP", 5)) for i in range(1, k + 1)]
DIMENSIONS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]


@pytest.fixture
def units(db) -> dict[str, Unit]:
    """chain C → regions N, S; N → halls H1, H2; S → H3; X is outside the audit."""
    chain = Unit.objects.create(code="C", name="Chain")
    north = Unit.objects.create(code="N", name="North", parent=chain)
    south = Unit.objects.create(code="S", name="South", parent=chain)
    out = {"C": chain, "N": north, "S": south}
    out["H1"] = Unit.objects.create(code="H1", name="Hall 1", parent=north)
    out["H2"] = Unit.objects.create(code="H2", name="Hall 2", parent=north)
    out["H3"] = Unit.objects.create(code="H3", name="Hall 3", parent=south)
    out["X"] = Unit.objects.create(code="X", name="Elsewhere")
    return out


@pytest.fixture
def audit(units, django_capture_on_commit_callbacks) -> Audit:
    """Created with its first recompute run, so that later writes enqueue again."""
    with django_capture_on_commit_callbacks(execute=True):
        audit = audit_create(
            slug="spring", title="Spring audit", instrument=Instrument.objects.get(code="servqual"),
            units=[units["C"]], period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 3, 31),
        )
    audit.refresh_from_db()
    return audit


@pytest.fixture
def manager(units):
    """A manager of the whole chain (every unit of the audit is in her scope)."""
    user = get_user_model().objects.create_user(username="mia")
    RoleAssignment.objects.create(user=user, role="manager", unit=units["C"])
    return user


@pytest.fixture
def other_manager(units):
    user = get_user_model().objects.create_user(username="omar")
    RoleAssignment.objects.create(user=user, role="manager", unit=units["C"])
    return user


@pytest.fixture
def admin(db):
    """An organisation admin: the only role that writes standards and promises."""
    user = get_user_model().objects.create_user(username="ada")
    RoleAssignment.objects.create(user=user, role="admin", unit=None)
    return user


def version(audit: Audit) -> int:
    return Audit.objects.get(pk=audit.pk).data_version


def customer(audit: Audit, unit: str, **expectations: int) -> None:
    """One customer response with these expectations (perception 4 throughout)."""
    response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code=unit,
                    answers={code: {"expectation": e, "perception": 4} for code, e in expectations.items()})


def observe(audit: Audit, unit: Unit, item: str, *values: float, source: str = "self_assessment") -> None:
    """Delivery observations written directly (their forms are another part of the app)."""
    DeliveryObservation.objects.bulk_create(
        DeliveryObservation(audit=audit, unit=unit, item_code=item, value=v, source=source) for v in values
    )


def stored(audit: Audit, unit: str | None = None) -> dict:
    return audit_gaps(audit=Audit.objects.get(pk=audit.pk), unit_code=unit)
