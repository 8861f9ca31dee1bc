"""Sign-in, brute-force lockout (django-axes), sign-out, password change and reset."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core import mail

from tests.accounts.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
NEW_PASSWORD = "Another-long-secret-42"


@pytest.fixture
def mona(db):
    return make_user("mona@example.com", first_name="Mona")


def sign_in(client, username="mona@example.com", password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


class TestSignIn:
    def test_the_page_asks_for_email_and_password(self, client):
        html = client.get(LOGIN).content.decode()
        assert 'type="email"' in html and 'type="password"' in html and "Forgot your password?" in html

    def test_right_password_signs_in_and_goes_to_the_start_page(self, client, mona):
        response = sign_in(client)
        assert response.status_code == 302 and response["Location"] == "/"
        assert client.session[SESSION_KEY] == str(mona.pk)

    def test_the_email_is_case_insensitive(self, client, mona):
        assert sign_in(client, username="  Mona@Example.COM ").status_code == 302

    def test_it_returns_to_the_page_asked_for(self, client, mona):
        response = sign_in(client, next="/audits/")
        assert response["Location"] == "/audits/"

    def test_it_never_redirects_off_site(self, client, mona):
        response = sign_in(client, next="https://evil.example.com/")
        assert response["Location"] == "/"

    def test_a_wrong_password_shows_the_form_again_with_an_error(self, client, mona):
        response = sign_in(client, password="wrong")
        assert response.status_code == 200
        assert SESSION_KEY not in client.session
        assert "Please enter a correct email and password." in response.content.decode()

    def test_a_deactivated_user_cannot_sign_in(self, client, mona):
        mona.is_active = False
        mona.save()
        response = sign_in(client)
        assert response.status_code == 200 and SESSION_KEY not in client.session

    def test_deactivation_ends_an_open_session(self, client, mona):
        client.force_login(mona)
        assert client.get("/account/").status_code == 200
        mona.is_active = False
        mona.save()
        response = client.get("/account/")
        assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/account/"

    def test_the_menu_shows_the_name_settings_and_sign_out(self, client, mona):
        anonymous = client.get(LOGIN).content.decode()
        assert 'href="/accounts/login/">Sign in</a>' in anonymous
        client.force_login(mona)
        html = client.get("/account/").content.decode()
        assert '<span class="user-name" title="mona@example.com">Mona</span>' in html
        assert 'href="/account/">Settings</a>' in html
        assert 'action="/accounts/logout/"' in html


class TestLockout:
    def test_the_fifth_failure_locks_the_account_out_for_an_hour(self, client, mona):
        for _ in range(4):
            assert sign_in(client, password="wrong").status_code == 200
        locked = sign_in(client, password="wrong")
        assert locked.status_code == 429
        assert ("Too many failed sign-in attempts; try again in 60 minutes or ask an admin."
                in " ".join(locked.content.decode().split()))
        # Even the right password is refused while locked out.
        assert sign_in(client).status_code == 429
        assert SESSION_KEY not in client.session

    def test_the_lockout_counts_per_username(self, client, mona):
        make_user("other@example.com")
        for _ in range(5):
            sign_in(client, password="wrong")
        assert sign_in(client, username="other@example.com").status_code == 302

    def test_a_success_clears_the_failures(self, client, mona):
        for _ in range(4):
            sign_in(client, password="wrong")
        assert sign_in(client).status_code == 302
        assert AccessAttempt.objects.count() == 0
        client.post("/accounts/logout/")
        for _ in range(4):
            assert sign_in(client, password="wrong").status_code == 200

    def test_the_limit_and_wait_come_from_settings(self, client, mona, settings):
        settings.AXES_FAILURE_LIMIT = 2
        settings.AXES_COOLOFF_TIME = 0.25
        assert sign_in(client, password="wrong").status_code == 200
        locked = sign_in(client, password="wrong")
        assert locked.status_code == 429
        assert "try again in 15 minutes" in " ".join(locked.content.decode().split())


class TestSignOut:
    def test_sign_out_is_a_post_and_ends_the_session(self, client, mona):
        client.force_login(mona)
        assert client.get("/accounts/logout/").status_code == 405
        response = client.post("/accounts/logout/")
        assert response.status_code == 302 and response["Location"] == "/accounts/login/"
        assert SESSION_KEY not in client.session


class TestPasswordChange:
    def test_it_changes_the_password_and_keeps_the_session(self, client, mona):
        client.force_login(mona)
        response = client.post("/account/password/", {
            "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
        })
        assert response.status_code == 302 and response["Location"] == "/account/"
        mona.refresh_from_db()
        assert mona.check_password(NEW_PASSWORD)
        assert client.get("/account/").status_code == 200

    def test_a_wrong_old_password_is_an_inline_error(self, client, mona):
        client.force_login(mona)
        response = client.post("/account/password/", {
            "old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
        })
        assert response.status_code == 200
        assert response.context["password_form"].errors == {
            "old_password": ["Your old password was entered incorrectly. Please enter it again."]}
        mona.refresh_from_db()
        assert mona.check_password(PASSWORD)

    def test_a_weak_new_password_is_refused(self, client, mona):
        client.force_login(mona)
        response = client.post("/account/password/", {
            "old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678",
        })
        assert response.status_code == 200
        assert "This password is entirely numeric." in response.context["password_form"].errors["new_password2"]

    def test_the_settings_page_needs_a_signed_in_user(self, client):
        assert client.get("/account/")["Location"] == "/accounts/login/?next=/account/"
        assert client.post("/account/password/", {})["Location"] == "/accounts/login/?next=/account/password/"


class TestPasswordReset:
    def test_it_emails_a_link_that_sets_a_new_password_once(self, client, mona):
        response = client.post("/accounts/password-reset/", {"email": "mona@example.com"})
        assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["mona@example.com"]
        assert message.subject == "Reset your GapAudit password"
        link = re.search(r"http://testserver(/accounts/reset/[^/]+/[^/]+/)", message.body).group(1)

        form = client.get(link)
        assert form.status_code == 302  # to the same path without the token
        set_password = form["Location"]
        assert set_password.endswith("/set-password/")
        done = client.post(set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
        mona.refresh_from_db()
        assert mona.check_password(NEW_PASSWORD)

        again = client.get(link)
        assert again.status_code == 200
        assert "This link no longer works" in again.content.decode()

    def test_a_reset_lifts_a_lockout(self, client, mona):
        for _ in range(5):
            sign_in(client, password="wrong")
        assert sign_in(client).status_code == 429
        client.post("/accounts/password-reset/", {"email": "mona@example.com"})
        link = re.search(r"http://testserver(/accounts/reset/[^/]+/[^/]+/)", mail.outbox[0].body).group(1)
        set_password = client.get(link)["Location"]
        client.post(set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        assert sign_in(client, password=NEW_PASSWORD).status_code == 302

    def test_an_unknown_email_looks_the_same_and_sends_nothing(self, client, mona):
        response = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})
        assert response["Location"] == "/accounts/password-reset/sent/"
        assert mail.outbox == []

    def test_a_tampered_link_is_refused(self, client, mona):
        client.post("/accounts/password-reset/", {"email": "mona@example.com"})
        link = re.search(r"http://testserver(/accounts/reset/[^/]+/[^/]+/)", mail.outbox[0].body).group(1)
        response = client.get(link[:-3] + "xx/")
        assert response.status_code == 200 and "This link no longer works" in response.content.decode()
