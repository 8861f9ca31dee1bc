"""Signed survey links, their QR codes, the response API's token, rate limits and the survey's privacy."""

from __future__ import annotations

import struct
import uuid
import zlib
from xml.etree import ElementTree

import pytest
import segno
from django.contrib.sessions.models import Session
from django.core import signing
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import RoleAssignment
from gapaudit.security import client_ip
from surveys.links import SALT, link_issue, link_path, link_reissue, link_revoke, link_token
from surveys.models import Instrument, Response, SurveyLink, Unit
from surveys.services import audit_create, audit_update

pytestmark = pytest.mark.django_db

ITEMS = [f"{p}{i}" for p, k in (("TAN", 4), ("REL", 5), ("RES", 4), ("ASS", 4), ("EMP", 5)) for i in range(1, k + 1)]
INVALID = "This survey link is not valid"
WITHDRAWN = "This survey link has been withdrawn"
TOO_MANY = "Too many attempts from your network, please wait a minute"


@pytest.fixture
def units():
    chain = Unit.objects.create(code="chain", name="Chain")
    hall = Unit.objects.create(code="hall-1", name="Hall 1", parent=chain)
    hall2 = Unit.objects.create(code="hall-2", name="Hall 2", parent=chain)
    return chain, hall, hall2


@pytest.fixture
def audit(units):
    return audit_create(slug="spring", title="Spring audit", units=[units[0]],
                        instrument=Instrument.objects.get(code="servqual"))


@pytest.fixture
def hall(units):
    return units[1]


@pytest.fixture
def link(audit, hall):
    return link_issue(audit=audit, unit=hall)


def with_role(user, role: str, unit=None):
    RoleAssignment.objects.create(user=user, role=role, unit=unit)
    return user


@pytest.fixture
def manager(client, django_user_model, units):
    """The client, signed in as a manager of the whole chain (the audit's unit)."""
    user = django_user_model.objects.create_user("manager", "manager@example.com", "unused")
    client.force_login(with_role(user, "manager", units[0]))
    return client


def form_data(**answers) -> dict:
    data = {"submission_id": str(uuid.uuid4())}
    data.update({f"{c}_{item}": "" for item in ITEMS for c in "EP"})
    data.update({k: str(v) for k, v in answers.items()})
    return data


