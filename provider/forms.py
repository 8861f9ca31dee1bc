"""HTML forms of the provider side: the manager survey, quality standards and promises.

Saving goes through provider.beliefs / standards / promises; the services' field
errors are shown beside the fields (add_service_errors).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from provider.models import ManagerAnswerSet, Promise, QualityStandard
from provider.standards import MAX_DESCRIPTION
from surveys.forms import ScaleAndImportanceMixin
from surveys.instruments import localized
from surveys.models import Audit, Unit

BELIEF_PREFIX = "M"
IMPORTANCE_PREFIX = "W"
MAX_PROMISE_TEXT = 2000
INDENT = "\u00a0\u00a0\u00a0"


def unit_choices(tree: list[tuple[Unit, int]], blank: Any = None) -> list[tuple[str, str]]:
    """Select choices by unit code, indented by depth; `blank` labels an empty first choice."""
    choices = [("", blank)] if blank is not None else []
    return choices + [(unit.code, INDENT * depth + f"{unit.name} ({unit.code})") for unit, depth in tree]


def item_choices(audit: Audit) -> list[tuple[str, list[tuple[str, str]]]]:
    """Items grouped by dimension, labelled "CODE · text" in the active language."""
    groups = []
    for dimension in audit.instrument_snapshot.get("dimensions", []):
        items = [(item["code"], f"{item['code']} · {localized(item.get('text')) or item['code']}")
                 for item in dimension.get("items", [])]
        groups.append((localized(dimension.get("name")) or dimension["code"], items))
    return groups


def level_choices(audit: Audit) -> list[tuple[int, str]]:
    return [(k, str(k)) for k in range(1, audit.scale + 1)]


def add_service_errors(form: forms.Form, errors: dict[str, list[str]]) -> None:
    """Show a service's field errors ("item", "unit", "level", …) on the form's fields."""
    for path, messages in errors.items():
        if path in form.fields:
            form.add_error(path, messages)
        else:
            form.add_error(None, "; ".join(messages))


# ------------------------------------------------------------------ manager survey
class ManagerSurveyForm(ScaleAndImportanceMixin, forms.Form):
    """A manager's beliefs: per item the level they think customers expect (1..K or
    no opinion), and optionally 100 importance points split as customers would."""

    unit = forms.ChoiceField(
        label=_("The unit you manage"),
        error_messages={"required": _("Choose the unit you manage."),
                        "invalid_choice": _("Choose one of this audit's units.")},
    )

    def __init__(self, *args: Any, audit: Audit, units: list[tuple[Unit, int]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audit = audit
        self.fields["unit"].choices = unit_choices(units, blank=_("Choose a unit…"))
        if len(units) == 1:
            self.initial.setdefault("unit", units[0][0].code)
        choices = [("", _("No opinion"))] + [(str(k), str(k)) for k in range(1, audit.scale + 1)]
        bad_answer = _("Choose a number from 1 to %(k)s, or “No opinion”.") % {"k": audit.scale}
        points_error = _("Enter whole points from 0 to 100.")
        for dimension in audit.instrument_snapshot["dimensions"]:
            self.fields[f"{IMPORTANCE_PREFIX}_{dimension['code']}"] = forms.IntegerField(
                required=False, min_value=0, max_value=100,
                error_messages={"invalid": points_error, "min_value": points_error, "max_value": points_error},
            )
            for item in dimension["items"]:
                self.fields[f"{BELIEF_PREFIX}_{item['code']}"] = forms.TypedChoiceField(
                    choices=choices, coerce=int, empty_value=None, required=False,
                    widget=forms.RadioSelect, error_messages={"invalid_choice": bad_answer},
                )

    @staticmethod
    def initial_from(answer_set: ManagerAnswerSet | None) -> dict[str, Any]:
        """The stored answers as the form's initial values."""
        if answer_set is None:
            return {}
        initial: dict[str, Any] = {"unit": answer_set.unit.code}
        for code, value in (answer_set.answers or {}).items():
            initial[f"{BELIEF_PREFIX}_{code}"] = "" if value is None else str(value)
        for code, points in (answer_set.importance or {}).items():
            initial[f"{IMPORTANCE_PREFIX}_{code}"] = points
        return initial

    def _importance_names(self) -> list[tuple[str, str]]:
        return [(d["code"], f"{IMPORTANCE_PREFIX}_{d['code']}") for d in self.audit.instrument_snapshot["dimensions"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        points = [data.get(name) for _code, name in self._importance_names()]
        given = [p for p in points if p is not None]
        if given and not any(name in self.errors for _code, name in self._importance_names()):
            if len(given) < len(points) or sum(given) != 100:
                self.add_error(None, ValidationError(
                    _("Points must add up to exactly 100 (they add up to %(total)s). "
                      "Put 0 for a dimension customers would not care about, or leave every box empty."),
                    code="importance", params={"total": sum(given)},
                ))
        return data

    def answers(self) -> dict[str, int | None]:
        return {item["code"]: self.cleaned_data.get(f"{BELIEF_PREFIX}_{item['code']}")
                for dimension in self.audit.instrument_snapshot["dimensions"] for item in dimension["items"]}

    def importance(self) -> dict[str, int] | None:
        points = {code: self.cleaned_data.get(name) for code, name in self._importance_names()}
        return None if all(p is None for p in points.values()) else points

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for path, messages in errors.items():
            parts = path.split(".")
            if parts[0] == "answers" and len(parts) == 2 and f"{BELIEF_PREFIX}_{parts[1]}" in self.fields:
                name = f"{BELIEF_PREFIX}_{parts[1]}"
                self.add_error(name, self.fields[name].error_messages["invalid_choice"])
            elif parts[0] == "importance":
                name = f"{IMPORTANCE_PREFIX}_{parts[1]}" if len(parts) == 2 else ""
                if name in self.fields:
                    self.add_error(name, _("Enter whole points from 0 to 100."))
                else:
                    self.add_error(None, ValidationError(
                        _("Points must add up to exactly 100, or leave every box empty."), code="importance"))
            elif parts[0] == "unit":
                self.add_error("unit", _("Choose one of this audit's units."))
            else:
                self.add_error(None, "; ".join(messages))

    @property
    def importance_errors(self) -> list[str]:
        return [m for e in self.errors.as_data().get("__all__", []) if e.code == "importance" for m in e.messages]

    @property
    def general_errors(self) -> list[str]:
        return [m for e in self.errors.as_data().get("__all__", []) if e.code != "importance" for m in e.messages]

    def sections(self) -> list[dict[str, Any]]:
        """Dimensions with their items, each with its radio row, for the template."""
        out, number = [], 0
        for dimension in self.audit.instrument_snapshot["dimensions"]:
            items = []
            for item in dimension["items"]:
                bound = self[f"{BELIEF_PREFIX}_{item['code']}"]
                value = bound.value()
                number += 1
                items.append({"code": item["code"], "number": number, "text": localized(item["text"]),
                              "name": bound.html_name, "value": "" if value is None else str(value),
                              "errors": bound.errors})
            out.append({"code": dimension["code"], "name": localized(dimension["name"]), "items": items})
        return out


# ------------------------------------------------------------------ standards and promises
class StandardForm(forms.Form):
    item = forms.ChoiceField(label=_("Item"))
    unit = forms.ChoiceField(
        label=_("Applies to"), required=False,
        help_text=_("The whole audit, or one unit (and the units below it) that works to a different standard."),
    )
    level = forms.TypedChoiceField(
        label=_("Target level"), coerce=int,
        help_text=_("The level on the audit's scale that the standard aims at."),
    )
    description = forms.CharField(
        label=_("Operational standard"), required=False, max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("e.g. queue wait under 10 minutes")}),
        help_text=_("What staff must do, in words anyone can check."),
    )

    def __init__(self, *args: Any, audit: Audit, units: list[tuple[Unit, int]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", _("Choose an item…"))] + item_choices(audit)
        self.fields["unit"].choices = unit_choices(units, blank=_("The whole audit"))
        self.fields["level"].choices = [("", "—")] + level_choices(audit)

    @staticmethod
    def initial_from(standard: QualityStandard) -> dict[str, Any]:
        return {"item": standard.item_code, "unit": standard.unit.code if standard.unit_id else "",
                "level": standard.level, "description": standard.description}

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"item_code": data["item"], "unit": data["unit"] or None, "level": data["level"],
                "description": data["description"]}


class PromiseForm(forms.Form):
    text = forms.CharField(
        label=_("Promise"), max_length=MAX_PROMISE_TEXT,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("e.g. You will be served within 5 minutes")}),
        help_text=_("As customers see or hear it."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Promise.Channel.choices)
    item = forms.ChoiceField(label=_("Item it concerns"))
    unit = forms.ChoiceField(label=_("Made for"), required=False,
                             help_text=_("The whole chain, or one unit and the units below it."))
    level = forms.TypedChoiceField(label=_("Promised level"), coerce=int,
                                   help_text=_("The level on the audit's scale that the promise sets."))
    valid_from = forms.DateField(label=_("Valid from"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    valid_to = forms.DateField(label=_("Valid to"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, audit: Audit, units: list[tuple[Unit, int]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", _("Choose an item…"))] + item_choices(audit)
        self.fields["unit"].choices = unit_choices(units, blank=_("The whole chain"))
        self.fields["level"].choices = [("", "—")] + level_choices(audit)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The promise cannot end before it starts."))
        return data

    @staticmethod
    def initial_from(promise: Promise) -> dict[str, Any]:
        return {"text": promise.text, "channel": promise.channel, "item": promise.item_code,
                "unit": promise.unit.code if promise.unit_id else "", "level": promise.level,
                "valid_from": promise.valid_from, "valid_to": promise.valid_to}

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"item_code": data["item"], "unit": data["unit"] or None, "text": data["text"],
                "channel": data["channel"], "level": data["level"], "valid_from": data["valid_from"],
                "valid_to": data["valid_to"]}
