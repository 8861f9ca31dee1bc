"""The provider side of the gaps model (METHOD.md §6).

Manager beliefs (gap 1), quality standards (gap 2), delivery evidence (gap 3:
self-assessments and inspection scorecards) and the promise register (gap 4).
Items are referred to by their code in the audit's frozen instrument.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from surveys.models import Audit, Unit, code_validator


class ManagerAnswerSet(models.Model):
    """One manager's belief of what customers expect, per item (gap 1).

    `answers` maps item code → level 1..K or null (no opinion); `importance` maps
    dimension code → points (summing to 100) or is null. One set per manager per audit.
    """

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="manager_answer_sets")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("manager"), on_delete=models.CASCADE, related_name="+"
    )
    answers = models.JSONField(_("answers"), default=dict)
    importance = models.JSONField(_("importance"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["audit", "unit", "manager"]
        verbose_name = _("manager answer set")
        verbose_name_plural = _("manager answer sets")
        constraints = [models.UniqueConstraint(fields=["audit", "manager"], name="manager_answer_set_unique")]

    def __str__(self) -> str:
        return f"{self.audit.slug}/{self.manager}"


class QualityStandard(models.Model):
    """A target level 1..K for an item and the operational standard behind it (gap 2).

    `unit` null is the audit's standard; a unit's row overrides it for that unit
    and its descendants.
    """

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="standards")
    item_code = models.CharField(_("item"), max_length=32, validators=[code_validator])
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit override"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    level = models.PositiveSmallIntegerField(
        _("target level"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    description = models.TextField(_("operational standard"), blank=True, default="")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["audit", "item_code", "unit"]
        verbose_name = _("quality standard")
        verbose_name_plural = _("quality standards")
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "item_code"], condition=models.Q(unit__isnull=True), name="standard_audit_item_unique"
            ),
            models.UniqueConstraint(
                fields=["audit", "item_code", "unit"], condition=models.Q(unit__isnull=False),
                name="standard_unit_item_unique",
            ),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=10), name="standard_level_range"),
        ]

    def __str__(self) -> str:
        return f"{self.audit.slug}/{self.item_code}={self.level}"


class SelfAssessment(models.Model):
    """A frontline self-assessment: per item, how well the unit delivers (1..K) (gap 3)."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="self_assessments")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    scores = models.JSONField(_("scores"), default=dict)  # item code → 1..K or null
    comments = models.JSONField(_("comments"), default=dict)  # item code → text

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")

    def __str__(self) -> str:
        return f"{self.audit.slug}/{self.unit.code}/{self.pk}"


class ScorecardTemplate(models.Model):
    """An inspection scorecard: checks with deduction points, each evidencing an item."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.JSONField(_("name"), default=dict, help_text=_("Name per language code."))
    description = models.JSONField(_("description"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("scorecard template")
        verbose_name_plural = _("scorecard templates")

    def __str__(self) -> str:
        return self.code


class ScorecardCheck(models.Model):
    template = models.ForeignKey(ScorecardTemplate, on_delete=models.CASCADE, related_name="checks")
    code = models.CharField(_("code"), max_length=32, validators=[code_validator])
    text = models.JSONField(_("text"), default=dict)
    item_code = models.CharField(_("item"), max_length=32, validators=[code_validator])
    deduction = models.PositiveSmallIntegerField(
        _("deduction points"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["template", "position", "id"]
        verbose_name = _("scorecard check")
        verbose_name_plural = _("scorecard checks")
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="scorecard_check_code_unique"),
            models.CheckConstraint(
                condition=models.Q(deduction__gte=1, deduction__lte=100), name="scorecard_check_deduction_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.code}/{self.code}"


class Inspection(models.Model):
    """One observed interaction scored with a template (gap 3, METHOD.md §6).

    `failed_checks` lists the failed check codes; `checks` freezes the template's
    checks as they were ([{code, item_code, deduction}]) so that later template edits
    never change a past inspection; `scores` holds the resulting observation per item.
    """

    class Role(models.TextChoices):
        SUPERVISOR = "supervisor", _("Supervisor")
        QUALITY_CHECKER = "quality_checker", _("Quality checker")
        MYSTERY_SHOPPER = "mystery_shopper", _("Mystery shopper")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="inspections")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    template = models.ForeignKey(ScorecardTemplate, on_delete=models.PROTECT, related_name="inspections")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    inspector_role = models.CharField(_("inspector role"), max_length=20, choices=Role.choices,
                                      default=Role.SUPERVISOR)
    reference = models.CharField(_("reference"), max_length=100, blank=True, default="",
                                 help_text=_("Call id, ticket or visit reference."))
    observed_at = models.DateTimeField(_("observed at"))
    failed_checks = models.JSONField(_("failed checks"), default=list)
    checks = models.JSONField(default=list, editable=False)
    scores = models.JSONField(default=dict, editable=False)
    notes = models.TextField(_("notes"), blank=True, default="")
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        ordering = ["-observed_at", "-id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return f"{self.audit.slug}/{self.template.code}/{self.pk}"


class DeliveryObservation(models.Model):
    """One delivery observation of an item (gap 3): a self-assessment score or a
    converted inspection score. The recompute reads only this table."""

    class Source(models.TextChoices):
        SELF_ASSESSMENT = "self_assessment", _("Self-assessment")
        INSPECTION = "inspection", _("Inspection")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="delivery_observations")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    item_code = models.CharField(max_length=32)
    value = models.FloatField()
    source = models.CharField(max_length=20, choices=Source.choices)
    self_assessment = models.ForeignKey(SelfAssessment, null=True, blank=True, on_delete=models.CASCADE,
                                        related_name="observations")
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="observations")

    class Meta:
        ordering = ["id"]
        verbose_name = _("delivery observation")
        verbose_name_plural = _("delivery observations")
        indexes = [models.Index(fields=["audit", "item_code"])]

    def __str__(self) -> str:
        return f"{self.item_code}={self.value}"


class Promise(models.Model):
    """An external promise about an item (gap 4). `unit` null: made chain-wide;
    otherwise it applies to that unit and its descendants. It counts for the audit
    when its validity overlaps the audit's period (open ends never exclude)."""

    class Channel(models.TextChoices):
        POSTER = "poster", _("Poster")
        LEAFLET = "leaflet", _("Leaflet")
        WEBSITE = "website", _("Website")
        ADVERTISEMENT = "advertisement", _("Advertisement")
        HOTLINE_SCRIPT = "hotline_script", _("Hotline script")
        SOCIAL_MEDIA = "social_media", _("Social media")
        OTHER = "other", _("Other")

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="promises")
    item_code = models.CharField(_("item"), max_length=32, validators=[code_validator])
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    text = models.TextField(_("promise"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.POSTER)
    level = models.PositiveSmallIntegerField(
        _("promised level"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["audit", "item_code", "-level", "id"]
        verbose_name = _("promise")
        verbose_name_plural = _("promises")
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=10), name="promise_level_range"),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True) | models.Q(valid_to__isnull=True)
                | models.Q(valid_from__lte=models.F("valid_to")),
                name="promise_validity_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.audit.slug}/{self.item_code}≤{self.level}"
