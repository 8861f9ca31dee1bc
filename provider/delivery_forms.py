"""HTML forms of the delivery evidence pages: the frontline self-assessment and the
inspection scorecard. Saving goes through provider.delivery, never through the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.access import scope_unit_ids
from accounts.models import Role
from provider.delivery import MAX_COMMENT, MAX_NOTES, MAX_REFERENCE
from provider.models import Inspection, QualityStandard, ScorecardTemplate
from surveys.instruments import localized
from surveys.models import Audit, Unit
from surveys.selectors import audit_unit_ids, tree_order

SCORE_PREFIX, COMMENT_PREFIX = "S", "C"
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
INDENT = "\u2003"  # an em space per level of the unit tree


def unit_choices(audit: Audit, user: Any = None) -> list[tuple[str, str]]:
    """The units that can give evidence for the audit (its units and their
    descendants), in tree order, indented by depth; with `user`, only those in the
    user's staff scope (every one for admins)."""
    ids = set(audit_unit_ids(audit=audit).values())
    scope = scope_unit_ids(user, Role.STAFF) if user is not None else None
    if scope is not None:
        ids &= scope
    units = {u.pk: u for u in Unit.objects.filter(pk__in=ids)}
    return [(unit.code, f"{INDENT * depth}{unit.name} ({unit.code})") for unit, depth in tree_order(units)]


def _add_errors(form: forms.Form, errors: dict[str, list[str]], fields: dict[str, str]) -> None:
    """Show provider.delivery errors on the form field they concern, the rest on top."""
    for path, messages in errors.items():
        name = fields.get(path.split(".")[0])
        if name in form.fields and name not in form.errors:
            form.add_error(name, messages)
        elif name not in form.fields:
            form.add_error(None, messages)


class SelfAssessmentForm(forms.Form):
    """Per item, how well the unit delivers to the standard (1..K or not assessed),
    with an optional comment (METHOD.md §6, gap 3)."""

    unit = forms.CharField(widget=forms.HiddenInput, error_messages={"required": _("Choose your unit first.")})

    def __init__(self, *args: Any, audit: Audit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audit = audit
        choices = [("", _("Not assessed"))] + [(str(k), str(k)) for k in range(1, audit.scale + 1)]
        bad = _("Choose a number from 1 to %(k)s, or “Not assessed”.") % {"k": audit.scale}
        for code in self.item_codes():
            self.fields[f"{SCORE_PREFIX}_{code}"] = forms.TypedChoiceField(
                choices=choices, coerce=int, empty_value=None, required=False, widget=forms.RadioSelect,
                error_messages={"invalid_choice": bad},
            )
            self.fields[f"{COMMENT_PREFIX}_{code}"] = forms.CharField(
                required=False, max_length=MAX_COMMENT, label=_("Comment"),
                widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_COMMENT}),
            )

    def item_codes(self) -> list[str]:
        return [i["code"] for d in self.audit.instrument_snapshot["dimensions"] for i in d["items"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not any(data.get(f"{SCORE_PREFIX}_{code}") is not None for code in self.item_codes()) \
                and not any(k.startswith(SCORE_PREFIX) for k in self.errors):
            self.add_error(None, _("Score at least one item."))
        return data

    def scores(self) -> dict[str, int | None]:
        return {code: self.cleaned_data.get(f"{SCORE_PREFIX}_{code}") for code in self.item_codes()}

    def comments(self) -> dict[str, str]:
        return {code: text for code in self.item_codes() if (text := self.cleaned_data.get(f"{COMMENT_PREFIX}_{code}"))}

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for path, messages in errors.items():
            prefix = {"scores": SCORE_PREFIX, "comments": COMMENT_PREFIX}.get(path.split(".")[0])
            name = f"{prefix}_{path.split('.', 1)[1]}" if prefix and "." in path else None
            if name in self.fields:
                self.add_error(name, messages)
            else:
                self.add_error(None, messages)

    def sections(self, standards: dict[str, QualityStandard]) -> list[dict[str, Any]]:
        """Dimensions with their items: text, standard, score choices and comment."""
        out, number = [], 0
        for dimension in self.audit.instrument_snapshot["dimensions"]:
            items = []
            for item in dimension["items"]:
                number += 1
                score = self[f"{SCORE_PREFIX}_{item['code']}"]
                value = score.value()
                items.append({
                    "code": item["code"], "number": number, "text": localized(item["text"]),
                    "standard": standards.get(item["code"]), "score_name": score.html_name,
                    "value": "" if value is None else str(value), "errors": score.errors,
                    "comment": self[f"{COMMENT_PREFIX}_{item['code']}"],
                })
            out.append({"code": dimension["code"], "name": localized(dimension["name"]), "items": items})
        return out

    def scale_choices(self) -> list[str]:
        return [str(k) for k in range(1, self.audit.scale + 1)]


class InspectionForm(forms.Form):
    """One inspection with a scorecard template: the inspector ticks the checks that failed."""

    template = forms.CharField(widget=forms.HiddenInput)
    unit = forms.ChoiceField(label=_("Unit inspected"),
                             error_messages={"invalid_choice": _("Choose one of the units listed.")})
    inspector_role = forms.ChoiceField(label=_("You inspect as"), choices=Inspection.Role.choices,
                                       initial=Inspection.Role.SUPERVISOR)
    reference = forms.CharField(
        label=_("Reference"), required=False, max_length=MAX_REFERENCE,
        help_text=_("The call id, ticket or visit reference, so that the interaction can be found again."),
    )
    observed_at = forms.DateTimeField(
        label=_("Observed at"), input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("When the call or visit took place."),
    )
    failed = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=MAX_NOTES,
                            widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_NOTES}))

    def __init__(self, *args: Any, audit: Audit, template: ScorecardTemplate, user: Any = None,
                 **kwargs: Any) -> None:
        """`user`: the unit choices are the audit's units in the user's staff scope."""
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("template", template.code)
        initial.setdefault("observed_at", timezone.localtime().replace(second=0, microsecond=0))
        super().__init__(*args, **kwargs)
        self.audit, self.template = audit, template
        self.checks = list(template.checks.all())
        choices = unit_choices(audit, user)
        self.fields["unit"].choices = choices if len(choices) == 1 else [("", "—")] + choices
        self.fields["failed"].choices = [(c.code, c.code) for c in self.checks]

    def checklist(self) -> list[dict[str, Any]]:
        """The template's checks, each with its failed tick box, for the template."""
        ticked = set(self["failed"].value() or [])
        return [
            {"code": c.code, "text": localized(c.text), "item_code": c.item_code, "deduction": c.deduction,
             "checked": c.code in ticked, "id": f"check-{c.code}", "name": self["failed"].html_name}
            for c in self.checks
        ]

    def maximum(self) -> int:
        return sum(c.deduction for c in self.checks)

    def deducted(self) -> int:
        ticked = set(self["failed"].value() or [])
        return sum(c.deduction for c in self.checks if c.code in ticked)

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        _add_errors(self, errors, {"unit": "unit", "inspector_role": "inspector_role", "reference": "reference",
                                   "observed_at": "observed_at", "notes": "notes", "failed_checks": "failed"})

    def clean_template(self) -> str:
        if self.cleaned_data["template"] != self.template.code:
            raise ValidationError(_("The scorecard changed while you were filling it in; please start again."))
        return self.cleaned_data["template"]
