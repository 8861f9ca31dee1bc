"""manage.py export_gaps SLUG [--unit CODE] (METHOD.md §8, §11): print the gap JSON."""

import json

from django.core.management.base import BaseCommand, CommandError

from analytics.selectors import UnitNotInAudit, audit_gaps
from surveys.management.commands.import_responses import audit_by_slug


class Command(BaseCommand):
    help = "Print the latest computed gap result of an audit (or one unit) as the §8 JSON."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--unit", default=None, help="a unit code (its descendants included)")

    def handle(self, *args, slug: str, unit: str | None, **options):
        audit = audit_by_slug(slug)
        try:
            result = audit_gaps(audit=audit, unit_code=unit)
        except UnitNotInAudit as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))
