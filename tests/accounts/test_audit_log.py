"""The audit log: entries written by the accounts services, and the admins' page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from accounts.models import AuditLogEntry, RoleAssignment
from accounts.services import (
    api_token_create,
    audit_log_record,
    role_assign,
    role_remove,
    user_invite,
    user_set_active,
)

pytestmark = pytest.mark.django_db
User = get_user_model()
FIELDS = ("actor_id", "action", "object_type", "object_id", "object_repr", "audit_id", "changes")


def entries(**filters) -> list[tuple]:
    return list(AuditLogEntry.objects.filter(**filters).order_by("id").values_list(*FIELDS))


class TestEntries:
    def test_a_role_given_and_removed_is_logged_with_its_fields(self, people, tree):
        assignment = role_assign(actor=people.admin, user=people.staff, role="manager", unit=tree.south)
        pk = str(assignment.pk)
        role_remove(actor=people.admin, assignment=assignment)
        assert entries(object_type="role") == [
            (people.admin.pk, "created", "role", pk, "Stan: manager · south", None,
             {"user": [None, "staff@example.com"], "role": [None, "manager"], "unit": [None, "south"]}),
            (people.admin.pk, "deleted", "role", pk, "Stan: manager · south", None,
             {"user": ["staff@example.com", None], "role": ["manager", None], "unit": ["south", None]}),
        ]

    def test_an_invitation_logs_the_user_and_their_first_role(self, people, tree):
        nina = user_invite(actor=people.admin, email="nina@example.com", name="Nina", role="staff", unit=tree.hall_s1)
        role = RoleAssignment.objects.get(user=nina)
        assert entries(object_id__in=[str(nina.pk), str(role.pk)], object_type__in=["user", "role"]) == [
            (people.admin.pk, "invited", "user", str(nina.pk), "Nina", None,
             {"email": [None, "nina@example.com"], "name": [None, "Nina"]}),
            (people.admin.pk, "created", "role", str(role.pk), "Nina: staff · hall-s1", None,
             {"user": [None, "nina@example.com"], "role": [None, "staff"], "unit": [None, "hall-s1"]}),
        ]

    def test_deactivation_and_reactivation_are_logged(self, people):
        user_set_active(actor=people.admin, user=people.manager, active=False)
        user_set_active(actor=people.admin, user=people.manager, active=False)  # no change, no entry
        user_set_active(actor=people.admin, user=people.manager, active=True)
        assert entries(object_type="user") == [
            (people.admin.pk, "deactivated", "user", str(people.manager.pk), "Mona", None,
             {"is_active": [True, False]}),
            (people.admin.pk, "reactivated", "user", str(people.manager.pk), "Mona", None,
             {"is_active": [False, True]}),
        ]

    def test_an_admin_role_is_logged_organisation_wide(self, people):
        assignment = role_assign(actor=people.root, user=people.nobody, role="admin")
        assert entries(object_type="role") == [
            (people.root.pk, "created", "role", str(assignment.pk), "nobody@example.com: admin · organisation", None,
             {"user": [None, "nobody@example.com"], "role": [None, "admin"], "unit": [None, None]}),
        ]

    def test_the_record_service_keeps_the_audit_and_json_safe_changes(self, people, audits):
        import datetime as dt

        entry = audit_log_record(
            actor=people.manager, action="updated", obj_type="audit", obj_id=audits.chainwide.pk,
            obj_repr="chainwide", audit=audits.chainwide,
            changes={"period_end": [dt.date(2025, 3, 31), dt.date(2025, 4, 30)], "min_sample": [5, 10]},
        )
        entry.refresh_from_db()
        assert (entry.actor, entry.action, entry.object_type, entry.object_id, entry.audit) == (
            people.manager, "updated", "audit", str(audits.chainwide.pk), audits.chainwide)
        assert entry.changes == {"period_end": ["2025-03-31", "2025-04-30"], "min_sample": [5, 10]}

    def test_an_anonymous_or_missing_actor_is_stored_as_null(self, db):
        from django.contrib.auth.models import AnonymousUser

        assert audit_log_record(actor=AnonymousUser(), action="created", obj_type="x", obj_id=1,
                                obj_repr="x").actor_id is None
        assert audit_log_record(actor=None, action="created", obj_type="x", obj_id=None, obj_repr="x").object_id == ""

    def test_a_deleted_audit_leaves_its_entries(self, people, audits):
        entry = audit_log_record(actor=people.admin, action="deleted", obj_type="audit", obj_id=audits.other.pk,
                                 obj_repr="other-audit", audit=audits.other)
        audits.other.delete()
        entry.refresh_from_db()
        assert entry.audit is None and entry.object_repr == "other-audit"


class TestPage:
    def test_it_lists_entries_newest_first_and_filters_by_object_type(self, client, people, tree):
        role_assign(actor=people.admin, user=people.staff, role="manager", unit=tree.south)
        user_set_active(actor=people.admin, user=people.manager, active=False)
        api_token_create(user=people.staff, name="script")
        client.force_login(people.admin)
        page = client.get("/audit-log/")
        assert page.status_code == 200
        assert [(e.action, e.object_type) for e in page.context["page"].object_list] == [
            ("created", "token"), ("deactivated", "user"), ("created", "role")]
        assert "Stan: manager · south" in page.content.decode()
        filtered = client.get("/audit-log/", {"object_type": "user"})
        assert [(e.action, e.object_type) for e in filtered.context["page"].object_list] == [("deactivated", "user")]

    def test_an_unknown_filter_shows_everything_with_a_note(self, client, people, tree):
        role_assign(actor=people.admin, user=people.staff, role="manager", unit=tree.south)
        client.force_login(people.admin)
        page = client.get("/audit-log/", {"object_type": "nonsense"})
        assert page.status_code == 200 and len(page.context["page"].object_list) == 1
        assert "Unknown object type: showing every entry." in page.content.decode()

    def test_it_pages_by_fifty(self, client, people, django_assert_max_num_queries):
        AuditLogEntry.objects.bulk_create(
            AuditLogEntry(actor=people.admin, action="updated", object_type="standard", object_id=str(i),
                          object_repr=f"standard {i}") for i in range(120)
        )
        client.force_login(people.admin)
        with django_assert_max_num_queries(10):
            first = client.get("/audit-log/")
        assert len(first.context["page"].object_list) == 50
        last = client.get("/audit-log/", {"page": "3", "object_type": "standard"})
        assert len(last.context["page"].object_list) == 20
        assert client.get("/audit-log/", {"page": "999"}).context["page"].number == 3
        assert client.get("/audit-log/", {"page": "abc"}).context["page"].number == 1
