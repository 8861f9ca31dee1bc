"""Hardening: production settings pass `check --deploy`, secure headers, the Content
Security Policy's nonce, and nothing but the public survey is indexable."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from surveys.links import link_issue, link_path
from surveys.models import Instrument, Unit
from surveys.services import audit_create

BASE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES = BASE_DIR / "templates"
NONCE_ATTR = 'nonce="{{ request.csp_nonce }}"'


def production_env(**extra: str) -> dict[str, str]:
    """A production environment: DEBUG off, a strong key, a host; no pytest in that process."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(BASE_DIR),
        "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "example.com", **extra,
    }


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=120)


PROBE = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gapaudit.settings")
import django
django.setup()
from django.conf import settings as s
print(json.dumps({k: getattr(s, k, None) for k in (
    "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "CSRF_TRUSTED_ORIGINS",
    "SESSION_COOKIE_HTTPONLY", "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY", "SURVEY_RATE_LIMIT_POST")}))
"""


def settings_in(env: dict[str, str]) -> dict:
    result = run(["-c", PROBE], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- production settings

class TestProductionSettings:
    def test_check_deploy_reports_no_issues_with_production_settings(self):
        result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout

    def test_production_defaults_are_https_only(self):
        found = settings_in(production_env(CSRF_TRUSTED_ORIGINS="https://example.com"))
        assert found == {
            "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
            "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
            "SECURE_PROXY_SSL_HEADER": None, "CSRF_TRUSTED_ORIGINS": ["https://example.com"],
            "SESSION_COOKIE_HTTPONLY": True, "X_FRAME_OPTIONS": "DENY", "SECURE_REFERRER_POLICY": "same-origin",
            "SURVEY_RATE_LIMIT_POST": "10/m",
        }

    def test_each_setting_follows_its_environment_variable(self):
        found = settings_in(production_env(
            SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="600", SECURE_HSTS_PRELOAD="0",
            SECURE_HSTS_INCLUDE_SUBDOMAINS="0", SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
            SURVEY_RATE_LIMIT_POST="5/m",
        ))
        assert found["SECURE_SSL_REDIRECT"] is False and found["SESSION_COOKIE_SECURE"] is True
        assert (found["SECURE_HSTS_SECONDS"], found["SECURE_HSTS_PRELOAD"]) == (600, False)
        assert found["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
        assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
        assert found["SURVEY_RATE_LIMIT_POST"] == "5/m"

    def test_plain_http_when_https_is_off_or_in_debug(self):
        for env in (production_env(HTTPS="0"), {**production_env(), "DEBUG": "1"}):
            found = settings_in(env)
            assert found["SECURE_SSL_REDIRECT"] is False
            assert found["SESSION_COOKIE_SECURE"] is False and found["CSRF_COOKIE_SECURE"] is False
            assert found["SECURE_HSTS_SECONDS"] == 0

    def test_the_test_suite_and_its_live_server_run_over_http(self):
        assert settings.SECURE_SSL_REDIRECT is False and settings.SESSION_COOKIE_SECURE is False


# ---------------------------------------------------------------- headers on every page

@pytest.fixture
def audit(db, client, admin_user):
    """An audit; `client` is signed in as an admin (the audit pages need a role since issue 4)."""
    client.force_login(admin_user)
    chain = Unit.objects.create(code="chain", name="Chain")
    Unit.objects.create(code="hall-1", name="Hall 1", parent=chain)
    return audit_create(slug="spring", title="Spring audit", units=[chain],
                        instrument=Instrument.objects.get(code="servqual"))


@pytest.fixture
def survey_path(audit):
    return link_path(link_issue(audit=audit, unit=Unit.objects.get(code="hall-1")))


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def executable_scripts(html: str) -> list[str]:
    """Every <script> opening tag but the data blocks (json_script), which never run."""
    return [tag for tag in re.findall(r"<script\b[^>]*>", html) if 'type="application/json"' not in tag]


@pytest.mark.django_db
class TestContentSecurityPolicy:
    def test_the_policy_has_every_directive(self, client, audit):
        found = policy(client.get("/audits/"))
        nonce = [v for v in found["script-src"] if v.startswith("'nonce-")]
        assert found["script-src"] == ["'self'", *nonce] and len(nonce) == 1
        assert found["default-src"] == ["'self'"]
        assert found["style-src"] == ["'self'", "'unsafe-inline'"]
        assert found["img-src"] == ["'self'", "data:", "blob:"]
        assert found["font-src"] == found["connect-src"] == found["base-uri"] == found["form-action"] == ["'self'"]
        assert found["object-src"] == found["frame-ancestors"] == ["'none'"]
        assert "'unsafe-eval'" not in response_text(found)

    @pytest.mark.parametrize("page", ["audit list", "survey", "dashboard", "links", "api docs"])
    def test_every_script_carries_the_nonce_of_the_header(self, client, audit, survey_path, page):
        path = {"audit list": "/audits/", "survey": survey_path, "dashboard": "/audits/spring/dashboard/",
                "links": "/audits/spring/links/", "api docs": "/api/docs/"}[page]
        response = client.get(path)
        assert response.status_code == 200
        [nonce] = [v[7:-1] for v in policy(response)["script-src"] if v.startswith("'nonce-")]
        scripts = executable_scripts(response.content.decode())
        assert scripts, "the page has scripts"
        for tag in scripts:
            assert f'nonce="{nonce}"' in tag, tag

    def test_each_response_has_a_new_nonce(self, client, audit):
        first, second = (policy(client.get("/audits/"))["script-src"][1] for _ in range(2))
        assert first != second

    def test_every_script_tag_in_the_templates_has_the_nonce_and_no_inline_handlers(self):
        missing, handlers = [], []
        for path in sorted(TEMPLATES.rglob("*.html")):
            source = path.read_text(encoding="utf-8")
            missing += [f"{path.relative_to(BASE_DIR)}: {tag}" for tag in re.findall(r"<script\b[^>]*>", source)
                        if NONCE_ATTR not in tag]
            handlers += [f"{path.relative_to(BASE_DIR)}: {m}" for m in re.findall(r"\son[a-z]+=\"", source)]
        assert missing == []
        assert handlers == []


def response_text(found: dict[str, list[str]]) -> str:
    return " ".join(v for values in found.values() for v in values)


@pytest.mark.django_db
class TestHeadersAndIndexing:
    def test_secure_headers(self, client, audit):
        response = client.get("/audits/")
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"

    @pytest.mark.parametrize("path", ["/", "/audits/", "/audits/spring/links/", "/admin/login/", "/api/audits/",
                                      "/api/docs/", "/audits/nope/edit/"])
    def test_staff_and_admin_pages_are_not_indexable(self, client, audit, path):
        response = client.get(path)
        assert response["X-Robots-Tag"] == "noindex, nofollow", path

    def test_the_staff_pages_say_noindex_in_the_html_too(self, client, audit):
        assert '<meta name="robots" content="noindex">' in client.get("/audits/").content.decode()

    def test_the_public_survey_page_is_indexable(self, client, survey_path):
        response = client.get(survey_path)
        assert response.status_code == 200
        assert "X-Robots-Tag" not in response
        assert 'name="robots"' not in response.content.decode()

    def test_survey_error_pages_are_not_indexable(self, client, audit):
        response = client.get("/s/not-a-link/")
        assert response.status_code == 404 and response["X-Robots-Tag"] == "noindex, nofollow"

    def test_robots_txt_allows_only_the_survey(self, client):
        response = client.get(reverse("robots-txt"))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response.content.decode() == "User-agent: *\nAllow: /s/\nDisallow: /\n"
