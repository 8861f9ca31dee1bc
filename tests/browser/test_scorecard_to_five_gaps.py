"""An inspector fills the call-centre scorecard; the manager sees gap 3 move on the
five-gap dashboard (issue 3). Chromium as in test_csp.py, Celery eager: the
inspection's recompute has run when its page answers.

The audit (scale 7) covers the units HOTLINE and HALL-1 under CHAIN; the manager
holds the manager role on CHAIN (the whole audit), the inspector the staff role on
HOTLINE. Quality standards: ASS3 = 6, REL1 = 6 (no other item has one). Before the
inspection, one self-assessment of HOTLINE scores ASS3 5:

    gap 3  ASS3 = 5 − 6 = −1     REL1 no evidence: "no data"
           assurance −1, reliability "no data", overall −1.00

The call-centre scorecard with only "greeting" (ASS3, 10 points) failed gives, per
item (METHOD.md §6, score = 1 + (K−1)·(1 − deducted/maximum)):

    ASS3 (greeting 10 + closing 5)  1 + 6·(1 − 10/15) = 3.0
    REL1 (callback 15)              7.0    and ASS1, EMP3, EMP5, RES2, REL3 7.0 (no standard)

    gap 3  ASS3 = mean(5, 3) − 6 = −2     REL1 = 7 − 6 = +1
           assurance −2, reliability +1, the others "no data"
           overall = (−2 + 1)/2 = −0.50
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.test import Client

from accounts.models import Role, RoleAssignment
from provider.delivery import self_assessment_submit
from provider.standards import standard_set
from surveys.models import Instrument, Unit
from surveys.selectors import audit_layout
from surveys.services import audit_create, response_submit
from tests.browser.test_csp import WATCH_CSP, record_console_error
from tests.browser.test_survey_to_dashboard import CHROMIUM_ARGS, TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "hotline-audit"
NO_DATA = "no data"


@contextmanager
def browser_pages(*, cookies: dict[str, dict]) -> Iterator[dict]:
    """One desktop page per signed-in user, each in its own browser context, all
    collecting console errors and CSP violations."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            pages = {}
            for name, cookie in cookies.items():
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.set_default_timeout(TIMEOUT_MS)
                context.add_cookies([cookie])
                context.add_init_script(WATCH_CSP)
                page = context.new_page()
                page.console_errors = []
                page.on("console", lambda msg, page=page: record_console_error(page, msg))
                page.on("pageerror", lambda exc, page=page: page.console_errors.append(str(exc)))
                pages[name] = page
            yield pages
        finally:
            browser.close()


def session_cookie(user, live_server) -> dict:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value, "url": live_server.url}


@pytest.fixture
def hotline_audit(celery_eager):
    """The audit, its standards, a prior self-assessment and two customer responses,
    computed (eagerly) as each write commits."""
    chain = Unit.objects.create(code="CHAIN", name="Chain")
    hotline = Unit.objects.create(code="HOTLINE", name="Customer hotline", parent=chain)
    hall = Unit.objects.create(code="HALL-1", name="Hall 1", parent=chain)
    audit = audit_create(slug=SLUG, title="Hotline audit", instrument=Instrument.objects.get(code="servqual"),
                         units=[hotline, hall], scale=7)
    standard_set(audit=audit, item_code="ASS3", unit=None, level=6, description="Greet with the standard phrase")
    standard_set(audit=audit, item_code="REL1", unit=None, level=6, description="Call back when promised")
    self_assessment_submit(audit=audit, unit=hotline, scores={"ASS3": 5})
    for unit in ("HOTLINE", "HALL-1"):
        response_submit(
            audit=audit, submission_id=uuid.uuid4(), unit_code=unit,
            answers={code: {"expectation": 6, "perception": 5} for code in audit_layout(audit=audit).item_codes},
        )
    audit.refresh_from_db()
    assert audit.result_status == "fresh"
    return audit, chain, hotline


@pytest.fixture
def cookies(hotline_audit, django_user_model, live_server) -> dict[str, dict]:
    _audit, chain, hotline = hotline_audit
    manager = django_user_model.objects.create_user("chain-manager", "manager@example.com", "unused")
    RoleAssignment.objects.create(user=manager, role=Role.MANAGER, unit=chain)
    inspector = django_user_model.objects.create_user("hotline-checker", "checker@example.com", "unused")
    RoleAssignment.objects.create(user=inspector, role=Role.STAFF, unit=hotline)
    return {"manager": session_cookie(manager, live_server), "inspector": session_cookie(inspector, live_server)}


