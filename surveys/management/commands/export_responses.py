"""manage.py export_responses SLUG FILE (METHOD.md §9, §11): format by extension."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.exchange import responses_export
from surveys.management.commands.import_responses import audit_by_slug


class Command(BaseCommand):
    help = "Export an audit's responses to a .csv or .xlsx file in the exchange format (METHOD.md §9)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("file", help="a .csv or .xlsx file to write")

    def handle(self, *args, slug: str, file: str, **options):
        audit = audit_by_slug(slug)
        fmt = Path(file).suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            raise CommandError(f"{file}: use a .csv or .xlsx file name")
        content = responses_export(audit=audit, fmt=fmt)
        try:
            Path(file).write_bytes(content)
        except OSError as exc:
            raise CommandError(f"{file}: cannot write ({exc.strerror or exc})") from exc
        self.stdout.write(f"Exported {audit.response_count} responses of {audit.slug} to {file}.")
