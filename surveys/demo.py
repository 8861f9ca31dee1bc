"""A believable demo: a chain of service halls in three regions and two audits."""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
from django.db import transaction
from django.utils import timezone

from surveys.models import Audit, Instrument, Response, Unit
from surveys.selectors import audit_layout
from surveys.services import audit_create

CHAIN = ("SUNRISE", "Sunrise Service Halls")
HOTLINE = ("HOTLINE", "Sunrise hotline (call centre)")
REGIONS = {
    "NORTH": ("North region", ["N-CENTRAL", "N-HARBOUR", "N-AIRPORT", "N-UNIVERSITY"]),
    "EAST": ("East region", ["E-MARKET", "E-STATION", "E-RIVERSIDE", "E-PARK"]),
    "SOUTH": ("South region", ["S-OLDTOWN", "S-MALL", "S-HOSPITAL"]),
}
# Mean expectation and perception per dimension (7-point scale): customers value
# reliability most and it is where the chain falls shortest; tangibles are fine.
PROFILE = {
    "tangibles": (5.4, 5.5),
    "reliability": (6.5, 4.7),
    "responsiveness": (6.2, 5.0),
    "assurance": (6.1, 5.6),
    "empathy": (5.7, 5.1),
}
IMPORTANCE = {"tangibles": 12, "reliability": 32, "responsiveness": 22, "assurance": 19, "empathy": 15}
CHANNELS = ["hall-kiosk", "qr-poster", "sms-link", "web"]


def demo_units() -> tuple[Unit, list[Unit]]:
    chain, _ = Unit.objects.get_or_create(code=CHAIN[0], defaults={"name": CHAIN[1]})
    halls = []
    for code, (name, hall_codes) in REGIONS.items():
        region, _ = Unit.objects.get_or_create(code=code, defaults={"name": name, "parent": chain})
        for hall in hall_codes:
            label = hall.split("-", 1)[1].title()
            unit, _ = Unit.objects.get_or_create(
                code=hall, defaults={"name": f"{label} hall", "parent": region}
            )
            halls.append(unit)
    # The call centre answers the chain's hotline; its calls are inspected (gap 3).
    Unit.objects.get_or_create(code=HOTLINE[0], defaults={"name": HOTLINE[1], "parent": chain})
    return chain, halls


def demo_answers(audit: Audit, halls: list[Unit], n: int, seed: int) -> list[Response]:
    layout = audit_layout(audit=audit)
    rng = np.random.default_rng(seed)
    m, dims = layout.n_items, layout.dimension_codes
    item_dim = np.array(layout.item_dimensions)
    base_e = np.array([PROFILE.get(dims[j], (6.0, 5.2))[0] for j in item_dim])
    base_p = np.array([PROFILE.get(dims[j], (6.0, 5.2))[1] for j in item_dim])
    hall_of = rng.integers(0, len(halls), n)
    hall_shift = rng.normal(0, 0.45, len(halls))
    person = rng.normal(0, 0.6, n)[:, None]
    e = np.clip(np.rint(base_e + 0.5 * person + rng.normal(0, 0.7, (n, m))), 1, 7).astype(np.uint8)
    p = np.clip(np.rint(base_p + hall_shift[hall_of][:, None] + person + rng.normal(0, 0.9, (n, m))), 1, 7)
    p = p.astype(np.uint8)
    blocks = [e, p]
    if layout.three_column:
        a = np.clip(np.rint(base_e - 1.6 + 0.5 * person + rng.normal(0, 0.8, (n, m))), 1, 7).astype(np.uint8)
        blocks.append(a)
    for block in blocks:
        block[rng.random((n, m)) < 0.04] = 0  # "no opinion"
    answers = np.hstack(blocks)
    weights = np.array([IMPORTANCE.get(d, 100 // len(dims)) for d in dims], dtype=float)
    now = timezone.now()
    rows = []
    for i in range(n):
        importance = None
        if rng.random() < 0.7:
            raw = rng.dirichlet(weights * 0.8)
            pts = np.floor(raw * 100).astype(int)
            pts[int(np.argmax(raw))] += 100 - pts.sum()
            importance = bytes(pts.tolist())
        rows.append(Response(
            audit=audit, unit=halls[hall_of[i]], submission_id=uuid.UUID(int=int(rng.integers(0, 2**62)) << 64 | i),
            channel=CHANNELS[int(rng.integers(0, len(CHANNELS)))],
            submitted_at=now - dt.timedelta(minutes=int(rng.integers(0, 60 * 24 * 80))),
            answers=answers[i].tobytes(), importance=importance,
        ))
    return rows


@transaction.atomic
def demo_seed(*, n_two_column: int = 2400, n_three_column: int = 900) -> list[Audit]:
    """Create the demo chain and its two audits; an existing demo audit is kept as is."""
    from analytics.services import audit_data_changed

    chain, halls = demo_units()
    servqual = Instrument.objects.get(code="servqual")
    specs = [
        ("customer-gap-2026", "Customer gap audit, autumn 2026", Audit.Format.TWO_COLUMN, [chain], halls, n_two_column),
        ("zone-of-tolerance-east", "Zone of tolerance, East region", Audit.Format.THREE_COLUMN,
         [Unit.objects.get(code="EAST")], [h for h in halls if h.code.startswith("E-")], n_three_column),
    ]
    audits = []
    for index, (slug, title, fmt, units, answering, n) in enumerate(specs):
        audit = Audit.objects.filter(slug=slug).first()
        if audit is None:
            audit = audit_create(slug=slug, title=title, instrument=servqual, units=units, format=fmt,
                                 period_start=dt.date(2026, 9, 1), period_end=dt.date(2026, 11, 30))
            Response.objects.bulk_create(demo_answers(audit, answering, n, seed=2026 + index), batch_size=2000)
            audit_data_changed(audit_id=audit.pk, added_responses=n)
            if index == 0:
                from provider.demo import demo_provider_seed

                demo_provider_seed(audit=audit, chain=chain)
        audits.append(audit)
    return audits
