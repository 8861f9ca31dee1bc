"""Submissions through the API reach a real Celery worker on Redis and PostgreSQL.

Twelve customers answer every SERVQUAL item with expectation e and perception
p, except REL1, which they all rate 7:

    e      = 6 5 7 6 5 7 6 5 7 6 5 7
    p      = 4 5 6 3 5 7 4 6 5 4 5 6      d = p − e: mean −1.0  (every item but REL1)
    REL1 d = 1 2 0 1 2 0 1 2 0 1 2 0      mean 1.0

Per customer, reliability = (4d + d_REL1)/5 and the other four dimensions = d,
so the overall score is (4d + (4d + d_REL1)/5)/5 = 0.96 d + 0.04 d_REL1, whose
mean is 0.96·(−1.0) + 0.04·1.0 = −0.92 (METHOD.md §3).
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
from rest_framework.test import APIClient

from surveys.models import Audit, Item
from surveys.services import units_ensure

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

EXPECTATIONS = [6, 5, 7, 6, 5, 7, 6, 5, 7, 6, 5, 7]
PERCEPTIONS = [4, 5, 6, 3, 5, 7, 4, 6, 5, 4, 5, 6]
N = len(EXPECTATIONS)
TIMEOUT = 60.0
TASK_LINE = re.compile(r"Task analytics\.audit_compute\[[0-9a-f-]+\] (received|succeeded)")


def wait_for(condition, *, what: str, worker, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; worker log:\n{worker.log()[-4000:]}", pytrace=False)
        time.sleep(0.2)


def task_lines(log: str, event: str) -> int:
    return sum(1 for m in TASK_LINE.finditer(log) if m.group(1) == event)


def gaps(client: APIClient, slug: str) -> dict:
    response = client.get(f"/api/audits/{slug}/gaps/")
    assert response.status_code == 200, response.content
    return response.json()


def test_submissions_are_computed_by_the_worker(celery_worker, django_user_model):
    client = APIClient()
    # An import script, signed in: no survey link token, no customer rate limit.
    client.force_login(django_user_model.objects.create_superuser("importer", "importer@example.com", "unused"))
    units_ensure(codes=["rt-north", "rt-south"])
    created = client.post(
        "/api/audits/",
        {"slug": "roundtrip", "title": "Round trip", "instrument": "servqual", "scale": 7,
         "format": "two_column", "units": ["rt-north", "rt-south"], "min_sample": 5},
        format="json",
    )
    assert created.status_code == 201, created.content
    item_codes = list(Item.objects.filter(instrument__code="servqual").values_list("code", flat=True))
    assert len(item_codes) == 22

    # The audit's creation queued a first compute (no responses yet): let it finish,
    # so that the burst below starts from a quiet worker.
    wait_for(lambda: gaps(client, "roundtrip")["status"] == "fresh", what="the first compute",
             worker=celery_worker)
    wait_for(lambda: not Audit.objects.filter(slug="roundtrip", recompute_queued=True).exists(),
             what="an empty queue", worker=celery_worker)
    log_start = len(celery_worker.log())

    burst_started = time.monotonic()
    for i, (e, p) in enumerate(zip(EXPECTATIONS, PERCEPTIONS, strict=True)):
        answers = {code: {"expectation": e, "perception": 7 if code == "REL1" else p} for code in item_codes}
        posted = client.post(
            "/api/audits/roundtrip/responses/",
            {"submission_id": str(uuid.uuid4()), "unit": ["rt-north", "rt-south"][i % 2],
             "channel": "api", "answers": answers, "importance": None},
            format="json",
        )
        assert posted.status_code == 201, posted.content
    burst_seconds = time.monotonic() - burst_started

    body = wait_for(
        lambda: (b := gaps(client, "roundtrip"))["status"] == "fresh" and b["n_responses"] == N and b,
        what=f"fresh gaps over {N} responses", worker=celery_worker,
    )
    assert body["gap5"]["overall"]["gap"] == pytest.approx(-0.92)
    assert body["gap5"]["overall"]["n"] == N
    assert body["gap5"]["items"]["TAN1"]["gap"] == pytest.approx(-1.0)
    assert body["gap5"]["items"]["TAN1"]["mean_e"] == pytest.approx(6.0)
    assert body["gap5"]["items"]["TAN1"]["mean_p"] == pytest.approx(5.0)
    assert body["gap5"]["items"]["REL1"]["gap"] == pytest.approx(1.0)
    assert body["gap5"]["dimensions"]["reliability"]["gap"] == pytest.approx(-0.6)
    assert body["gap5"]["weighted_overall"]["gap"] is None

    # Every recompute the burst queued has run (the worker logs "received" when
    # a task arrives and "succeeded" when it ends): fewer recomputes than
    # submissions, because the burst was folded in (GAP_RECOMPUTE_DELAY = 0.5 s).
    def recomputes_settled() -> int:
        log = celery_worker.log()[log_start:]
        received = task_lines(log, "received")
        return received if received == task_lines(log, "succeeded") else 0

    recomputes = wait_for(recomputes_settled, what="the queued recomputes", worker=celery_worker)
    assert 1 <= recomputes < N, f"{recomputes} recomputes for {N} submissions in {burst_seconds:.2f} s"

    requested = client.post("/api/audits/roundtrip/recompute/")
    assert requested.status_code == 202, requested.content
    task_id = requested.json()["task_id"]
    job = wait_for(
        lambda: (j := client.get(f"/api/tasks/{task_id}/").json())["status"] in {"done", "failed"} and j,
        what="the requested recompute", worker=celery_worker,
    )
    assert job["status"] == "done", job
    assert gaps(client, "roundtrip")["status"] == "fresh"
