"""manage.py create_audit SLUG --instrument CODE [--scale K] [--format F] [--units CODE,…] (METHOD.md §11)."""

import re

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from surveys.models import CODE_PATTERN, MAX_SCALE, MIN_SCALE, Audit, Instrument
from surveys.services import audit_create, units_ensure


def _integer(option: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise CommandError(f'{option} must be a whole number (got "{value}")') from None


class Command(BaseCommand):
    help = "Create an audit of an instrument for a set of units (missing units are created at the top level)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--instrument", required=True, help="instrument code, e.g. servqual")
        # Checked in handle() rather than by argparse, so a bad value gets a one-line reason.
        parser.add_argument("--scale", default="7", help=f"K: answers are 1..K ({MIN_SCALE}..{MAX_SCALE})")
        parser.add_argument("--format", default=Audit.Format.TWO_COLUMN, help=" or ".join(Audit.Format.values))
        parser.add_argument("--units", default="", help="comma-separated unit codes")
        parser.add_argument("--title", default="", help="defaults to the slug")
        parser.add_argument("--min-sample", default="5", dest="min_sample")

    def handle(self, *args, slug: str, instrument: str, scale: str, format: str, units: str, title: str,
               min_sample: str, **options):
        scale, min_sample = _integer("--scale", scale), _integer("--min-sample", min_sample)
        if format not in Audit.Format.values:
            raise CommandError(f'--format must be {" or ".join(Audit.Format.values)} (got "{format}")')
        try:
            validate_slug(slug)
        except ValidationError as exc:
            raise CommandError(f'"{slug}" is not a valid slug (letters, digits, "-" and "_")') from exc
        if len(slug) > 64:
            raise CommandError(f'"{slug}" is too long (at most 64 characters)')
        if Audit.objects.filter(slug=slug).exists():
            raise CommandError(f'an audit with slug "{slug}" already exists')
        found = Instrument.objects.filter(code=instrument).first()
        if found is None:
            raise CommandError(f'unknown instrument "{instrument}"')
        if not MIN_SCALE <= scale <= MAX_SCALE:
            raise CommandError(f"--scale must be from {MIN_SCALE} to {MAX_SCALE} (got {scale})")
        if not 1 <= min_sample <= 100000:
            raise CommandError(f"--min-sample must be from 1 to 100000 (got {min_sample})")
        codes = list(dict.fromkeys(c.strip() for c in units.split(",") if c.strip()))
        bad = [c for c in codes if not re.fullmatch(CODE_PATTERN, c)]
        if bad:
            raise CommandError(f"bad unit code {', '.join(bad)} (use 1 to 32 letters, digits, '_' or '-')")
        audit = audit_create(
            slug=slug, title=title or slug, instrument=found, units=units_ensure(codes=codes),
            scale=scale, format=format, min_sample=min_sample,
        )
        self.stdout.write(
            f"Created audit {audit.slug}: instrument {found.code}, scale 1..{scale}, {format}, "
            f"{len(codes)} unit{'' if len(codes) == 1 else 's'}" + (f" ({', '.join(codes)})." if codes else ".")
        )
