"""HTML forms: audit set-up, response import and the public customer survey."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.access import scope_unit_ids
from surveys.instruments import localized
from surveys.models import MAX_SCALE, MIN_SCALE, Audit, Instrument, Unit
from surveys.selectors import tree_order, unit_tree

# Field-name prefixes of the survey form, the same as the exchange columns (METHOD.md §9).
COLUMN_PREFIX = {"expectation": "E", "perception": "P", "adequate": "A"}
IMPORTANCE_PREFIX = "W"


class InstrumentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Instrument) -> str:
        return f"{localized(obj.name) or obj.code} · {obj.code}"


class AuditForm(forms.ModelForm):
    """Create or edit an audit; saving goes through surveys.services, not ModelForm.save()."""

    class Meta:
        model = Audit
        fields = [
            "title", "slug", "instrument", "format", "scale", "units",
            "period_start", "period_end", "min_sample", "is_open",
        ]
        field_classes = {"instrument": InstrumentChoiceField}
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "period_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "scale": forms.NumberInput(attrs={"min": MIN_SCALE, "max": MAX_SCALE}),
            "min_sample": forms.NumberInput(attrs={"min": 1, "max": 100000}),
            "units": forms.SelectMultiple(attrs={"size": 10}),
        }
        help_texts = {
            "slug": _("Part of every survey link: letters, digits, '-' and '_'. "
                      "Leave empty to make one from the title."),
            "instrument": _("The questionnaire. The audit keeps its own copy, so later edits to "
                            "the instrument do not change it."),
            "scale": _("Answers run from 1 to this number (2 to 10; SERVQUAL uses 7)."),
            "units": _("Customers of these units and of every unit below them can answer. "
                       "Hold Ctrl (⌘ on a Mac) to choose several."),
            "min_sample": _("Figures based on fewer responses carry a low-sample warning."),
            "is_open": _("A closed audit accepts no more survey responses."),
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = self.instance.pk is None
        self.fields["slug"].required = False
        if self.creating and not self.is_bound:
            # The default SERVQUAL instrument, when present, is the usual choice.
            self.initial.setdefault("instrument", Instrument.objects.filter(code="servqual").first())
        if not self.creating:
            # The slug is part of links already handed out to customers.
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = _("Part of every survey link; it cannot change.")
            frozen = _("Cannot change once the audit has responses.")
            for name in ("instrument", "format", "scale"):
                help_text = self.fields[name].help_text
                self.fields[name].help_text = f"{help_text} {frozen}" if help_text else frozen
        units = unit_tree()[0]
        # A manager chooses among the units of their scope only (admins: every unit).
        scope = scope_unit_ids(user, "manager") if user is not None else None
        if scope is not None:
            units = {uid: unit for uid, unit in units.items() if uid in scope}
            self.fields["units"].queryset = Unit.objects.filter(pk__in=scope)
            self.fields["units"].error_messages["invalid_choice"] = _(
                "Choose only units within your scope.")
        self.fields["units"].choices = [
            (unit.pk, "\u00a0\u00a0\u00a0" * depth + f"{unit.name} ({unit.code})")
            for unit, depth in tree_order(units)
        ]

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug") or ""
        if slug or not self.creating:
            return slug
        base = slugify(self.cleaned_data.get("title") or "")[:56] or "audit"
        slug, n = base, 1
        while Audit.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period cannot end before it starts."))
        return data

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values as keyword arguments for audit_create / audit_update."""
        data = dict(self.cleaned_data)
        if not self.creating:
            data.pop("slug", None)
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Responses file"),
        help_text=_("A CSV or XLSX file with a header row, as written by the export."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise ValidationError(_("Choose a .csv or .xlsx file."))
        return upload


class ScaleAndImportanceMixin:
    """The answer scale and the 100-point importance split of a form over an audit's
    frozen instrument (the customer survey and the manager survey share them)."""

    audit: Audit

    def importance_rows(self) -> list[dict[str, Any]]:
        rows = []
        for dimension in self.audit.instrument_snapshot["dimensions"]:
            bound = self[f"{IMPORTANCE_PREFIX}_{dimension['code']}"]
            rows.append({"name": bound.html_name, "id": bound.auto_id, "label": localized(dimension["name"]),
                         "value": bound.value() if bound.value() is not None else "",
                         "errors": bound.errors})
        return rows

    def importance_total(self) -> int:
        total = 0
        for row in self.importance_rows():
            try:
                total += int(row["value"])
            except (TypeError, ValueError):
                pass
        return total

    def scale_choices(self) -> list[str]:
        return [str(k) for k in range(1, self.audit.scale + 1)]

    def scale_columns(self) -> int:
        """Choices per row on a phone: 1..7 fit one row at 375 px; longer scales take two rows."""
        scale = self.audit.scale
        return scale if scale <= 7 else (scale + 1) // 2


class SurveyForm(ScaleAndImportanceMixin, forms.Form):
    """One customer's answers: a radio row 1..K (or no opinion) per item and column,
    and optional importance points per dimension (METHOD.md §1, §3)."""

    submission_id = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": _("This form has expired; please reload the page."),
                        "invalid": _("This form has expired; please reload the page.")},
    )

    def __init__(self, *args: Any, audit: Audit, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("submission_id", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.audit = audit
        self.columns = ("adequate", "expectation", "perception") if audit.three_column \
            else ("expectation", "perception")
        scale = audit.scale
        choices = [("", _("No opinion"))] + [(str(k), str(k)) for k in range(1, scale + 1)]
        bad_answer = _("Choose a number from 1 to %(k)s, or “No opinion”.") % {"k": scale}
        for dimension in audit.instrument_snapshot["dimensions"]:
            self.fields[f"{IMPORTANCE_PREFIX}_{dimension['code']}"] = forms.IntegerField(
                required=False, min_value=0, max_value=100,
                error_messages={"invalid": _("Enter whole points from 0 to 100."),
                                "min_value": _("Enter whole points from 0 to 100."),
                                "max_value": _("Enter whole points from 0 to 100.")},
            )
            for item in dimension["items"]:
                for column in self.columns:
                    self.fields[f"{COLUMN_PREFIX[column]}_{item['code']}"] = forms.TypedChoiceField(
                        choices=choices, coerce=int, empty_value=None, required=False,
                        widget=forms.RadioSelect, error_messages={"invalid_choice": bad_answer},
                    )

    def _importance_names(self) -> list[tuple[str, str]]:
        return [(d["code"], f"{IMPORTANCE_PREFIX}_{d['code']}")
                for d in self.audit.instrument_snapshot["dimensions"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        points = [data.get(name) for _code, name in self._importance_names()]
        given = [p for p in points if p is not None]
        if given and not any(name in self.errors for _code, name in self._importance_names()):
            if len(given) < len(points) or sum(given) != 100:
                self.add_error(None, ValidationError(
                    _("Points must add up to exactly 100 (they add up to %(total)s). "
                      "Put 0 for an aspect that does not matter to you, or leave every box empty."),
                    code="importance", params={"total": sum(given)},
                ))
        return data

    def answers(self) -> dict[str, dict[str, int | None]]:
        out: dict[str, dict[str, int | None]] = {}
        for dimension in self.audit.instrument_snapshot["dimensions"]:
            for item in dimension["items"]:
                out[item["code"]] = {
                    column: self.cleaned_data.get(f"{COLUMN_PREFIX[column]}_{item['code']}")
                    for column in self.columns
                }
        return out

    def importance(self) -> dict[str, int] | None:
        points = {code: self.cleaned_data.get(name) for code, name in self._importance_names()}
        if all(p is None for p in points.values()):
            return None
        return points

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Show surveys.services errors ("answers.REL1.expectation", "importance", …) on the fields."""
        for path, messages in errors.items():
            parts = path.split(".")
            if parts[0] == "answers" and len(parts) == 3 and parts[2] in COLUMN_PREFIX:
                name = f"{COLUMN_PREFIX[parts[2]]}_{parts[1]}"
                if name in self.fields:
                    self.add_error(name, self.fields[name].error_messages["invalid_choice"])
                    continue
            elif parts[0] == "importance":
                name = f"{IMPORTANCE_PREFIX}_{parts[1]}" if len(parts) == 2 else None
                if name in self.fields:
                    self.add_error(name, _("Enter whole points from 0 to 100."))
                else:
                    self.add_error(None, ValidationError(
                        _("Points must add up to exactly 100, or leave every box empty."),
                        code="importance",
                    ))
                continue
            elif parts[0] == "unit":
                self.add_error(None, _("This survey link does not belong to a unit of this audit."))
                continue
            self.add_error(None, "; ".join(messages))

    @property
    def importance_errors(self) -> list[str]:
        return [m for e in self.errors.as_data().get("__all__", []) if e.code == "importance"
                for m in e.messages]

    @property
    def general_errors(self) -> list[str]:
        general = [m for e in self.errors.as_data().get("__all__", []) if e.code != "importance"
                   for m in e.messages]
        return general + list(self.errors.get("submission_id", []))

    def sections(self) -> list[dict[str, Any]]:
        """Dimensions with their items, each with one radio row per column, for the template."""
        labels = column_labels(self.audit)
        out, number = [], 0
        for dimension in self.audit.instrument_snapshot["dimensions"]:
            items = []
            for item in dimension["items"]:
                rows = []
                for column in self.columns:
                    bound = self[f"{COLUMN_PREFIX[column]}_{item['code']}"]
                    value = bound.value()
                    rows.append({"name": bound.html_name, "label": labels[column],
                                 "value": "" if value is None else str(value), "errors": bound.errors})
                number += 1
                items.append({"code": item["code"], "number": number, "text": localized(item["text"]),
                              "rows": rows,
                              "has_errors": any(r["errors"] for r in rows)})
            out.append({"code": dimension["code"], "name": localized(dimension["name"]), "items": items})
        return out

def column_labels(audit: Audit) -> dict[str, Any]:
    if audit.three_column:
        return {"adequate": _("Minimum acceptable"), "expectation": _("Desired"),
                "perception": _("This service")}
    return {"expectation": _("Expected"), "perception": _("This service")}
