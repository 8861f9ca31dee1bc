"""Prepare the demo database: the demo audits (once) and an admin login, printed.

Run by `make demo` after `migrate`. The admin password is set afresh on every
run (DEMO_ADMIN_PASSWORD, or a random one) so that it can always be printed.
"""

import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gapaudit.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command, get_commands  # noqa: E402

from accounts.models import RoleAssignment  # noqa: E402


def main() -> None:
    if "seed_demo" in get_commands():
        # seed_demo keeps demo audits that exist already, so a re-run is quick.
        call_command("seed_demo")
    else:
        print("demo data: the seed_demo command is not available yet", file=sys.stderr)

    username = os.getenv("DEMO_ADMIN_USERNAME", "admin@example.com")
    password = os.getenv("DEMO_ADMIN_PASSWORD") or secrets.token_urlsafe(9)
    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"email": username})
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    RoleAssignment.objects.get_or_create(user=user, role="admin", unit=None)
    # The demo's managers and staff (provider.demo) share the password, so every role can be tried.
    demo_people = get_user_model().objects.filter(role_assignments__role__in=["manager", "staff"]).distinct()
    for person in demo_people.filter(username__endswith="@example.com"):
        person.set_password(password)
        person.save(update_fields=["password"])
    print()
    print("  GapAudit demo: http://127.0.0.1:8000/")
    print(f"  Sign in as {username} / {password}  (admin of the whole chain)")
    print("  Same password: manager-north@example.com (manager of the North region),")
    print("                 manager-sunrise@example.com (manager of the whole chain),")
    print("                 inspector-hotline@example.com (staff of the call centre)")
    print()


if __name__ == "__main__":
    main()
