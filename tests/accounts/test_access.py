"""accounts.access: roles, scopes, audits a user reaches, the units whose figures they see."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.access import (
    HasRole,
    audit_for_or_404,
    audit_fully_in_scope,
    audits_for,
    has_role,
    is_admin,
    role_required,
    roles_of,
    scope_unit_ids,
    unit_in_scope,
    units_for,
    visible_unit_codes,
)
from accounts.models import RoleAssignment
from accounts.services import api_token_create
from tests.accounts.conftest import make_user

pytestmark = pytest.mark.django_db


def ids(tree, *names: str) -> set[int]:
    return {getattr(tree, name).pk for name in names}


class TestRoles:
    def test_an_admin_assignment_and_a_superuser_both_count_as_admin(self, people):
        assert is_admin(people.admin) and is_admin(people.root)
        assert roles_of(people.admin) == {"admin"} and roles_of(people.root) == {"admin"}

    def test_managers_staff_and_anonymous_users_are_not_admins(self, people):
        assert not is_admin(people.manager) and not is_admin(people.staff) and not is_admin(AnonymousUser())
        assert roles_of(people.manager) == {"manager"}
        assert roles_of(people.staff) == {"staff"}
        assert roles_of(people.nobody) == set()
        assert roles_of(AnonymousUser()) == set()

    def test_an_admin_passes_every_role_check_and_others_only_their_own(self, people):
        assert has_role(people.admin, "staff") and has_role(people.root, "manager")
        assert has_role(people.manager, "manager") and not has_role(people.manager, "staff")
        assert has_role(people.staff, "manager", "staff") and not has_role(people.staff, "admin")

    def test_a_deactivated_user_holds_no_role(self, people):
        people.manager.is_active = False
        assert roles_of(people.manager) == set()
        assert scope_unit_ids(people.manager, "manager") == set()

    def test_an_unknown_role_name_is_a_programming_error(self, people):
        with pytest.raises(ValueError):
            scope_unit_ids(people.manager, "boss")
        with pytest.raises(ValueError):
            role_required("boss")


class TestScopes:
    def test_a_manager_of_a_region_covers_its_halls_but_not_the_sibling_region(self, tree, people):
        assert scope_unit_ids(people.manager, "manager") == ids(tree, "north", "hall_n1", "hall_n2")
        assert unit_in_scope(people.manager, tree.hall_n2.pk, "manager")
        assert not unit_in_scope(people.manager, tree.hall_s1.pk, "manager")
        assert not unit_in_scope(people.manager, tree.chain.pk, "manager")

    def test_a_staff_member_of_a_hall_covers_that_hall_only(self, tree, people):
        assert scope_unit_ids(people.staff, "staff") == ids(tree, "hall_n1")
        assert scope_unit_ids(people.staff, "manager") == set()

    def test_an_admin_covers_everything(self, tree, people):
        assert scope_unit_ids(people.admin, "manager") is None
        assert scope_unit_ids(people.root, "staff") is None
        assert set(units_for(people.admin, "staff").values_list("code", flat=True)) == {
            "chain", "north", "south", "hall-n1", "hall-n2", "hall-s1", "other"}

    def test_several_assignments_of_one_role_add_up_and_roles_stay_apart(self, tree):
        user = make_user("two@example.com", ("manager", tree.hall_n2), ("manager", tree.south),
                         ("staff", tree.other))
        assert scope_unit_ids(user, "manager") == ids(tree, "hall_n2", "south", "hall_s1")
        assert scope_unit_ids(user, "staff") == ids(tree, "other")
        assert set(units_for(user, "manager").values_list("code", flat=True)) == {"hall-n2", "south", "hall-s1"}

    def test_nobody_without_the_role_has_a_scope(self, people):
        assert scope_unit_ids(people.nobody, "manager") == set()
        assert scope_unit_ids(AnonymousUser(), "staff") == set()
        assert scope_unit_ids(people.manager, "admin") == set()

    def test_the_scope_is_read_once_per_user_object(self, tree, people, django_assert_num_queries):
        scope_unit_ids(people.manager, "manager")
        with django_assert_num_queries(0):
            scope_unit_ids(people.manager, "manager")
            roles_of(people.manager)


class TestAudits:
    def slugs(self, queryset) -> set[str]:
        return set(queryset.values_list("slug", flat=True))

    def test_a_manager_reaches_audits_that_include_any_unit_of_the_region(self, people, audits):
        # chainwide covers north through the chain; mixed includes hall-n1; south-only and other-audit do not.
        assert self.slugs(audits_for(people.manager, "manager")) == {"chainwide", "hall-n2-only", "mixed"}

    def test_a_staff_member_reaches_audits_that_include_their_hall(self, people, audits):
        assert self.slugs(audits_for(people.staff, "staff")) == {"chainwide", "mixed"}
        assert self.slugs(audits_for(people.staff, "manager")) == set()

    def test_an_admin_reaches_every_audit(self, people, audits):
        assert self.slugs(audits_for(people.admin, "manager")) == {
            "chainwide", "south-only", "hall-n2-only", "other-audit", "mixed"}

    def test_an_audit_out_of_scope_is_a_404_like_a_missing_one(self, people, audits):
        assert audit_for_or_404(people.manager, "chainwide", "manager") == audits.chainwide
        with pytest.raises(Http404):
            audit_for_or_404(people.manager, "south-only", "manager")
        with pytest.raises(Http404):
            audit_for_or_404(people.manager, "no-such-audit", "manager")

    def test_a_manager_of_a_region_sees_the_region_and_its_halls_in_a_chain_wide_audit(self, people, audits):
        assert visible_unit_codes(people.manager, audits.chainwide, "manager") == {"north", "hall-n1", "hall-n2"}
        assert not audit_fully_in_scope(people.manager, audits.chainwide, "manager")

    def test_a_region_whose_figures_hold_only_in_scope_halls_is_visible(self, people, audits):
        # In "mixed" north's figures come from hall-n1 alone; the chain's include "other"'s siblings' tree.
        assert visible_unit_codes(people.manager, audits.mixed, "manager") == {"north", "hall-n1"}

    def test_staff_see_their_hall_only(self, people, audits):
        assert visible_unit_codes(people.staff, audits.chainwide, "staff") == {"hall-n1"}

    def test_an_admin_sees_every_unit_and_the_total(self, people, audits):
        assert visible_unit_codes(people.admin, audits.chainwide, "manager") == {
            "chain", "north", "south", "hall-n1", "hall-n2", "hall-s1"}
        assert audit_fully_in_scope(people.admin, audits.chainwide, "manager")

    def test_the_total_is_visible_only_when_every_unit_of_the_audit_is_in_scope(self, people, audits):
        assert audit_fully_in_scope(people.manager, audits.hall_n2_only, "manager")
        assert not audit_fully_in_scope(people.manager, audits.mixed, "manager")
        assert not audit_fully_in_scope(people.staff, audits.mixed, "staff")
        assert not audit_fully_in_scope(people.nobody, audits.hall_n2_only, "manager")


def plain_view(request):
    return HttpResponse("ok")


class TestRoleRequired:
    view = staticmethod(role_required("manager")(plain_view))

    def request(self, user, path="/some/page/", **headers):
        request = RequestFactory().get(path, **headers)
        request.user = user
        return request

    def test_anonymous_users_are_sent_to_sign_in(self):
        response = self.view(self.request(AnonymousUser()))
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/some/page/"

    def test_anonymous_api_requests_get_401_json(self):
        response = self.view(self.request(AnonymousUser(), path="/api/thing/"))
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Token realm="api"'

    def test_a_user_without_the_role_is_forbidden_and_one_with_it_passes(self, people):
        from django.core.exceptions import PermissionDenied

        with pytest.raises(PermissionDenied):
            self.view(self.request(people.staff))
        json = self.view(self.request(people.staff, HTTP_ACCEPT="application/json"))
        assert json.status_code == 403
        assert self.view(self.request(people.manager)).content == b"ok"
        assert self.view(self.request(people.admin)).content == b"ok"

    def test_a_signed_in_user_without_the_role_gets_the_403_page(self, client, people):
        client.force_login(people.manager)
        response = client.get("/people/")
        assert response.status_code == 403
        assert "Your role does not give you access to this page." in response.content.decode()


class Probe(APIView):
    permission_classes = [HasRole.of("manager")]

    def get(self, request):
        return Response({"user": request.user.get_username()})


class TestHasRole:
    def call(self, **headers):
        return Probe.as_view()(APIRequestFactory().get("/api/probe/", **headers))

    def test_no_credentials_is_401(self):
        response = self.call()
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Token realm="api"'

    def test_a_token_of_a_user_with_the_role_passes(self, people):
        _token, key = api_token_create(user=people.manager, name="probe")
        response = self.call(HTTP_AUTHORIZATION=f"Token {key}")
        assert response.status_code == 200
        assert response.data == {"user": "manager@example.com"}

    def test_a_token_of_a_user_without_the_role_is_403(self, people):
        _token, key = api_token_create(user=people.staff, name="probe")
        assert self.call(HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 403

    def test_roles_can_come_from_the_view(self, people):
        class ViewRoles(APIView):
            permission_classes = [HasRole]
            required_roles = ("staff",)

            def get(self, request):
                return Response({})

        _token, key = api_token_create(user=people.staff, name="probe")
        response = ViewRoles.as_view()(APIRequestFactory().get("/api/x/", HTTP_AUTHORIZATION=f"Token {key}"))
        assert response.status_code == 200

    def test_removing_a_role_takes_effect_on_the_next_request(self, people):
        _token, key = api_token_create(user=people.manager, name="probe")
        RoleAssignment.objects.filter(user=people.manager).delete()
        assert self.call(HTTP_AUTHORIZATION=f"Token {key}").status_code == 403
