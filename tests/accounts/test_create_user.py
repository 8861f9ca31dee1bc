"""manage.py create_user EMAIL --role … [--unit …] [--password …]."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import AuditLogEntry, RoleAssignment

pytestmark = pytest.mark.django_db
User = get_user_model()


def run(*args: str) -> str:
    out = StringIO()
    call_command("create_user", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_manager_who_can_sign_in(tree):
    output = run("Mia@Example.com", "--role", "manager", "--unit", "north", "--password", "Mia-secret-2025!",
                 "--name", "Mia")
    assert output == "created mia@example.com (manager on north)\n"
    mia = User.objects.get(username="mia@example.com")
    assert (mia.email, mia.first_name, mia.is_active, mia.is_superuser) == ("mia@example.com", "Mia", True, False)
    assert list(RoleAssignment.objects.filter(user=mia).values_list("role", "unit__code")) == [("manager", "north")]
    assert list(AuditLogEntry.objects.filter(object_type="user").values_list("actor", "action", "object_repr")) == [
        (None, "created", "Mia")]
    response = Client().post("/accounts/login/", {"username": "mia@example.com", "password": "Mia-secret-2025!"})
    assert response.status_code == 302


def test_an_admin_is_a_django_superuser(db):
    run("boss@example.com", "--role", "admin", "--password", "Boss-secret-2025!")
    boss = User.objects.get(username="boss@example.com")
    assert boss.is_superuser and boss.is_staff


def test_without_a_password_it_prints_an_invitation_path_that_works(tree):
    output = run("sam@example.com", "--role", "staff", "--unit", "hall-n1")
    lines = output.splitlines()
    assert lines[0] == "created sam@example.com (staff on hall-n1)"
    path = re.fullmatch(r"no password yet: send the invitation link (/accounts/invite/\S+/\S+/)", lines[1]).group(1)
    assert not User.objects.get(username="sam@example.com").has_usable_password()
    assert Client().get(path).status_code == 302  # on to the set-password form


@pytest.mark.parametrize("args, reason", [
    (["x@example.com", "--role", "boss"], '--role must be admin or manager or staff (got "boss")'),
    (["x@example.com", "--role", "manager"], "unit: A manager or staff role needs a unit."),
    (["x@example.com", "--role", "manager", "--unit", "nowhere"], 'unknown unit "nowhere"'),
    (["x@example.com", "--role", "admin", "--unit", "north"],
     "unit: An admin covers the whole organisation: leave the unit empty."),
    (["not-an-email", "--role", "staff", "--unit", "north"], "email: Enter a valid email address."),
    (["x@example.com", "--role", "staff", "--unit", "north", "--password", "123"],
     "password: This password is too short. It must contain at least 8 characters. This password is too common. "
     "This password is entirely numeric."),
])
def test_bad_input_exits_with_a_one_line_reason_and_writes_nothing(tree, args, reason):
    with pytest.raises(CommandError) as error:
        run(*args)
    assert str(error.value) == reason
    assert not User.objects.exists() and not AuditLogEntry.objects.exists()


def test_an_existing_email_is_refused(tree):
    run("dup@example.com", "--role", "staff", "--unit", "north")
    with pytest.raises(CommandError) as error:
        run("DUP@example.com", "--role", "staff", "--unit", "north")
    assert str(error.value) == "email: A user with this email already exists."


def test_the_exit_status_is_non_zero(tree):
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    env = {"DEBUG": "1", "PATH": "/usr/bin:/bin", "DATABASE_URL": _database_url(connection)}
    result = subprocess.run([sys.executable, str(settings.BASE_DIR / "manage.py"), "create_user", "x@example.com",
                             "--role", "boss"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == 'CommandError: --role must be admin or manager or staff (got "boss")'


def _database_url(connection) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"
