"""A customer answers the survey on a phone; the manager sees the result drawn.

Chromium (Debian's, not Playwright's download) drives the live test server.
Tasks run eagerly here, so the submission's recompute has finished by the time
the thank-you page is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.test import Client

from surveys.links import link_issue, link_path
from surveys.models import Instrument
from surveys.services import audit_create, units_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
EXPECTATION, PERCEPTION = 6, 5  # every item: gap −1
POINTS = [30, 20, 20, 15, 15]  # importance over the five SERVQUAL dimensions
TIMEOUT_MS = 20_000


@contextmanager
def phone_page(*, cookies: list[dict]) -> Iterator:
    """A page in headless Chromium with a phone's viewport and touch screen."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(**PHONE)
            context.set_default_timeout(TIMEOUT_MS)
            context.add_cookies(cookies)
            yield context.new_page()
        finally:
            browser.close()


@pytest.fixture
def manager_cookie(django_user_model, live_server) -> dict:
    """A logged-in staff session, as a browser cookie for the live server."""
    user = django_user_model.objects.create_superuser("manager", "manager@example.com", "unused-password")
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value, "url": live_server.url}


def test_a_phone_survey_shows_up_on_the_dashboard(
    require_services, live_server, celery_eager, manager_cookie
):
    require_services("chromium", "playwright")
    [hall] = units_ensure(codes=["hall-1"])
    audit = audit_create(
        slug="phone-audit", title="Phone audit", instrument=Instrument.objects.get(code="servqual"),
        units=[hall], scale=7,
    )
    survey_path = link_path(link_issue(audit=audit, unit=hall))  # the signed link a QR code would carry
    # No ORM call below: Playwright's sync API runs an event loop in this thread.
    with phone_page(cookies=[manager_cookie]) as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        fill_survey_and_see_dashboard(page, live_server.url, survey_path)
        assert errors == []


def fill_survey_and_see_dashboard(page, base_url: str, survey_path: str) -> None:
    page.goto(f"{base_url}{survey_path}")
    names = page.eval_on_selector_all(
        "#survey-form input[type=radio]", "els => [...new Set(els.map(e => e.name))]"
    )
    assert len(names) == 44, names  # 22 items × (expectation, perception)
    for name in names:
        value = EXPECTATION if name.startswith("E_") else PERCEPTION
        # The label is the tap target; the radio inside it may be styled away.
        page.locator(f'label:has(> input[type=radio][name="{name}"][value="{value}"])').tap()
        assert page.locator(f'input[name="{name}"][value="{value}"]').is_checked(), name

    points = page.locator("input[data-importance]")
    assert points.count() == len(POINTS)
    for i, value in enumerate(POINTS):
        points.nth(i).fill(str(value))
    assert page.locator("#importance-total").inner_text() == "100"

    page.locator("#survey-form button[type=submit]").tap()
    page.wait_for_url(re.compile(re.escape(survey_path) + "thanks/$"))
    assert "Thank you" in page.locator("h1").inner_text()

    page.goto(f"{base_url}/audits/phone-audit/dashboard/")
    charts = page.locator(".chart")
    assert charts.count() >= 2
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart')].every("
        "el => el.dataset.rendered === '1' && el.querySelector('.main-svg'))",
        timeout=TIMEOUT_MS,
    )
    assert page.locator("#chart-item-gaps .main-svg").count() >= 1
    assert page.locator("#metric-responses .value").inner_text().strip() == "1"
    assert "n = 1" in page.locator("#metric-overall").inner_text()
    assert page.locator("#metric-overall .value").inner_text().strip() in {"-1.00", "−1.00"}