def assert_clean(page) -> None:
    assert page.evaluate("window.__cspViolations") == [], page.url
    assert page.console_errors == [], page.url


def open_five_gaps(page, base: str) -> None:
    page.goto(f"{base}/audits/{SLUG}/gaps/")
    page.wait_for_function(
        "() => { const el = document.getElementById('chart-gap-matrix');"
        " return el && el.classList.contains('js-plotly-plot') && el.querySelector('svg.main-svg'); }"
    )


def gap3_figures(page) -> dict[str, str]:
    """Gap 3 as the manager reads it: the diagram badge, its card and the matrix table."""
    def cell(selector: str) -> str:
        # Columns: the row label, then gaps 1..5.
        return page.locator(f"#matrix-table {selector} td").nth(2).inner_text().strip()

    return {
        "badge": page.locator("#gap-badge-3 .gd-badge-value").text_content().strip(),
        "badge_data": page.locator("#gap-badge-3").get_attribute("data-value"),
        "card": page.locator("#gap-card-3 .gap-value").inner_text().strip(),
        "overall": cell("tr.row-overall"),
        "assurance": cell('tr[data-code="assurance"]'),
        "reliability": cell('tr[data-code="reliability"]'),
        "ASS3": cell('tr[data-code="ASS3"]'),
        "REL1": cell('tr[data-code="REL1"]'),
        "ASS1": cell('tr[data-code="ASS1"]'),
    }


def test_an_inspection_moves_gap_3_on_the_managers_five_gap_page(require_services, live_server, cookies):
    require_services("chromium", "playwright")
    base = live_server.url
    # No ORM call below: Playwright's sync API runs an event loop in this thread.
    with browser_pages(cookies=cookies) as pages:
        manager, inspector = pages["manager"], pages["inspector"]

        open_five_gaps(manager, base)
        assert manager.locator("#audit-nav a.active").inner_text().strip() == "Five gaps"
        assert manager.locator('#audit-nav a[data-nav="inspection"]').count() == 0  # not a staff member
        assert gap3_figures(manager) == {
            "badge": "-1.00", "badge_data": "-1.00", "card": "-1.00", "overall": "-1.00",
            "assurance": "-1.00", "reliability": NO_DATA, "ASS3": "-1.00", "REL1": NO_DATA, "ASS1": NO_DATA,
        }
        assert "sev-moderate" in manager.locator("#gap-badge-3").get_attribute("class")
        assert_clean(manager)

        # The inspector scores one call with the call-centre scorecard.
        inspector.goto(f"{base}/audits/{SLUG}/inspections/new/")
        assert inspector.locator("#audit-nav a.active").inner_text().strip() == "New inspection"
        assert inspector.locator('#audit-nav a[data-nav="five-gaps"]').count() == 0  # not a manager
        with inspector.expect_navigation():
            inspector.select_option("#template-choice", "service-hall-visit")
        with inspector.expect_navigation():
            inspector.select_option("#template-choice", "call-centre-call")  # the page reloads with it
        assert re.search(r"[?&]template=call-centre-call\b", inspector.url)
        assert inspector.locator("#inspection-form input[name=template]").input_value() == "call-centre-call"
        inspector.select_option("#id_unit", "HOTLINE")
        inspector.fill("#id_reference", "CALL-20240501-0042")
        inspector.check("#check-greeting")
        assert inspector.locator("#deduction-total").inner_text() == "10"  # inspection.js keeps the total
        assert_clean(inspector)
        inspector.locator("#inspection-form button[type=submit]").click()
        inspector.wait_for_url(re.compile(rf"/audits/{SLUG}/inspections/\d+/$"))
        scores = {row.locator("code").inner_text(): row.locator("td").nth(2).locator("strong").inner_text()
                  for row in inspector.locator("#item-scores tbody tr").all()}
        assert scores == {"ASS3": "3.00", "ASS1": "7.00", "EMP3": "7.00", "EMP5": "7.00", "RES2": "7.00",
                          "REL3": "7.00", "REL1": "7.00"}
        assert_clean(inspector)

        # The manager reloads: gap 3 has moved.
        open_five_gaps(manager, base)
        assert gap3_figures(manager) == {
            "badge": "-0.50", "badge_data": "-0.50", "card": "-0.50", "overall": "-0.50",
            "assurance": "-2.00", "reliability": "1.00", "ASS3": "-2.00", "REL1": "1.00", "ASS1": NO_DATA,
        }
        assert "sev-minor" in manager.locator("#gap-badge-3").get_attribute("class")
        assert manager.locator("#result-status").inner_text().strip() == "fresh"
        assert_clean(manager)
