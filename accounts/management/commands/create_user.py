"""manage.py create_user EMAIL --role admin|manager|staff [--unit CODE] [--name NAME] [--password PW]."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role
from accounts.services import invitation_path, user_create
from surveys.models import Unit
from surveys.services import ValidationFailed


class Command(BaseCommand):
    help = ("Create a user who signs in with EMAIL and holds one role. Without --password the command "
            "prints the one-time path of an invitation link that sets the password.")

    def add_arguments(self, parser):
        parser.add_argument("email")
        # Checked in handle() rather than by argparse, so a bad value gets a one-line reason.
        parser.add_argument("--role", required=True, help=" or ".join(Role.values))
        parser.add_argument("--unit", default=None, help="unit code (manager and staff; not admin)")
        parser.add_argument("--name", default="", help="display name (default: the part of the email before @)")
        parser.add_argument("--password", default=None, help="must pass the password validators")

    def handle(self, *args, email: str, role: str, unit: str | None, name: str, password: str | None, **options):
        if role not in Role.values:
            raise CommandError(f'--role must be {" or ".join(Role.values)} (got "{role}")')
        found = None
        if unit is not None:
            found = Unit.objects.filter(code=unit).first()
            if found is None:
                raise CommandError(f'unknown unit "{unit}"')
        try:
            user = user_create(actor=None, email=email, role=role, unit=found, password=password, name=name)
        except ValidationFailed as exc:
            raise CommandError("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items())) from exc
        where = f" on {found.code}" if found else ""
        self.stdout.write(f"created {user.username} ({role}{where})")
        if password is None:
            self.stdout.write(f"no password yet: send the invitation link {invitation_path(user)}")
