"""People and access: roles scoped to units, API tokens and the audit log."""

import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a signed-in user may do; customers are anonymous and have no role."""

    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    STAFF = "staff", _("Staff")


class RoleAssignment(models.Model):
    """One role of a user. An admin holds it organisation-wide (no unit); a manager or
    staff member holds it on a unit, which covers that unit and every unit below it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    # PROTECT: deleting a unit must not silently take away (or widen) someone's scope.
    unit = models.ForeignKey(
        "surveys.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["user_id", "role", "unit__code"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=(Q(role=Role.ADMIN, unit__isnull=True)
                           | Q(role__in=[Role.MANAGER, Role.STAFF], unit__isnull=False)),
                name="role_assignment_unit_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "unit"], condition=Q(unit__isnull=False),
                name="role_assignment_unique_on_unit",
            ),
            models.UniqueConstraint(
                fields=["user", "role"], condition=Q(unit__isnull=True),
                name="role_assignment_unique_organisation_wide",
            ),
        ]

    def __str__(self) -> str:
        if self.unit_id is None:
            return f"{self.user} · {self.role}"
        return f"{self.user} · {self.role} · {self.unit.code}"


class ApiToken(models.Model):
    """A secret for scripts. Only its SHA-256 is stored; the secret is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


# The fields the audit log records, by the name it records them under (services and admin).
CHANGE_LABELS = {
    "slug": _("slug"), "title": _("title"), "instrument": _("instrument"), "scale": _("scale (K)"),
    "format": _("format"), "units": _("units"), "is_open": _("open for responses"),
    "min_sample": _("minimum sample"), "period_start": _("period start"), "period_end": _("period end"),
    "item": _("item"), "unit": _("unit"), "level": _("level"), "description": _("description"),
    "text": _("text"), "channel": _("channel"), "valid_from": _("valid from"), "valid_to": _("valid to"),
    "code": _("code"), "name": _("name"), "is_active": _("active"), "checks": _("checks"),
    "user": _("user"), "role": _("role"), "email": _("email"), "username": _("username"),
    "first_name": _("first name"), "last_name": _("last name"), "is_staff": _("staff status"),
    "is_superuser": _("superuser status"), "revoked_at": _("revoked at"),
}


def _is_texts(value: Any) -> bool:
    """A text per language code, e.g. {"en": "Greeting", "zh-hans": "问候"}."""
    return isinstance(value, dict) and bool(value) and all(
        isinstance(k, str) and len(k) <= 16 and isinstance(v, str) for k, v in value.items())


def _is_checks(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(c, dict) and "code" in c for c in value)


def change_value_text(field: str, value: Any) -> str:
    """One logged value as a person reads it: yes/no, texts per language, codes of a list."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if field == "role" and value in Role.values:
        return str(Role(value).label)
    if _is_texts(value):
        return " · ".join(f"{language}: {text}" for language, text in value.items())
    if _is_checks(value):
        return ", ".join(str(c["code"]) for c in value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    return str(value)


def checks_change_summary(old: list[dict], new: list[dict]) -> str:
    """A scorecard's checks before and after, by check code: added, removed, changed
    (text, item or deduction), or only put in another order."""
    before, after = {c["code"]: c for c in old}, {c["code"]: c for c in new}
    parts = []
    if added := [code for code in after if code not in before]:
        parts.append(gettext("added: %(codes)s") % {"codes": ", ".join(map(str, added))})
    if removed := [code for code in before if code not in after]:
        parts.append(gettext("removed: %(codes)s") % {"codes": ", ".join(map(str, removed))})
    if changed := [code for code in after if code in before and before[code] != after[code]]:
        parts.append(gettext("changed: %(codes)s") % {"codes": ", ".join(map(str, changed))})
    if not parts and list(before) != list(after):
        parts.append(gettext("new order: %(codes)s") % {"codes": ", ".join(map(str, after))})
    return " · ".join(parts) or "—"


class AuditLogEntry(models.Model):
    """Who changed what, and when: one row per change to a standard, promise, scorecard,
    role, audit or user. `changes` maps each field to [old, new]."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")
        DELETED = "deleted", _("deleted")
        INVITED = "invited", _("invited")
        DEACTIVATED = "deactivated", _("deactivated")
        REACTIVATED = "reactivated", _("reactivated")
        REVOKED = "revoked", _("revoked")

    class ObjectType(models.TextChoices):
        AUDIT = "audit", _("audit")
        STANDARD = "standard", _("quality standard")
        PROMISE = "promise", _("promise")
        SCORECARD = "scorecard", _("scorecard template")
        ROLE = "role", _("role")
        USER = "user", _("user")
        TOKEN = "token", _("API token")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=32, db_index=True, choices=ObjectType.choices)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, default="")
    object_repr = models.CharField(_("object"), max_length=200, blank=True, default="")
    audit = models.ForeignKey(
        "surveys.Audit", verbose_name=_("audit"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="log_entries",
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_repr}"

    def change_rows(self) -> list[dict[str, Any]]:
        """The changes as the audit-log page shows them: the field's readable name (the
        recorded name when unknown) and its old and new value as text. `shows` says which
        to show: the new value of a created object, the old of a deleted one, else both."""
        shows = {self.Action.CREATED: "new", self.Action.INVITED: "new", self.Action.DELETED: "old"}.get(
            self.action, "both")
        rows = []
        for field, change in (self.changes or {}).items():
            old, new = change if isinstance(change, (list, tuple)) and len(change) == 2 else (None, change)
            row = {"field": field, "label": CHANGE_LABELS.get(field, field), "shows": shows,
                   "old": change_value_text(field, old), "new": change_value_text(field, new)}
            if shows == "both" and _is_checks(old) and _is_checks(new):
                row.update(shows="summary", summary=checks_change_summary(old, new))
            rows.append(row)
        return rows
