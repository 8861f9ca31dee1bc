"""The provider side of the demo story (gaps 1–4).

Sunrise's managers underestimate how much customers value reliability (gap 1),
set their standards from that belief (gap 2), the call-centre inspections show
greetings slipping week after week (gap 3), and the posters promise a 5-minute
wait that the halls do not deliver (gap 4).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.contrib.auth import get_user_model
from django.utils import timezone

from provider import beliefs, delivery, promises, standards
from provider.models import ManagerAnswerSet, ScorecardTemplate
from surveys.models import Audit, Unit

# What managers believe customers expect, per dimension (customers: surveys.demo.PROFILE).
BELIEF = {"tangibles": 5.9, "reliability": 5.0, "responsiveness": 5.8, "assurance": 5.9, "empathy": 5.5}
MANAGER_IMPORTANCE = {"tangibles": 24, "reliability": 17, "responsiveness": 23, "assurance": 20, "empathy": 16}

# Standards the chain wrote (item → level on 1..7, operational standard); four items have none.
STANDARDS = {
    "TAN1": (6, "Queue-number kiosks and counter terminals working at opening time"),
    "TAN2": (6, "Waiting area cleaned every two hours; no overflowing bins"),
    "TAN3": (6, "Uniform and name badge worn at all times"),
    "REL1": (5, "Call-backs made within two working days"),
    "REL2": (5, "Complaints acknowledged within one working day"),
    "REL3": (5, "Transactions right first time in 9 of 10 cases"),
    "REL4": (5, "Appointments start within 15 minutes of the booked time"),
    "REL5": (5, "Customer records corrected within 3 days of a reported error"),
    "RES1": (6, "Staff tell customers when the service will be completed"),
    "RES2": (6, "Queue wait under 10 minutes at peak times"),
    "RES3": (6, "Floor walker available during opening hours"),
    "RES4": (5, "Counter staff do not leave the counter with a queue waiting"),
    "ASS1": (6, "Scripted, professional wording; no casual language"),
    "ASS2": (6, "ID checked before every account transaction"),
    "ASS3": (6, "Greet within 5 seconds with the standard greeting; standard closing phrase"),
    "ASS4": (6, "Product training passed by every counter employee each quarter"),
    "EMP1": (5, "Customer addressed by name once identified"),
    "EMP3": (5, "Moderate speech rate and friendly tone"),
}
# The airport hall works to a stricter queue standard.
OVERRIDES = [("N-AIRPORT", "RES2", 7, "Queue wait under 5 minutes (airport travellers)")]

PROMISES = [
    ("RES2", None, "poster", 7, "Served within 5 minutes — or your next service fee is on us"),
    ("REL5", None, "website", 6, "Your records are always accurate"),
    ("REL1", None, "hotline_script", 6, "We will call you back within 24 hours"),
    ("ASS4", None, "leaflet", 6, "Our experts answer every question on the spot"),
    ("RES2", "N-AIRPORT", "advertisement", 7, "Airport hall: no queue, no stress"),
]

# Delivery per item as the halls really perform it (1..7), for self-assessments
# (staff rate themselves a little above this).
DELIVERY = {"TAN1": 5.8, "TAN2": 5.9, "TAN3": 6.2, "REL1": 4.2, "REL2": 4.6, "REL3": 4.8, "REL4": 4.5,
            "REL5": 4.9, "RES1": 5.0, "RES2": 4.0, "RES3": 5.3, "RES4": 4.7, "ASS1": 5.6, "ASS2": 6.3,
            "ASS3": 5.4, "ASS4": 5.5, "EMP1": 5.1, "EMP3": 5.3}

# Probability that a check fails: the call-centre greeting slips over the weeks.
CALL_FAILS = {"greeting": (0.05, 0.45), "closing": (0.10, 0.25)}
CALL_FAIL_DEFAULT = 0.22
HALL_FAILS = {"wait": 0.55, "next-steps": 0.30, "right-first": 0.20}
HALL_FAIL_DEFAULT = 0.20

WEEKS = 12


def demo_people(*, chain: Unit) -> dict[str, tuple[object, Unit]]:
    """Demo accounts with their roles: a manager per chain, region and hall (and the
    hotline), an inspector and a mystery shopper (staff of the chain), hall staff."""
    from accounts.models import Role, RoleAssignment

    User = get_user_model()
    people: dict[str, tuple[object, Unit]] = {}
    managed = [chain, *Unit.objects.filter(parent=chain).order_by("code")]
    managed += list(Unit.objects.filter(parent__parent=chain).order_by("code"))
    staff = [("inspector-hotline", "HOTLINE"), ("shopper-anna", chain.code), ("staff-north", "NORTH")]
    accounts = [(f"manager-{u.code.lower()}", u, Role.MANAGER) for u in managed]
    accounts += [(name, Unit.objects.get(code=code), Role.STAFF) for name, code in staff]
    for username, unit, role in accounts:
        email = f"{username}@example.com"  # people sign in with their email, which is the username
        user, _ = User.objects.get_or_create(username=email, defaults={"email": email})
        RoleAssignment.objects.get_or_create(user=user, role=role, unit=unit)
        people[username] = (user, unit)
    return people


def _belief_answers(audit: Audit, rng: np.random.Generator, shift: float) -> dict[str, int | None]:
    answers = {}
    for dimension in audit.instrument_snapshot["dimensions"]:
        base = BELIEF.get(dimension["code"], 5.5) + shift
        for item in dimension["items"]:
            answers[item["code"]] = int(np.clip(np.rint(base + rng.normal(0, 0.6)), 1, audit.scale))
    return answers


def demo_provider_seed(*, audit: Audit, chain: Unit, seed: int = 7) -> None:
    """Manager beliefs, standards, delivery evidence and promises for one demo audit."""
    if ManagerAnswerSet.objects.filter(audit=audit).exists():
        return
    rng = np.random.default_rng(seed)
    people = demo_people(chain=chain)
    item_codes = {i["code"] for d in audit.instrument_snapshot["dimensions"] for i in d["items"]}

    for user, unit in (p for name, p in people.items() if name.startswith("manager-")):
        beliefs.manager_answers_submit(
            audit=audit, manager=user, unit=unit, answers=_belief_answers(audit, rng, rng.normal(0, 0.2)),
            importance=MANAGER_IMPORTANCE,
        )

    for code, (level, text) in STANDARDS.items():
        if code in item_codes:
            standards.standard_set(audit=audit, item_code=code, unit=None, level=level, description=text)
    for unit_code, code, level, text in OVERRIDES:
        unit = Unit.objects.filter(code=unit_code).first()
        if unit is not None and code in item_codes:
            standards.standard_set(audit=audit, item_code=code, unit=unit, level=level, description=text)

    start = audit.period_start or timezone.localdate() - dt.timedelta(weeks=WEEKS)
    for item, unit_code, channel, level, text in PROMISES:
        unit = Unit.objects.filter(code=unit_code).first() if unit_code else None
        if item in item_codes:
            promises.promise_create(audit=audit, item_code=item, unit=unit, text=text, channel=channel,
                                    level=level, valid_from=start, valid_to=None)

    halls = list(Unit.objects.filter(parent__parent=chain).order_by("code"))
    staff = people["staff-north"][0]
    for hall in halls:
        for _ in range(2):
            scores = {code: int(np.clip(np.rint(value + 0.2 + rng.normal(0, 0.6)), 1, audit.scale))
                      for code, value in DELIVERY.items() if code in item_codes}
            delivery.self_assessment_submit(audit=audit, unit=hall, user=staff, scores=scores, comments={})

    now = timezone.now()
    hotline = Unit.objects.filter(code="HOTLINE").first()
    call = ScorecardTemplate.objects.filter(code="call-centre-call").first()
    if hotline is not None and call is not None:
        inspector = people["inspector-hotline"][0]
        for week in range(WEEKS):
            for _ in range(6):
                failed = []
                for check in call.checks.all():
                    first, last = CALL_FAILS.get(check.code, (CALL_FAIL_DEFAULT, CALL_FAIL_DEFAULT))
                    if rng.random() < first + (last - first) * week / (WEEKS - 1):
                        failed.append(check.code)
                delivery.inspection_submit(
                    audit=audit, unit=hotline, template=call, user=inspector, role="quality_checker",
                    reference=f"CALL-{week:02d}{rng.integers(1000, 9999)}",
                    observed_at=now - dt.timedelta(weeks=WEEKS - week, hours=int(rng.integers(1, 40))),
                    failed_checks=failed, notes="",
                )
    visit = ScorecardTemplate.objects.filter(code="service-hall-visit").first()
    if visit is not None:
        shopper = people["shopper-anna"][0]
        for hall in halls:
            for week in range(0, WEEKS, 3):
                failed = [c.code for c in visit.checks.all()
                          if rng.random() < HALL_FAILS.get(c.code, HALL_FAIL_DEFAULT)]
                delivery.inspection_submit(
                    audit=audit, unit=hall, template=visit, user=shopper, role="mystery_shopper",
                    reference=f"VISIT-{hall.code}-{week:02d}",
                    observed_at=now - dt.timedelta(weeks=WEEKS - week, hours=int(rng.integers(1, 40))),
                    failed_checks=failed, notes="",
                )
