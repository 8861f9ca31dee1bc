"""The pages work under the Content Security Policy: no violation in Chromium, and
plotly draws the dashboard's charts with nonced scripts and no 'unsafe-eval'.

Same launch as test_survey_to_dashboard.py: Debian's /usr/bin/chromium through Playwright.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.test import Client

from surveys.links import link_issue, link_path
from surveys.models import Instrument
from surveys.selectors import audit_layout
from surveys.services import audit_create, response_submit, units_ensure
from tests.browser.test_survey_to_dashboard import CHROMIUM_ARGS, TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Records every violation the page reports, before any of its own scripts run.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                              " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


@contextmanager
def watched_page(*, cookies: list[dict]) -> Iterator:
    """A desktop page in headless Chromium that collects console errors and CSP violations."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(TIMEOUT_MS)
            context.add_cookies(cookies)
            context.add_init_script(WATCH_CSP)
            page = context.new_page()
            page.console_errors = []
            page.on("console", lambda msg: record_console_error(page, msg))
            page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
            yield page
        finally:
            browser.close()


def record_console_error(page, msg) -> None:
    # The browser's own request for /favicon.ico (the app has none) is not the page's error.
    if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
        page.console_errors.append(f"{msg.text} ({msg.location.get('url')})")


@pytest.fixture
def manager_cookie(django_user_model, live_server) -> dict:
    user = django_user_model.objects.create_superuser("csp-manager", "csp@example.com", "unused-password")
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value, "url": live_server.url}


@pytest.fixture
def computed_audit(celery_eager):
    """An audit with six responses, computed (eagerly) when each response commits."""
    [hall] = units_ensure(codes=["csp-hall"])
    audit = audit_create(slug="csp-audit", title="CSP audit", units=[hall],
                         instrument=Instrument.objects.get(code="servqual"))
    layout = audit_layout(audit=audit)
    for perception in (3, 4, 5, 6, 5, 4):
        response_submit(
            audit=audit, submission_id=uuid.uuid4(), unit_code="csp-hall",
            answers={code: {"expectation": 6, "perception": perception} for code in layout.item_codes},
            importance={"tangibles": 10, "reliability": 30, "responsiveness": 20, "assurance": 20, "empathy": 20},
        )
    audit.refresh_from_db()
    assert audit.result_status == "fresh"
    return audit, link_path(link_issue(audit=audit, unit=hall))


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_the_dashboard_survey_links_and_api_docs_work_under_the_policy(
    require_services, live_server, manager_cookie, computed_audit
):
    require_services("chromium", "playwright")
    audit, survey_path = computed_audit
    base = live_server.url
    # No ORM call below: Playwright's sync API runs an event loop in this thread.
    with watched_page(cookies=[manager_cookie]) as page:
        response = page.goto(f"{base}/audits/{audit.slug}/dashboard/")
        assert "'nonce-" in response.headers["content-security-policy"]
        charts = page.locator(".chart[data-chart]")
        assert charts.count() >= 2
        page.wait_for_function(
            "() => [...document.querySelectorAll('.chart[data-chart]')].every("
            "el => el.classList.contains('js-plotly-plot') && el.querySelector('svg.main-svg'))"
        )
        assert page.locator(".js-plotly-plot svg.main-svg").count() >= charts.count()
        assert violations(page) == [] and page.console_errors == []

        page.goto(f"{base}{survey_path}")
        page.locator("input[data-importance]").first.fill("40")
        assert page.locator("#importance-total").inner_text() == "40"  # survey.js ran
        assert violations(page) == [] and page.console_errors == []

        page.goto(f"{base}/audits/{audit.slug}/links/")
        page.wait_for_function("() => document.querySelector('img.qr-preview').naturalWidth > 0")
        assert violations(page) == [] and page.console_errors == []

        page.goto(f"{base}/api/docs/")
        page.wait_for_selector(".swagger-ui .opblock")
        assert page.locator(".swagger-ui .opblock").count() > 5
        assert violations(page) == [] and page.console_errors == []

        # Django's admin: its scripts are files of our origin, allowed without a nonce.
        for path in ("/admin/", "/admin/surveys/audit/add/", "/admin/surveys/unit/"):
            page.goto(f"{base}{path}")
            assert page.locator("#content").count() == 1
            assert violations(page) == [] and page.console_errors == [], path

        # The language menu switches without an inline handler.
        page.goto(f"{base}/audits/")
        page.select_option("#lang-select", "zh-hans")
        page.wait_for_selector("html[lang=zh-hans]")
        assert violations(page) == [] and page.console_errors == []

        # The watch itself works: a script without the nonce is blocked and reported.
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
                      " document.body.appendChild(s); }")
        page.wait_for_function("() => window.__cspViolations.length > 0")
        assert page.evaluate("window.ran") is None
        assert violations(page)[0].startswith("script-src-elem blocked inline")
