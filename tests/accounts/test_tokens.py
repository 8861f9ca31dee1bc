"""API tokens: created on the settings page (secret shown once, stored hashed), used by scripts, revoked."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


class TestCreate:
    def test_the_secret_is_shown_once_and_only_its_hash_is_stored(self, client, people):
        client.force_login(people.manager)
        response = client.post("/account/tokens/", {"name": "nightly export"})
        assert response.status_code == 200
        key = response.context["new_key"]
        assert key.startswith("ga_") and len(key) == 3 + 43
        assert f'value="{key}"' in response.content.decode()
        token = ApiToken.objects.get(user=people.manager)
        assert (token.name, token.prefix, token.key_hash) == (
            "nightly export", key[:8], hashlib.sha256(key.encode()).hexdigest())
        assert token.last_used_at is None and token.revoked_at is None
        assert not ApiToken.objects.filter(key_hash=key).exists()

        again = client.get("/account/").content.decode()
        assert key not in again
        assert f"<code>{key[:8]}…</code>" in again

    def test_a_token_needs_a_name(self, client, people):
        client.force_login(people.manager)
        response = client.post("/account/tokens/", {"name": "  "})
        assert response.context["token_form"].errors == {"name": ["This field is required."]}
        assert not ApiToken.objects.exists()

    def test_two_tokens_never_share_a_key(self, people):
        _a, key_a = api_token_create(user=people.manager, name="a")
        _b, key_b = api_token_create(user=people.manager, name="b")
        assert key_a != key_b


class TestAuthentication:
    @pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer"])
    def test_a_live_token_authenticates_an_api_request(self, client, people, keyword):
        token, key = api_token_create(user=people.manager, name="script")
        response = client.get("/api/audits/", HTTP_AUTHORIZATION=f"{keyword} {key}")
        assert response.status_code == 200
        assert response.wsgi_request.user == people.manager
        token.refresh_from_db()
        assert token.last_used_at is not None

    def test_last_use_is_written_at_most_once_a_minute(self, client, people):
        token, key = api_token_create(user=people.manager, name="script")
        recent = timezone.now() - dt.timedelta(seconds=30)
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
        client.get("/api/audits/", HTTP_AUTHORIZATION=f"Token {key}")
        token.refresh_from_db()
        assert token.last_used_at == recent
        stale = timezone.now() - dt.timedelta(seconds=61)
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
        client.get("/api/audits/", HTTP_AUTHORIZATION=f"Token {key}")
        token.refresh_from_db()
        assert token.last_used_at > stale + dt.timedelta(seconds=60)

    def test_a_revoked_token_is_401_with_a_clear_message(self, client, people):
        token, key = api_token_create(user=people.manager, name="script")
        client.force_login(people.manager)
        assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
        client.logout()
        response = client.get("/api/audits/", HTTP_AUTHORIZATION=f"Token {key}")
        assert response.status_code == 401
        assert response.json() == {"detail": "This token has been revoked."}
        assert response["WWW-Authenticate"] == 'Token realm="api"'

    @pytest.mark.parametrize("header, detail", [
        ("Token ga_not-a-real-key", "Invalid token."),
        ("Token", "Invalid token header: use 'Token <key>' or 'Bearer <key>'."),
        ("Bearer a b", "Invalid token header: use 'Token <key>' or 'Bearer <key>'."),
    ])
    def test_a_wrong_key_or_header_is_401(self, client, header, detail):
        response = client.get("/api/audits/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401
        assert response.json() == {"detail": detail}

    def test_a_token_does_not_need_csrf(self, client, people):
        _token, key = api_token_create(user=people.admin, name="script")
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        response = strict.post("/api/audits/", {}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}")
        assert response.status_code == 400  # reached the serializer: field errors, not a CSRF 403


class TestRevoke:
    def test_a_user_cannot_revoke_someone_elses_token(self, client, people):
        token, _key = api_token_create(user=people.staff, name="theirs")
        client.force_login(people.manager)
        assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None

    def test_revoking_twice_keeps_the_first_time(self, people):
        token, _key = api_token_create(user=people.staff, name="theirs")
        api_token_revoke(user=people.staff, token=token)
        first = token.revoked_at
        api_token_revoke(user=people.staff, token=token)
        token.refresh_from_db()
        assert token.revoked_at == first

    def test_the_settings_page_lists_live_tokens_first(self, client, people):
        old, _ = api_token_create(user=people.staff, name="old")
        api_token_create(user=people.staff, name="new")
        api_token_revoke(user=people.staff, token=old)
        api_token_create(user=people.staff, name="newest")
        client.force_login(people.staff)
        tokens = client.get("/account/").context["tokens"]
        assert [t.name for t in tokens] == ["newest", "new", "old"]
