"""Changes made in the Django admin reach the audit log, and the audit-log page shows
them with readable, translated labels (English and Simplified Chinese)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import AuditLogEntry
from accounts.services import audit_log_record
from provider.delivery import scorecard_template_save
from provider.models import Promise, QualityStandard, ScorecardTemplate
from provider.promises import promise_create
from provider.standards import standard_set
from surveys.models import Audit

pytestmark = pytest.mark.django_db
User = get_user_model()
FIELDS = ("actor_id", "action", "object_type", "object_id", "object_repr", "audit_id", "changes")


def entries_by(user, **filters) -> list[tuple]:
    return list(AuditLogEntry.objects.filter(actor=user, **filters).order_by("id").values_list(*FIELDS))


@pytest.fixture
def root_client(client, people) -> Client:
    """Signed in as a superuser: the Django admin is theirs."""
    client.force_login(people.root)
    return client


def audit_form(audit: Audit, **changes) -> dict:
    """The admin change form of an audit without responses, as the browser posts it unchanged."""
    form = {"title": audit.title, "instrument": audit.instrument_id, "scale": audit.scale, "format": audit.format,
            "units": [u.pk for u in audit.units.all()], "min_sample": audit.min_sample,
            "period_start": audit.period_start or "", "period_end": audit.period_end or ""}
    if audit.is_open:
        form["is_open"] = "on"
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def check(code: str, item: str, deduction: int, text: str) -> dict:
    return {"code": code, "text": {"en": text}, "item": item, "deduction": deduction}


def template_form(*, code: str, name: dict, checks: list[dict], template: ScorecardTemplate | None = None,
                  delete: tuple[str, ...] = ()) -> dict:
    """The admin form of a scorecard template with its inline checks: the stored checks
    first (changed to `checks` by code, or deleted), then the new ones."""
    stored = list(template.checks.order_by("position", "id")) if template else []
    wanted = {c["code"]: c for c in checks}
    rows = [(c.pk, wanted.get(c.code, check(c.code, c.item_code, c.deduction, c.text["en"]))) for c in stored]
    rows += [(None, c) for c in checks if c["code"] not in {s.code for s in stored}]
    form = {"code": code, "name": json.dumps(name), "description": "{}", "is_active": "on",
            "checks-TOTAL_FORMS": len(rows), "checks-INITIAL_FORMS": len(stored),
            "checks-MIN_NUM_FORMS": 0, "checks-MAX_NUM_FORMS": 1000}
    for i, (pk, c) in enumerate(rows):
        form.update({f"checks-{i}-id": pk or "", f"checks-{i}-template": template.pk if template else "",
                     f"checks-{i}-position": i + 1, f"checks-{i}-code": c["code"],
                     f"checks-{i}-text": json.dumps(c["text"]), f"checks-{i}-item_code": c["item"],
                     f"checks-{i}-deduction": c["deduction"]})
        if c["code"] in delete:
            form[f"checks-{i}-DELETE"] = "on"
    return form


class TestAuditAdmin:
    def test_editing_the_title_and_closing_logs_exactly_those_changes(self, root_client, people, audits):
        audit = audits.chainwide
        page = root_client.post(f"/admin/surveys/audit/{audit.pk}/change/",
                                audit_form(audit, title="Spring wave", is_open=None))
        assert page.status_code == 302
        assert entries_by(people.root) == [
            (people.root.pk, "updated", "audit", str(audit.pk), "Spring wave (chainwide)", audit.pk,
             {"title": ["Chainwide", "Spring wave"], "is_open": [True, False]}),
        ]
        audit.refresh_from_db()
        assert (audit.title, audit.is_open) == ("Spring wave", False)

    def test_changed_units_are_logged_by_code(self, root_client, people, tree, audits):
        audit = audits.chainwide
        form = audit_form(audit, units=[tree.south.pk, tree.north.pk], min_sample=12)
        assert root_client.post(f"/admin/surveys/audit/{audit.pk}/change/", form).status_code == 302
        assert entries_by(people.root) == [
            (people.root.pk, "updated", "audit", str(audit.pk), "Chainwide (chainwide)", audit.pk,
             {"min_sample": [5, 12], "units": [["chain"], ["north", "south"]]}),
        ]

    def test_saving_an_audit_unchanged_logs_nothing(self, root_client, people, audits):
        page = root_client.post(f"/admin/surveys/audit/{audits.chainwide.pk}/change/", audit_form(audits.chainwide))
        assert page.status_code == 302
        assert entries_by(people.root) == []

    def test_creating_an_audit_logs_every_field(self, root_client, people, tree, audits):
        form = {"slug": "autumn", "title": "Autumn", "instrument": audits.chainwide.instrument_id, "scale": 5,
                "format": "two_column", "units": [tree.north.pk], "is_open": "on", "min_sample": 8,
                "period_start": "2025-09-01", "period_end": ""}
        assert root_client.post("/admin/surveys/audit/add/", form).status_code == 302
        audit = Audit.objects.get(slug="autumn")
        assert entries_by(people.root) == [
            (people.root.pk, "created", "audit", str(audit.pk), "Autumn (autumn)", audit.pk,
             {"slug": [None, "autumn"], "title": [None, "Autumn"], "instrument": [None, "servqual"],
              "scale": [None, 5], "format": [None, "two_column"], "min_sample": [None, 8], "is_open": [None, True],
              "period_start": [None, "2025-09-01"], "period_end": [None, None], "units": [None, ["north"]]}),
        ]

    def test_deleting_an_audit_logs_what_it_was(self, root_client, people, audits):
        pk = audits.other.pk
        page = root_client.post(f"/admin/surveys/audit/{pk}/delete/", {"post": "yes"})
        assert page.status_code == 302 and not Audit.objects.filter(pk=pk).exists()
        assert entries_by(people.root) == [
            (people.root.pk, "deleted", "audit", str(pk), "Other-Audit (other-audit)", None,
             {"slug": ["other-audit", None], "title": ["Other-Audit", None], "instrument": ["servqual", None],
              "scale": [7, None], "format": ["two_column", None], "min_sample": [5, None], "is_open": [True, None],
              "period_start": [None, None], "period_end": [None, None], "units": [["other"], None]}),
        ]

    def test_deleting_audits_from_the_list_logs_each(self, root_client, people, audits):
        pks = sorted([audits.other.pk, audits.mixed.pk])
        page = root_client.post("/admin/surveys/audit/", {"action": "delete_selected", "_selected_action": pks,
                                                          "post": "yes"})
        assert page.status_code == 302
        assert sorted(int(e[3]) for e in entries_by(people.root, action="deleted", object_type="audit")) == pks


class TestScorecardAdmin:
    def test_creating_a_template_with_checks_logs_it_with_its_checks(self, root_client, people):
        checks = [check("greet", "EMP1", 40, "Greets"), check("clean", "TAN2", 60, "Clean desk")]
        form = template_form(code="door", name={"en": "Front door"}, checks=checks)
        assert root_client.post("/admin/provider/scorecardtemplate/add/", form).status_code == 302
        template = ScorecardTemplate.objects.get(code="door")
        assert list(template.checks.values_list("code", "deduction")) == [("greet", 40), ("clean", 60)]
        assert entries_by(people.root) == [
            (people.root.pk, "created", "scorecard", str(template.pk), "door", None,
             {"code": [None, "door"], "name": [None, {"en": "Front door"}], "description": [None, {}],
              "is_active": [None, True], "checks": [None, checks]}),
        ]

    def test_editing_the_checks_inline_logs_them_before_and_after(self, root_client, people):
        before = [check("greet", "EMP1", 40, "Greets"), check("clean", "TAN2", 60, "Clean desk")]
        template = scorecard_template_save(code="door", name={"en": "Front door"}, checks=before)
        after = [check("greet", "EMP1", 50, "Greets"), check("bye", "ASS1", 50, "Says goodbye")]
        form = template_form(code="door", name={"en": "Front door"}, template=template, checks=after,
                             delete=("clean",))
        page = root_client.post(f"/admin/provider/scorecardtemplate/{template.pk}/change/", form)
        assert page.status_code == 302
        assert entries_by(people.root) == [
            (people.root.pk, "updated", "scorecard", str(template.pk), "door", None, {"checks": [before, after]}),
        ]
        root_client.force_login(people.admin)
        html = root_client.get("/audit-log/", {"object_type": "scorecard"}).content.decode()
        assert '<span class="field" title="checks">Checks</span>: added: bye · removed: clean · changed: greet' in html

    def test_saving_a_template_unchanged_logs_nothing(self, root_client, people):
        template = scorecard_template_save(code="door", name={"en": "Door"}, checks=[check("greet", "EMP1", 40, "Hi")])
        form = template_form(code="door", name={"en": "Door"}, template=template, checks=[])
        assert root_client.post(f"/admin/provider/scorecardtemplate/{template.pk}/change/", form).status_code == 302
        assert entries_by(people.root) == []

    def test_deleting_an_unused_template_logs_it(self, root_client, people):
        template = scorecard_template_save(code="door", name={"en": "Door"}, checks=[check("greet", "EMP1", 40, "Hi")])
        page = root_client.post(f"/admin/provider/scorecardtemplate/{template.pk}/delete/", {"post": "yes"})
        assert page.status_code == 302 and not ScorecardTemplate.objects.filter(code="door").exists()
        assert entries_by(people.root) == [
            (people.root.pk, "deleted", "scorecard", str(template.pk), "door", None,
             {"code": ["door", None], "name": [{"en": "Door"}, None], "description": [{}, None],
              "is_active": [True, None], "checks": [[check("greet", "EMP1", 40, "Hi")], None]}),
        ]


class TestStandardAndPromiseAdmin:
    def test_deleting_a_standard_logs_it_and_marks_the_audit_stale(self, root_client, people, audits):
        audit = audits.chainwide
        standard, _ = standard_set(audit=audit, item_code="TAN1", unit=None, level=6, description="Clean floors",
                                   actor=people.admin)
        version = Audit.objects.get(pk=audit.pk).data_version
        page = root_client.post(f"/admin/provider/qualitystandard/{standard.pk}/delete/", {"post": "yes"})
        assert page.status_code == 302 and not QualityStandard.objects.exists()
        assert entries_by(people.root) == [
            (people.root.pk, "deleted", "standard", str(standard.pk), "TAN1 · whole audit", audit.pk,
             {"item": ["TAN1", None], "unit": [None, None], "level": [6, None], "description": ["Clean floors", None]}),
        ]
        assert Audit.objects.get(pk=audit.pk).data_version == version + 1

    def test_deleting_a_promise_logs_it(self, root_client, people, tree, audits):
        promise = promise_create(audit=audits.chainwide, item_code="REL1", text="We call back within a day",
                                 level=6, unit=tree.north, actor=people.admin)
        page = root_client.post(f"/admin/provider/promise/{promise.pk}/delete/", {"post": "yes"})
        assert page.status_code == 302 and not Promise.objects.exists()
        assert entries_by(people.root) == [
            (people.root.pk, "deleted", "promise", str(promise.pk), "REL1 · north: We call back within a day",
             audits.chainwide.pk,
             {"item": ["REL1", None], "unit": ["north", None], "text": ["We call back within a day", None],
              "channel": ["poster", None], "level": [6, None], "valid_from": [None, None], "valid_to": [None, None]}),
        ]

    def test_deleting_promises_from_the_list_logs_each(self, root_client, people, audits):
        pks = sorted(promise_create(audit=audits.chainwide, item_code=item, text=item, level=5).pk
                     for item in ("REL1", "REL2"))
        page = root_client.post("/admin/provider/promise/", {"action": "delete_selected", "_selected_action": pks,
                                                             "post": "yes"})
        assert page.status_code == 302 and not Promise.objects.exists()
        assert [(e[1], int(e[3])) for e in entries_by(people.root)] == [("deleted", pks[0]), ("deleted", pks[1])]


class TestUserAdmin:
    def user_form(self, user, **changes) -> dict:
        form = {"username": user.username, "first_name": user.first_name, "last_name": user.last_name,
                "email": user.email, "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
                "date_joined_1": user.date_joined.strftime("%H:%M:%S"), "is_active": user.is_active,
                "is_staff": user.is_staff, "is_superuser": user.is_superuser}
        form.update(changes)
        return {k: ("on" if v is True else v) for k, v in form.items() if v is not False}

    def test_deactivating_a_user_is_logged_as_a_deactivation(self, root_client, people):
        url = f"/admin/auth/user/{people.manager.pk}/change/"
        assert root_client.post(url, self.user_form(people.manager, is_active=False)).status_code == 302
        assert entries_by(people.root) == [
            (people.root.pk, "deactivated", "user", str(people.manager.pk), "Mona", None,
             {"is_active": [True, False]}),
        ]

    def test_making_a_user_superuser_is_logged(self, root_client, people):
        url = f"/admin/auth/user/{people.staff.pk}/change/"
        assert root_client.post(url, self.user_form(people.staff, is_staff=True, is_superuser=True)).status_code == 302
        assert root_client.post(url, self.user_form(people.staff, is_staff=True, is_superuser=True)).status_code == 302
        assert entries_by(people.root) == [
            (people.root.pk, "updated", "user", str(people.staff.pk), "Stan", None,
             {"is_staff": [False, True], "is_superuser": [False, True]}),
        ]

    def test_adding_and_deleting_a_user_is_logged(self, root_client, people):
        form = {"username": "temp@example.com", "usable_password": "false", "password1": "", "password2": ""}
        assert root_client.post("/admin/auth/user/add/", form).status_code == 302
        user = User.objects.get(username="temp@example.com")
        assert root_client.post(f"/admin/auth/user/{user.pk}/delete/", {"post": "yes"}).status_code == 302
        assert entries_by(people.root) == [
            (people.root.pk, "created", "user", str(user.pk), "temp@example.com", None,
             {"username": [None, "temp@example.com"], "is_active": [None, True]}),
            (people.root.pk, "deleted", "user", str(user.pk), "temp@example.com", None,
             {"username": ["temp@example.com", None], "email": ["", None], "first_name": ["", None],
              "last_name": ["", None], "is_active": [True, None], "is_staff": [False, None],
              "is_superuser": [False, None]}),
        ]


class TestPageLabels:
    @pytest.fixture
    def logged(self, people, audits):
        AuditLogEntry.objects.all().delete()
        audit_log_record(actor=people.admin, action="updated", obj_type="audit", obj_id=audits.chainwide.pk,
                         obj_repr="Chainwide (chainwide)", audit=audits.chainwide,
                         changes={"title": ["Chainwide", "Spring"], "is_open": [True, False]})
        audit_log_record(actor=people.admin, action="deleted", obj_type="standard", obj_id=7,
                         obj_repr="TAN1 · whole audit", changes={"level": [6, None]})
        audit_log_record(actor=people.admin, action="frobbed", obj_type="gadget", obj_id=1, obj_repr="g",
                         changes={"colour": ["red", "blue"]})

    def test_it_shows_actions_types_and_fields_in_english(self, client, people, logged):
        client.force_login(people.admin)
        html = client.get("/audit-log/").content.decode()
        assert '<span class="badge action-updated">Updated</span>' in html
        assert '<span class="badge action-deleted">Deleted</span>' in html
        assert '<span class="muted">Audit</span> Chainwide (chainwide)' in html
        assert '<span class="muted">Quality standard</span> TAN1 · whole audit' in html
        assert '<span class="field" title="title">Title</span>: Chainwide → Spring' in html
        assert '<span class="field" title="is_open">Open for responses</span>: yes → no' in html
        assert '<span class="field" title="level">Level</span>: 6</li>' in html  # a deletion shows what was
        assert '<option value="standard">Quality standard</option>' in html
        assert '<option value="audit">Audit</option>' in html
        assert ">updated<" not in html and ">deleted<" not in html and ">standard<" not in html
        # Unknown codes (none recorded today) are shown as recorded.
        assert '<span class="badge action-frobbed">Frobbed</span>' in html
        assert '<span class="field" title="colour">Colour</span>: red → blue' in html
        assert '<option value="gadget">gadget</option>' in html

    def test_it_shows_them_in_chinese(self, client, people, logged):
        client.force_login(people.admin)
        client.cookies["django_language"] = "zh-hans"
        html = client.get("/audit-log/").content.decode()
        assert '<span class="badge action-updated">已更新</span>' in html
        assert '<span class="badge action-deleted">已删除</span>' in html
        assert '<span class="muted">测评</span> Chainwide (chainwide)' in html
        assert '<span class="muted">质量标准</span> TAN1 · whole audit' in html
        assert '<span class="field" title="title">标题</span>: Chainwide → Spring' in html
        assert '<span class="field" title="is_open">开放作答</span>: 是 → 否' in html
        assert '<option value="standard">质量标准</option>' in html
        assert ">Updated<" not in html and ">updated<" not in html

    def test_the_filter_uses_the_labels_and_still_filters_by_code(self, client, people, logged):
        client.force_login(people.admin)
        page = client.get("/audit-log/", {"object_type": "standard"})
        assert [(e.action, e.object_type) for e in page.context["page"].object_list] == [("deleted", "standard")]
        assert '<option value="standard" selected>Quality standard</option>' in page.content.decode()

    @pytest.mark.parametrize("who", ["manager", "staff", "nobody"])
    def test_it_is_forbidden_to_everyone_but_admins(self, client, people, logged, who):
        client.force_login(getattr(people, who))
        assert client.get("/audit-log/").status_code == 403
