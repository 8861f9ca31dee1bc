"""Units, instruments, audits and customer responses (METHOD.md §1, §7)."""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

CODE_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
code_validator = RegexValidator(
    CODE_PATTERN, _("Use 1 to 32 letters, digits, '_' or '-'.")
)
MIN_SCALE, MAX_SCALE = 2, 10


class Unit(models.Model):
    """A service unit; units form a tree (a chain, its regions, their halls)."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        """A unit cannot sit below itself: the units form a tree."""
        from django.core.exceptions import ValidationError

        parent, seen = self.parent, set()
        while parent is not None and parent.pk not in seen:
            if self.pk is not None and parent.pk == self.pk:
                raise ValidationError({"parent": _("A unit cannot be placed below itself or one of its own units.")})
            seen.add(parent.pk)
            parent = parent.parent


class Instrument(models.Model):
    """A questionnaire: dimensions with items, texts per language (METHOD.md §1, §10)."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.JSONField(_("name"), default=dict, help_text=_("Name per language code."))
    languages = models.JSONField(_("languages"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")

    def __str__(self) -> str:
        return self.code


class Dimension(models.Model):
    instrument = models.ForeignKey(
        Instrument, on_delete=models.CASCADE, related_name="dimensions"
    )
    code = models.CharField(_("code"), max_length=32, validators=[code_validator])
    name = models.JSONField(_("name"), default=dict)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["instrument", "position", "id"]
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="dimension_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code}/{self.code}"


class Item(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=32, validators=[code_validator])
    text = models.JSONField(_("text"), default=dict)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["dimension__position", "position", "id"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="item_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code}/{self.code}"


class Audit(models.Model):
    """One audit: a frozen copy of an instrument, answered for a set of units."""

    class Format(models.TextChoices):
        TWO_COLUMN = "two_column", _("Two columns (expectation, perception)")
        THREE_COLUMN = "three_column", _("Three columns (adequate, desired, perceived)")

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    instrument = models.ForeignKey(
        Instrument, verbose_name=_("instrument"), on_delete=models.PROTECT, related_name="audits"
    )
    # The instrument as it was when the audit was set up (METHOD.md §10 shape);
    # responses are stored against this layout, never against the live instrument.
    instrument_snapshot = models.JSONField(_("frozen instrument"), default=dict, editable=False)
    scale = models.PositiveSmallIntegerField(
        _("scale (K)"), default=7,
        validators=[MinValueValidator(MIN_SCALE), MaxValueValidator(MAX_SCALE)],
    )
    format = models.CharField(
        _("format"), max_length=16, choices=Format.choices, default=Format.TWO_COLUMN
    )
    units = models.ManyToManyField(Unit, verbose_name=_("units"), related_name="audits")
    is_open = models.BooleanField(_("open for responses"), default=True)
    min_sample = models.PositiveIntegerField(
        _("minimum sample"), default=5, validators=[MinValueValidator(1), MaxValueValidator(100000)]
    )
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Bumped by every write to the audit's data; a result is fresh when it was
    # computed from the current version.
    data_version = models.PositiveBigIntegerField(default=0, editable=False)
    # Kept with every write (and re-counted by each recompute) so that lists of
    # audits need not count a million rows.
    response_count = models.PositiveBigIntegerField(_("responses"), default=0, editable=False)
    computed_version = models.PositiveBigIntegerField(default=0, editable=False)
    recompute_queued = models.BooleanField(default=False, editable=False)
    recompute_queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    computing = models.BooleanField(default=False, editable=False)
    computed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "slug"]
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scale__gte=MIN_SCALE, scale__lte=MAX_SCALE),
                name="audit_scale_range",
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def three_column(self) -> bool:
        return self.format == self.Format.THREE_COLUMN

    @property
    def result_status(self) -> str:
        if self.computing:
            return "computing"
        if self.computed_at is not None and self.computed_version >= self.data_version:
            return "fresh"
        return "stale"


class Response(models.Model):
    """One customer submission.

    Answers are packed one byte per answer (0 = no opinion) in the audit's frozen
    item order: all expectations, then all perceptions, then (three-column audits)
    all adequate levels; see surveys.layout. One row per response keeps a million
    responses at ~150 MB and lets the recompute read them in one pass.
    """

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="responses")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="responses")
    submission_id = models.UUIDField(_("submission id"), default=uuid.uuid4)
    channel = models.CharField(_("channel"), max_length=64, blank=True, default="")
    submitted_at = models.DateTimeField(_("submitted at"))
    answers = models.BinaryField(_("answers"))
    # One byte per dimension (importance points), or null when none were given.
    importance = models.BinaryField(_("importance"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "submission_id"], name="response_submission_unique"
            )
        ]

    def __str__(self) -> str:
        return str(self.submission_id)


class SurveyLink(models.Model):
    """The public link of one audit × unit: a signed token names this row (surveys.links).

    Reissuing a link withdraws the current row and creates one with a new random
    key, so that links printed before stay dead. At most one row per audit and
    unit is current (not withdrawn).
    """

    audit = models.ForeignKey(Audit, verbose_name=_("audit"), on_delete=models.CASCADE, related_name="links")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="survey_links")
    key = models.CharField(_("key"), max_length=32, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["audit", "unit", "-created_at", "-id"]
        verbose_name = _("survey link")
        verbose_name_plural = _("survey links")
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "unit"], condition=models.Q(revoked_at__isnull=True),
                name="survey_link_one_current",
            )
        ]

    def __str__(self) -> str:
        return f"{self.audit_id}/{self.unit_id}/{self.key}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
