"""manage.py import_responses SLUG FILE (METHOD.md §9, §11): all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.exchange import ImportRejected, responses_import
from surveys.models import Audit

SHOWN_ERRORS = 20


def audit_by_slug(slug: str) -> Audit:
    audit = Audit.objects.filter(slug=slug).first()
    if audit is None:
        raise CommandError(f'no audit with slug "{slug}"')
    return audit


class Command(BaseCommand):
    help = "Import customer responses from a CSV or XLSX file in the exchange format (METHOD.md §9)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("file", help="a .csv or .xlsx file")

    def handle(self, *args, slug: str, file: str, **options):
        audit = audit_by_slug(slug)
        try:
            content = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot read ({exc.strerror or exc})") from exc
        try:
            report = responses_import(audit=audit, filename=file, content=content)
        except ImportRejected as exc:
            for error in exc.errors[:SHOWN_ERRORS]:
                self.stderr.write(str(error))
            if len(exc.errors) > SHOWN_ERRORS:
                self.stderr.write(f"… {exc.total - SHOWN_ERRORS} more")
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Imported {report.created} responses into {audit.slug} (skipped: "
            f"{report.skipped_existing} already stored, {report.skipped_repeated} repeated in the file)."
        )
