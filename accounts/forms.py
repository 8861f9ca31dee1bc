"""Forms: sign-in, invitation, role assignment, API tokens, audit-log filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditLogEntry, Role
from accounts.selectors import email_taken
from surveys.models import Unit
from surveys.selectors import tree_order, unit_tree


class SignInForm(AuthenticationForm):
    """Sign in with the email address (it is the username); case does not matter."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Please enter a correct email and password."),
    }

    username = forms.CharField(
        label=_("Email"), max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class UnitChoiceField(forms.ModelChoiceField):
    """Units in tree order, indented by depth."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=Unit.objects.all(), **kwargs)

    def _set_tree_choices(self) -> None:
        units, _children = unit_tree()
        self.choices = [("", "—")] + [
            (unit.pk, "\u2003" * depth + f"{unit.name} ({unit.code})") for unit, depth in tree_order(units)
        ]


class RoleUnitMixin:
    """Admin: no unit; manager and staff: a unit."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        role, unit = data.get("role"), data.get("unit")
        if role == Role.ADMIN and unit is not None:
            self.add_error("unit", _("An admin covers the whole organisation: leave the unit empty."))
        elif role in (Role.MANAGER, Role.STAFF) and unit is None:
            self.add_error("unit", _("A manager or staff role needs a unit."))
        return data


class RoleAssignForm(RoleUnitMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MANAGER)
    unit = UnitChoiceField(
        label=_("Unit"), required=False,
        help_text=_("Managers and staff act on this unit and every unit below it. Leave empty for an admin."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"]._set_tree_choices()


class InviteForm(RoleAssignForm):
    email = forms.EmailField(label=_("Email"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=150)
    field_order = ["email", "name", "role", "unit"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if email_taken(email):
            raise forms.ValidationError(_("A user with this email already exists."))
        return email


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100,
        help_text=_("What uses it, e.g. “nightly export script”."),
    )


class AuditLogFilterForm(forms.Form):
    object_type = forms.ChoiceField(label=_("Object type"), required=False)

    def __init__(self, *args: Any, object_types: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(AuditLogEntry.ObjectType.choices)
        self.fields["object_type"].choices = [("", _("All"))] + [
            (t, capfirst(labels[t]) if t in labels else t) for t in object_types
        ]