def text(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- the signed link

class TestSignedLinks:
    def test_a_valid_link_opens_the_survey_of_its_audit_and_unit(self, client, link):
        page = client.get(link_path(link))
        assert page.status_code == 200
        assert page.context["audit"].slug == "spring" and page.context["unit"].code == "hall-1"
        assert "Spring audit" in text(page) and "Hall 1" in text(page)

    def test_the_token_signs_audit_unit_and_key_with_the_survey_link_salt(self, audit, hall, link):
        token = link_token(link)
        assert signing.Signer(salt=SALT).unsign_object(token) == [audit.pk, hall.pk, link.key]
        assert link_path(link) == f"/s/{token}/"
        assert len(link.key) == 12

    def test_one_current_link_per_audit_and_unit(self, audit, hall, link):
        assert link_issue(audit=audit, unit=hall) == link
        assert SurveyLink.objects.count() == 1

    @pytest.mark.parametrize("tamper", [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: "X" + t[1:],  # the signed payload
        lambda t: t.split(":")[0],  # no signature at all
        lambda t: "garbage",
        lambda t: t + "%00",
    ])
    def test_a_tampered_signature_gets_a_clear_404_without_a_trace(self, client, link, tamper):
        page = client.get(f"/s/{tamper(link_token(link))}/")
        assert page.status_code == 404
        assert INVALID in text(page)
        assert "Traceback" not in text(page)

    def test_a_valid_signature_over_another_units_ids_is_not_a_link(self, client, audit, link, units):
        # Signed correctly, but no link has this (audit, unit, key): the key is per link.
        forged = signing.Signer(salt=SALT).sign_object([audit.pk, units[2].pk, link.key])
        page = client.get(f"/s/{forged}/")
        assert page.status_code == 404 and INVALID in text(page)

    def test_a_token_signed_with_another_salt_is_not_a_link(self, client, audit, hall, link):
        other = signing.Signer(salt="something-else").sign_object([audit.pk, hall.pk, link.key])
        page = client.get(f"/s/{other}/")
        assert page.status_code == 404 and INVALID in text(page)

    def test_the_unsigned_slug_and_unit_links_do_not_open_a_survey(self, client, link):
        for path in ("/s/spring/hall-1/", "/s/spring/hall-1/thanks/"):
            page = client.get(path)
            assert page.status_code == 404 and INVALID in text(page), path
        assert client.post("/s/spring/hall-1/", form_data(E_REL1=5)).status_code == 404
        assert not Response.objects.exists()

    def test_a_revoked_link_answers_410_with_the_withdrawn_page_and_stores_nothing(self, client, audit, hall, link):
        assert link_revoke(audit=audit, unit=hall) == 1
        page = client.get(link_path(link))
        assert page.status_code == 410
        assert WITHDRAWN in text(page) and "Spring audit" in text(page)
        assert client.post(link_path(link), form_data(E_REL1=5)).status_code == 410
        assert not Response.objects.exists()

    def test_a_new_link_leaves_the_old_one_dead_and_works_itself(self, client, audit, hall, link):
        new = link_reissue(audit=audit, unit=hall)
        assert new.key != link.key
        assert client.get(link_path(link)).status_code == 410
        assert client.get(link_path(new)).status_code == 200
        # Reissuing after a revocation also creates a new key: the revoked one stays dead.
        link_revoke(audit=audit, unit=hall)
        newer = link_reissue(audit=audit, unit=hall)
        assert len({link.key, new.key, newer.key}) == 3
        assert [client.get(link_path(x)).status_code for x in (link, new, newer)] == [410, 410, 200]

    def test_a_closed_audit_link_answers_410_with_the_closed_page(self, client, audit, link):
        audit_update(audit=audit, is_open=False)
        page = client.get(link_path(link))
        assert page.status_code == 410
        assert "This survey is closed" in text(page)
        assert "“Spring audit” is no longer accepting answers." in text(page)
        assert client.post(link_path(link), form_data(E_REL1=5)).status_code == 410
        assert not Response.objects.exists()

    def test_a_link_whose_unit_left_the_audit_gets_a_clear_404(self, client, audit, units, link):
        audit_update(audit=audit, units=[units[2]])
        page = client.get(link_path(link))
        assert page.status_code == 404
        assert "We could not find this survey" in text(page)

    def test_the_thank_you_page_lives_under_the_signed_link(self, client, link):
        page = client.post(link_path(link), form_data(E_REL1=6, P_REL1=4))
        assert page.status_code == 302 and page.url == link_path(link) + "thanks/"
        thanks = client.get(page.url)
        assert thanks.status_code == 200 and "Thank you!" in text(thanks)
        assert Response.objects.get().unit.code == "hall-1"
        tampered = client.get("/s/" + link_token(link)[:-2] + "xx/thanks/")
        assert tampered.status_code == 404 and INVALID in text(tampered)


# ---------------------------------------------------------------- rate limits

class TestRateLimits:
    def test_a_burst_of_survey_views_gets_429_with_a_friendly_page(self, client, settings, link):
        settings.SURVEY_RATE_LIMIT_GET = "3/m"
        assert [client.get(link_path(link)).status_code for _ in range(3)] == [200, 200, 200]
        page = client.get(link_path(link))
        assert page.status_code == 429
        assert TOO_MANY in text(page)
        assert page["Retry-After"] == "60"
        # Another network is not held back.
        assert client.get(link_path(link), REMOTE_ADDR="203.0.113.9").status_code == 200

    def test_a_burst_of_submissions_gets_429_and_stores_only_what_came_before(self, client, settings, link):
        settings.SURVEY_RATE_LIMIT_POST = "2/m"
        codes = [client.post(link_path(link), form_data(E_REL1=5)).status_code for _ in range(3)]
        assert codes == [302, 302, 429]
        assert Response.objects.count() == 2

    def test_guessing_links_counts_against_the_limit_too(self, client, settings, link):
        settings.SURVEY_RATE_LIMIT_GET = "2/m"
        assert [client.get(f"/s/guess-{i}/").status_code for i in range(2)] == [404, 404]
        page = client.get(link_path(link))
        assert page.status_code == 429 and TOO_MANY in text(page)

    def test_a_burst_of_anonymous_api_responses_gets_429_json(self, settings, audit, link):
        settings.SURVEY_RATE_LIMIT_API = "2/m"
        api = APIClient()
        codes = [api.post("/api/audits/spring/responses/", body(token=link_token(link)), format="json").status_code
                 for _ in range(2)]
        limited = api.post("/api/audits/spring/responses/", body(token=link_token(link)), format="json")
        assert codes == [201, 201]
        assert limited.status_code == 429
        assert limited.json() == {"detail": "Too many attempts from your network, please wait a minute."}
        assert Response.objects.count() == 2

    def test_signed_in_api_clients_are_not_rate_limited(self, settings, audit, django_user_model):
        settings.SURVEY_RATE_LIMIT_API = "1/m"
        api = APIClient()
        api.force_login(with_role(django_user_model.objects.create_user("importer"), "admin"))
        codes = [api.post("/api/audits/spring/responses/", body(), format="json").status_code for _ in range(3)]
        assert codes == [201, 201, 201]

    def test_an_empty_rate_turns_the_limit_off(self, client, settings, link):
        settings.SURVEY_RATE_LIMIT_GET = ""
        assert {client.get(link_path(link)).status_code for _ in range(5)} == {200}

    def test_the_limit_works_on_the_redis_cache(self, client, settings, link, require_services):
        require_services("redis")
        import redis

        from tests.conftest import TEST_REDIS_URL

        prefix = f"test-ratelimit-{uuid.uuid4().hex[:12]}"
        settings.CACHES = {**settings.CACHES, "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": TEST_REDIS_URL,
            "KEY_PREFIX": prefix}}
        settings.SURVEY_RATE_LIMIT_GET = "2/m"
        try:
            assert [client.get(link_path(link)).status_code for _ in range(3)] == [200, 200, 429]
        finally:
            server = redis.Redis.from_url(TEST_REDIS_URL)
            for key in server.scan_iter(f"{prefix}*"):
                server.delete(key)


    def test_an_unreachable_counter_cache_does_not_fail_the_survey(self, client, settings, link, caplog):
        settings.CACHES = {**settings.CACHES, "ratelimit": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
        assert client.get(link_path(link)).status_code == 200
        assert "rate limit survey-get not checked" in caplog.text


class TestClientAddress:
    def request(self, remote="10.0.0.1", **headers):
        return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)

    def test_it_is_the_connections_address_by_default(self, settings):
        settings.CLIENT_IP_HEADER = ""
        assert client_ip(self.request(HTTP_X_FORWARDED_FOR="198.51.100.7")) == "10.0.0.1"

    def test_behind_a_proxy_it_is_the_last_forwarded_address(self, settings):
        settings.CLIENT_IP_HEADER = "X-Forwarded-For"
        # The first entry comes from the client and may be forged; the proxy appended the last one.
        assert client_ip(self.request(HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")) == "198.51.100.7"
        assert client_ip(self.request(HTTP_X_FORWARDED_FOR="not-an-ip")) == "10.0.0.1"
        assert client_ip(self.request()) == "10.0.0.1"

    def test_x_real_ip_and_ipv6(self, settings):
        settings.CLIENT_IP_HEADER = "X-Real-IP"
        assert client_ip(self.request(HTTP_X_REAL_IP="2001:db8::1")) == "2001:db8::1"


# ---------------------------------------------------------------- the response API's token

def body(**extra) -> dict:
    return {"submission_id": str(uuid.uuid4()), "unit": "hall-1", "channel": "web",
            "answers": {"REL1": {"expectation": 6, "perception": 5}}, **extra}


class TestApiToken:
    def post(self, payload, client=None):
        return (client or APIClient()).post("/api/audits/spring/responses/", payload, format="json")

    def test_a_customer_submits_with_the_token_of_the_units_link(self, link):
        response = self.post(body(token=link_token(link)))
        assert response.status_code == 201, response.content
        assert Response.objects.get().unit.code == "hall-1"

    @pytest.mark.parametrize("token, message", [
        (None, "Customers answer through a survey link: send the token of its signed link."),
        ("", "Customers answer through a survey link: send the token of its signed link."),
        ("garbage", "This survey link is not valid."),
    ])
    def test_a_missing_or_invalid_token_answers_400_on_token(self, link, token, message):
        payload = body() if token is None else body(token=token)
        response = self.post(payload)
        assert response.status_code == 400
        assert response.json() == {"token": [message]}
        assert not Response.objects.exists()

    def test_a_tampered_token_answers_400_on_token(self, link):
        token = link_token(link)
        response = self.post(body(token=token[:-1] + ("A" if token[-1] != "A" else "B")))
        assert response.json() == {"token": ["This survey link is not valid."]}

    def test_a_token_that_is_not_text_answers_400_on_token(self, link):
        response = self.post(body(token=12))
        assert response.status_code == 400 and list(response.json()) == ["token"]

    def test_a_revoked_token_answers_400_on_token(self, audit, hall, link):
        link_revoke(audit=audit, unit=hall)
        response = self.post(body(token=link_token(link)))
        assert response.status_code == 400
        assert response.json() == {"token": ["This survey link has been withdrawn."]}

    def test_the_token_of_another_unit_answers_400_on_token(self, audit, units, link):
        other = link_issue(audit=audit, unit=units[2])
        response = self.post(body(token=link_token(other)))
        assert response.json() == {"token": ["This survey link belongs to another audit or unit."]}
        assert not Response.objects.exists()

    def test_the_token_of_another_audit_answers_400_on_token(self, units, link):
        other_audit = audit_create(slug="autumn", title="Autumn", units=[units[0]],
                                   instrument=Instrument.objects.get(code="servqual"))
        response = self.post(body(token=link_token(link_issue(audit=other_audit, unit=units[1]))))
        assert response.status_code == 400
        assert response.json() == {"token": ["This survey link belongs to another audit or unit."]}

    def test_other_field_errors_are_reported_with_the_token_error(self, link):
        response = self.post(body(submission_id="not-a-uuid"))
        assert response.status_code == 400 and set(response.json()) == {"submission_id", "token"}

    def test_a_closed_audit_stays_400_on_audit(self, audit, link):
        audit_update(audit=audit, is_open=False)
        response = self.post(body(token=link_token(link)))
        assert response.status_code == 400
        assert list(response.json()) == ["audit"]

    def test_a_signed_in_user_needs_no_token(self, audit, django_user_model):
        api = APIClient()
        api.force_login(with_role(django_user_model.objects.create_user("importer"), "admin"))
        response = self.post(body(), client=api)
        assert response.status_code == 201, response.content


# ---------------------------------------------------------------- QR codes and the links page

def png_modules(data: bytes, scale: int, border: int) -> list[list[int]]:
    """The modules of a 1-bit greyscale PNG as segno writes it (filters none and up): 1 = dark."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, chunk = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, *_ = header
    assert (depth, colour) == (1, 0)
    raw, stride = zlib.decompress(idat), (width + 7) // 8 + 1
    rows, previous = [], bytes(stride - 1)
    for i in range(height):
        kind, line = raw[i * stride], raw[i * stride + 1:(i + 1) * stride]
        assert kind in (0, 2)  # none, or "up": each byte added to the one above
        previous = line if kind == 0 else bytes((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        rows.append(previous)

    def dark(x: int, y: int) -> int:
        return 0 if rows[y][x // 8] >> (7 - x % 8) & 1 else 1

    n = width // scale - 2 * border
    return [[dark((border + j) * scale + scale // 2, (border + i) * scale + scale // 2) for j in range(n)]
            for i in range(n)]


class TestQrCodes:
    def test_the_png_is_a_poster_sized_qr_code_of_the_absolute_link(self, manager, link):
        response = manager.get(reverse("audit-link-qr", args=["spring", "hall-1", "png"]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == 'attachment; filename="spring-hall-1.png"'
        assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
        expected = segno.make_qr(f"http://testserver{link_path(link)}", error="m")
        (width, height) = struct.unpack(">II", response.content[16:24])
        assert width == height == (expected.symbol_size(border=0)[0] + 8) * 16  # 16 px a module, 4 of border
        assert png_modules(response.content, 16, 4) == [list(row) for row in expected.matrix]

    def test_the_svg_is_an_svg_document_of_the_same_code(self, manager, link):
        response = manager.get(reverse("audit-link-qr", args=["spring", "hall-1", "svg"]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        assert response["Content-Disposition"] == 'attachment; filename="spring-hall-1.svg"'
        root = ElementTree.fromstring(response.content)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        url = f"http://testserver{link_path(link)}"
        expected = segno.make_qr(url, error="m")
        assert int(root.get("width")) == (expected.symbol_size(border=0)[0] + 8) * 10
        assert root.find("{http://www.w3.org/2000/svg}title").text == url

    def test_a_withdrawn_link_or_a_unit_outside_the_audit_has_no_qr_code(self, manager, audit, hall, link):
        Unit.objects.create(code="elsewhere", name="Elsewhere")
        assert manager.get(reverse("audit-link-qr", args=["spring", "elsewhere", "png"])).status_code == 404
        link_revoke(audit=audit, unit=hall)
        assert manager.get(reverse("audit-link-qr", args=["spring", "hall-1", "svg"])).status_code == 404


class TestLinksPage:
    def test_each_unit_has_its_link_qr_preview_downloads_and_buttons(self, manager, audit, units):
        html = text(manager.get(reverse("audit-links", args=["spring"])))
        for unit in units:
            link = SurveyLink.objects.get(audit=audit, unit=unit)
            assert f'value="http://testserver{link_path(link)}"' in html
            assert f'href="/audits/spring/links/{unit.code}/qr.png" download>Download PNG<' in html
            assert f'href="/audits/spring/links/{unit.code}/qr.svg" download>Download SVG<' in html
            assert f'action="/audits/spring/links/{unit.code}/revoke/"' in html
            assert f'action="/audits/spring/links/{unit.code}/reissue/"' in html
        assert html.count('class="qr-preview" src="data:image/svg+xml') == 3
        assert html.count('data-copy="link-') == 3

    def test_revoking_shows_the_withdrawn_state_and_reissuing_a_new_link(self, manager, audit, hall, link):
        page = manager.post(reverse("audit-link-revoke", args=["spring", "hall-1"]), follow=True)
        html = text(page)
        assert "The survey link of Hall 1 is withdrawn" in html
        assert link_path(link) not in html
        row = html[html.index('id="link-row-hall-1"'):]
        row = row[:row.index("</tr>")]
        assert "withdrawn" in row and "/links/hall-1/revoke/" not in row and "/links/hall-1/reissue/" in row

        page = manager.post(reverse("audit-link-reissue", args=["spring", "hall-1"]), follow=True)
        new = SurveyLink.objects.get(audit=audit, unit=hall, revoked_at__isnull=True)
        assert new.key != link.key
        assert "A new survey link for Hall 1 is ready" in text(page)
        assert f'value="http://testserver{link_path(new)}"' in text(page)

    def test_changing_links_needs_a_signed_in_post(self, client, manager, link):
        revoke = reverse("audit-link-revoke", args=["spring", "hall-1"])
        from django.test import Client

        anonymous = Client().post(revoke)
        assert anonymous.status_code == 302 and "login" in anonymous.url
        assert manager.get(revoke).status_code == 405
        assert manager.post(reverse("audit-link-reissue", args=["spring", "nowhere"])).status_code == 404
        assert SurveyLink.objects.get().revoked_at is None

    def test_the_links_page_needs_a_csrf_token_to_change_a_link(self, django_user_model, link):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        strict.force_login(with_role(django_user_model.objects.create_user("strict"), "admin"))
        assert strict.post(reverse("audit-link-revoke", args=["spring", "hall-1"])).status_code == 403
        assert SurveyLink.objects.get().revoked_at is None


# ---------------------------------------------------------------- privacy

class TestPrivacy:
    def test_the_survey_says_the_answers_are_anonymous(self, client, link):
        assert "Your answers are anonymous" in text(client.get(link_path(link)))

    def test_answering_stores_nothing_that_identifies_the_customer(self, client, link):
        client.get(link_path(link))
        page = client.post(link_path(link), form_data(E_REL1=6), HTTP_USER_AGENT="Phone/1.0",
                           REMOTE_ADDR="198.51.100.23")
        assert page.status_code == 302
        assert set(page.cookies) <= {"csrftoken"}
        assert {f.name for f in Response._meta.concrete_fields} == {
            "id", "audit", "unit", "submission_id", "channel", "submitted_at", "answers", "importance"}
        stored = Response.objects.get()
        assert stored.channel == "web"
        assert "198.51.100.23" not in repr(stored.__dict__) and "Phone/1.0" not in repr(stored.__dict__)
        assert not Session.objects.exists()
