"""People and access: roles scoped to units, API tokens and the audit log."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
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

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=32)
    object_type = models.CharField(_("object type"), max_length=32, db_index=True)
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
