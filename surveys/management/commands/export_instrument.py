"""manage.py export_instrument CODE [FILE] (METHOD.md §10, §11)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.instruments import instrument_export
from surveys.models import Instrument


class Command(BaseCommand):
    help = "Export an instrument as JSON (METHOD.md §10), to FILE or standard output."

    def add_arguments(self, parser):
        parser.add_argument("code", help="instrument code")
        parser.add_argument("file", nargs="?", help="output file (standard output when omitted)")

    def handle(self, *args, code: str, file: str | None, **options):
        instrument = Instrument.objects.filter(code=code).first()
        if instrument is None:
            raise CommandError(f'no instrument with code "{code}"')
        text = json.dumps(instrument_export(instrument=instrument), ensure_ascii=False, indent=2) + "\n"
        if file is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(file).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{file}: cannot write ({exc.strerror or exc})") from exc
