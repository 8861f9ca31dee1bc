"""A small unit tree and one user per kind of access.

chain ─┬─ north ─┬─ hall-n1
       │         └─ hall-n2
       └─ south ─── hall-s1
other (a second tree)
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model

from accounts.models import RoleAssignment
from surveys.models import Instrument, Unit
from surveys.services import audit_create

User = get_user_model()
PASSWORD = "Correct-horse-battery-9"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """PBKDF2 takes most of a second per password; these tests hash dozens."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(email: str, *roles: tuple[str, Unit | None], password: str = PASSWORD, **fields) -> User:
    user = User.objects.create_user(username=email, email=email, password=password, **fields)
    for role, unit in roles:
        RoleAssignment.objects.create(user=user, role=role, unit=unit)
    return user


@pytest.fixture
def tree(db) -> SimpleNamespace:
    chain = Unit.objects.create(code="chain", name="Chain")
    north = Unit.objects.create(code="north", name="North", parent=chain)
    south = Unit.objects.create(code="south", name="South", parent=chain)
    return SimpleNamespace(
        chain=chain, north=north, south=south,
        hall_n1=Unit.objects.create(code="hall-n1", name="Hall N1", parent=north),
        hall_n2=Unit.objects.create(code="hall-n2", name="Hall N2", parent=north),
        hall_s1=Unit.objects.create(code="hall-s1", name="Hall S1", parent=south),
        other=Unit.objects.create(code="other", name="Other chain"),
    )


@pytest.fixture
def people(tree) -> SimpleNamespace:
    return SimpleNamespace(
        admin=make_user("admin@example.com", ("admin", None), first_name="Ada"),
        root=User.objects.create_superuser("root", "root@example.com", PASSWORD),
        manager=make_user("manager@example.com", ("manager", tree.north), first_name="Mona"),
        staff=make_user("staff@example.com", ("staff", tree.hall_n1), first_name="Stan"),
        nobody=make_user("nobody@example.com"),
    )


@pytest.fixture
def audits(tree) -> SimpleNamespace:
    servqual = Instrument.objects.get(code="servqual")

    def make(slug: str, *units: Unit):
        return audit_create(slug=slug, title=slug.title(), instrument=servqual, units=list(units))

    return SimpleNamespace(
        chainwide=make("chainwide", tree.chain),
        south_only=make("south-only", tree.south),
        hall_n2_only=make("hall-n2-only", tree.hall_n2),
        other=make("other-audit", tree.other),
        mixed=make("mixed", tree.hall_n1, tree.other),
    )
