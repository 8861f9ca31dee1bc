"""Computed gap results and recompute jobs."""

import json
import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import Audit, Unit


class OrderedJSONField(models.TextField):
    """JSON kept as text: PostgreSQL's jsonb reorders object keys, and the order of
    dimensions and items in a result is the instrument's order."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, allow_nan=False, ensure_ascii=False)


class GapResult(models.Model):
    """The METHOD.md §8 figures of one audit, for the whole audit (unit null) or one unit."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="results")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    payload = OrderedJSONField(_("figures"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("gap result")
        verbose_name_plural = _("gap results")
        constraints = [
            models.UniqueConstraint(fields=["audit", "unit"], name="result_audit_unit_unique"),
            models.UniqueConstraint(
                fields=["audit"], condition=models.Q(unit__isnull=True), name="result_audit_total_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.audit.slug}/{self.unit.code if self.unit_id else '*'}"


class ComputeJob(models.Model):
    """One requested recompute, pollable through the API whatever the Celery backend."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("compute job")
        verbose_name_plural = _("compute jobs")

    def __str__(self) -> str:
        return f"{self.audit.slug} {self.status}"
