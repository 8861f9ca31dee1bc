"""manage.py import_instrument FILE [--replace] (METHOD.md §10, §11)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.instruments import InstrumentError, instrument_from_json_text, instrument_import


class Command(BaseCommand):
    help = "Import an instrument from a JSON file (METHOD.md §10)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the instrument JSON file")
        parser.add_argument(
            "--replace", action="store_true",
            help="replace the dimensions and items of an existing instrument with the same code",
        )

    def handle(self, *args, file: str, replace: bool, **options):
        try:
            text = Path(file).read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        except OSError as exc:
            raise CommandError(f"{file}: cannot read ({exc.strerror or exc})") from exc
        try:
            instrument = instrument_import(data=instrument_from_json_text(text), replace=replace)
        except InstrumentError as exc:
            raise CommandError(f"{file}: {'; '.join(exc.problems)}") from exc
        self.stdout.write(
            f"Imported instrument {instrument.code}: {instrument.dimensions.count()} dimensions, "
            f"{instrument.items.count()} items."
        )
