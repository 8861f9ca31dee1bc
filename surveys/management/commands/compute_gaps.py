"""manage.py compute_gaps SLUG (METHOD.md §11): compute in-process and wait."""

from django.core.management.base import BaseCommand, CommandError

from analytics.selectors import audit_gaps
from analytics.services import audit_compute
from surveys.management.commands.import_responses import audit_by_slug


class Command(BaseCommand):
    help = "Compute every gap figure of an audit now, in this process."

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, *args, slug: str, **options):
        audit = audit_by_slug(slug)
        try:
            audit_compute(audit_id=audit.pk)
        except Exception as exc:  # the task logged the traceback; the operator gets one line
            raise CommandError(f"the recompute of {audit.slug} failed: {exc}") from exc
        audit.refresh_from_db()
        result = audit_gaps(audit=audit)
        self.stdout.write(
            f"Computed {audit.slug}: n_responses={result['n_responses']}, computed_at={result['computed_at']}."
        )
