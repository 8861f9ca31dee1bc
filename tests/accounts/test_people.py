"""The People page: invitations end to end, roles, deactivation; admins only."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import mail

from accounts.models import ApiToken, AuditLogEntry, RoleAssignment
from accounts.services import api_token_create

pytestmark = pytest.mark.django_db
User = get_user_model()


def invite(client, **overrides):
    data = {"email": "Nina@Example.com", "name": "Nina North", "role": "manager", "unit": ""}
    data.update(overrides)
    return client.post("/people/invite/", data)


def invitation_link(message) -> str:
    return re.search(r"http://testserver(/accounts/invite/[^/\s]+/[^/\s]+/)", message.body).group(1)


class TestAdminsOnly:
    @pytest.mark.parametrize("path", ["/people/", "/audit-log/"])
    def test_managers_staff_and_role_less_users_get_403(self, client, people, path):
        for user in (people.manager, people.staff, people.nobody):
            client.force_login(user)
            assert client.get(path).status_code == 403

    @pytest.mark.parametrize("path", ["/people/", "/audit-log/"])
    def test_anonymous_users_are_sent_to_sign_in(self, client, path):
        assert client.get(path)["Location"] == f"/accounts/login/?next={path}"

    def test_non_admin_posts_change_nothing(self, client, people, tree):
        client.force_login(people.manager)
        assert invite(client, unit=tree.north.pk).status_code == 403
        assert client.post(f"/people/{people.staff.pk}/active/", {"active": "0"}).status_code == 403
        assert client.post(f"/people/{people.staff.pk}/roles/", {"role": "admin"}).status_code == 403
        assert not User.objects.filter(username="nina@example.com").exists()
        people.staff.refresh_from_db()
        assert people.staff.is_active and not people.staff.is_superuser

    def test_the_nav_shows_people_and_audit_log_to_admins_only(self, client, people):
        client.force_login(people.manager)
        assert 'href="/people/"' not in client.get("/account/").content.decode()
        client.force_login(people.admin)
        html = client.get("/account/").content.decode()
        assert 'href="/people/"' in html and 'href="/audit-log/"' in html


class TestPeopleList:
    def test_it_lists_everyone_with_roles_state_and_last_sign_in(self, client, people, django_assert_max_num_queries):
        client.force_login(people.admin)
        with django_assert_max_num_queries(8):
            response = client.get("/people/")
        assert response.status_code == 200
        rows = {row["user"].username: row for row in response.context["rows"]}
        assert set(rows) == {"admin@example.com", "root", "manager@example.com", "staff@example.com",
                             "nobody@example.com"}
        assert [(a.role, a.unit.code) for a in rows["manager@example.com"]["roles"]] == [("manager", "north")]
        assert rows["root"]["superuser"] is True
        html = response.content.decode()
        assert "manager · <code>north</code>" in html and "no role" in html


class TestInvitation:
    def test_an_invitee_sets_a_password_once_and_can_then_sign_in(self, client, people, tree):
        client.force_login(people.admin)
        response = invite(client, unit=tree.north.pk)
        nina = User.objects.get(username="nina@example.com")
        assert response.status_code == 302 and response["Location"] == f"/people/{nina.pk}/"
        assert (nina.email, nina.first_name, nina.is_active, nina.has_usable_password()) == (
            "nina@example.com", "Nina North", True, False)
        assert list(RoleAssignment.objects.filter(user=nina).values_list("role", "unit__code")) == [
            ("manager", "north")]
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nina@example.com"]
        assert mail.outbox[0].subject == "You are invited to GapAudit"
        link = invitation_link(mail.outbox[0])

        client.logout()
        assert client.post("/accounts/login/", {"username": "nina@example.com", "password": ""}).status_code == 200
        form = client.get(link)
        assert form.status_code == 302 and form["Location"].endswith("/set-password/")
        page = client.get(form["Location"])
        assert "Choose a password for nina@example.com." in page.content.decode()
        new = "Nina-secret-2025!"
        done = client.post(form["Location"], {"new_password1": new, "new_password2": new})
        assert done.status_code == 302 and done["Location"] == "/accounts/login/"
        nina.refresh_from_db()
        assert nina.is_active and nina.check_password("Nina-secret-2025!")

        used = client.get(link)
        assert used.status_code == 200 and "This invitation no longer works" in used.content.decode()
        signed_in = client.post("/accounts/login/", {"username": "nina@example.com", "password": "Nina-secret-2025!"})
        assert signed_in.status_code == 302 and client.session[SESSION_KEY] == str(nina.pk)

    def test_a_password_reset_token_is_not_an_invitation(self, client, people, tree):
        client.force_login(people.admin)
        invite(client, unit=tree.north.pk)
        link = invitation_link(mail.outbox[0])
        reset_path = link.replace("/accounts/invite/", "/accounts/reset/")
        assert "This link no longer works" in client.get(reset_path).content.decode()

    def test_a_new_invitation_voids_the_old_link(self, client, people, tree):
        client.force_login(people.admin)
        invite(client, unit=tree.north.pk)
        nina = User.objects.get(username="nina@example.com")
        first = invitation_link(mail.outbox[0])
        assert client.post(f"/people/{nina.pk}/invitation/").status_code == 302
        second = invitation_link(mail.outbox[1])
        client.logout()
        assert "This invitation no longer works" in client.get(first).content.decode()
        assert client.get(second).status_code == 302

    def test_a_deactivated_invitee_cannot_use_the_link(self, client, people, tree):
        client.force_login(people.admin)
        invite(client, unit=tree.north.pk)
        User.objects.filter(username="nina@example.com").update(is_active=False)
        client.logout()
        assert "This invitation no longer works" in client.get(invitation_link(mail.outbox[0])).content.decode()

    def test_bad_input_is_an_inline_error_and_writes_nothing(self, client, people, tree):
        client.force_login(people.admin)
        response = invite(client, email="manager@example.com", name="", unit="")
        assert response.status_code == 200
        assert response.context["form"].errors == {
            "email": ["A user with this email already exists."],
            "name": ["This field is required."],
            "unit": ["A manager or staff role needs a unit."],
        }
        admin_with_unit = invite(client, role="admin", unit=tree.north.pk)
        assert admin_with_unit.context["form"].errors == {
            "unit": ["An admin covers the whole organisation: leave the unit empty."]}
        assert User.objects.count() == 5 and mail.outbox == []


class TestRoles:
    def test_an_admin_gives_and_removes_a_role(self, client, people, tree):
        client.force_login(people.admin)
        response = client.post(f"/people/{people.staff.pk}/roles/", {"role": "manager", "unit": tree.south.pk})
        assert response.status_code == 302
        assignment = RoleAssignment.objects.get(user=people.staff, role="manager")
        assert assignment.unit == tree.south
        client.post(f"/people/{people.staff.pk}/roles/{assignment.pk}/remove/")
        assert list(RoleAssignment.objects.filter(user=people.staff).values_list("role", flat=True)) == ["staff"]

    def test_the_same_role_twice_is_an_inline_error(self, client, people, tree):
        client.force_login(people.admin)
        response = client.post(f"/people/{people.manager.pk}/roles/", {"role": "manager", "unit": tree.north.pk})
        assert response.status_code == 200
        assert response.context["form"].errors == {"role": ["This person already holds this role there."]}

    def test_the_admin_role_makes_a_django_superuser_and_removing_it_undoes_that(self, client, people):
        client.force_login(people.admin)
        client.post(f"/people/{people.nobody.pk}/roles/", {"role": "admin", "unit": ""})
        people.nobody.refresh_from_db()
        assert people.nobody.is_superuser and people.nobody.is_staff
        assignment = RoleAssignment.objects.get(user=people.nobody)
        client.post(f"/people/{people.nobody.pk}/roles/{assignment.pk}/remove/")
        people.nobody.refresh_from_db()
        assert not people.nobody.is_superuser and not people.nobody.is_staff

    def test_an_admin_cannot_remove_their_own_admin_role(self, client, people):
        client.force_login(people.admin)
        own = RoleAssignment.objects.get(user=people.admin)
        response = client.post(f"/people/{people.admin.pk}/roles/{own.pk}/remove/", follow=True)
        assert "You cannot remove your own admin role." in response.content.decode()
        assert RoleAssignment.objects.filter(pk=own.pk).exists()

    def test_a_role_of_another_person_cannot_be_removed_through_this_one(self, client, people):
        client.force_login(people.admin)
        staff_role = RoleAssignment.objects.get(user=people.staff)
        assert client.post(f"/people/{people.manager.pk}/roles/{staff_role.pk}/remove/").status_code == 404


class TestDeactivation:
    def test_a_deactivated_user_cannot_sign_in_and_their_token_is_refused(self, client, people):
        _token, key = api_token_create(user=people.manager, name="script")
        assert client.get("/api/audits/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
        client.force_login(people.admin)
        assert client.post(f"/people/{people.manager.pk}/active/", {"active": "0"}).status_code == 302
        people.manager.refresh_from_db()
        assert people.manager.is_active is False
        client.logout()
        from tests.accounts.conftest import PASSWORD

        assert client.post("/accounts/login/", {"username": "manager@example.com", "password": PASSWORD}
                           ).status_code == 200
        assert SESSION_KEY not in client.session
        refused = client.get("/api/audits/", HTTP_AUTHORIZATION=f"Token {key}")
        assert refused.status_code == 401
        assert refused.json() == {"detail": "This user account is deactivated."}
        assert ApiToken.objects.get(user=people.manager).revoked_at is None  # back when reactivated

    def test_reactivation_restores_sign_in_and_tokens(self, client, people):
        _token, key = api_token_create(user=people.manager, name="script")
        client.force_login(people.admin)
        client.post(f"/people/{people.manager.pk}/active/", {"active": "0"})
        client.post(f"/people/{people.manager.pk}/active/", {"active": "1"})
        people.manager.refresh_from_db()
        assert people.manager.is_active
        assert client.get("/api/audits/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
        assert list(AuditLogEntry.objects.filter(object_type="user").values_list("action", flat=True)) == [
            "reactivated", "deactivated"]

    def test_an_admin_cannot_deactivate_themselves(self, client, people):
        client.force_login(people.admin)
        response = client.post(f"/people/{people.admin.pk}/active/", {"active": "0"}, follow=True)
        assert "You cannot deactivate yourself." in response.content.decode()
        people.admin.refresh_from_db()
        assert people.admin.is_active
