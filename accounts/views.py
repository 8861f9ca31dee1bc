"""Pages: sign-in and lockout, password reset, invitations, account settings, people, audit log."""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from axes.utils import reset as axes_reset
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import is_admin, role_required
from accounts.forms import AuditLogFilterForm, InviteForm, RoleAssignForm, SignInForm, TokenCreateForm
from accounts.models import ApiToken, Role, RoleAssignment
from accounts.selectors import api_tokens_of, audit_log_entries, audit_log_object_types, people_list, person_roles
from accounts.services import (
    api_token_create,
    api_token_revoke,
    invitation_pending,
    invitation_send,
    invitation_tokens,
    role_assign,
    role_remove,
    user_invite,
    user_label,
    user_set_active,
)
from surveys.services import ValidationFailed

User = get_user_model()
AUDIT_LOG_PAGE_SIZE = 50


def _form_errors(form, errors: dict[str, list[str]]) -> None:
    for field, field_messages in errors.items():
        form.add_error(field if field in form.fields else None, field_messages)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


# --- Sign-in, lockout, password reset, invitations ---------------------------------

class SignInView(auth_views.LoginView):
    authentication_form = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
               credentials: dict | None = None) -> HttpResponse:
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): a page, HTTP 429."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("password-reset-sent")


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password-reset-complete")

    def form_valid(self, form) -> HttpResponse:
        # Whoever holds the emailed link owns the account: lift a brute-force lockout of it.
        axes_reset(username=self.user.get_username())
        return super().form_valid(form)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invitee sets a password; the link works once (setting it voids the token)."""

    template_name = "accounts/invitation_accept.html"
    token_generator = invitation_tokens
    success_url = reverse_lazy("login")

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Sign in with your email and new password."))
        return response


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: the page shown to a signed-in user whose role does not allow a page."""
    return render(request, "accounts/forbidden.html", status=403)


# --- Account settings: password and API tokens ------------------------------------

def _settings_page(request: HttpRequest, *, password_form=None, token_form=None,
                   new_token: ApiToken | None = None, new_key: str | None = None, status: int = 200) -> HttpResponse:
    if password_form is None:
        password_form = PasswordChangeForm(request.user)
        password_form.fields["old_password"].widget.attrs.pop("autofocus", None)
    return render(request, "accounts/settings.html", {
        "password_form": password_form,
        "token_form": token_form or TokenCreateForm(),
        "tokens": api_tokens_of(user=request.user),
        "new_token": new_token, "new_key": new_key,
    }, status=status)


@login_required
@require_GET
def account_settings(request: HttpRequest) -> HttpResponse:
    return _settings_page(request)


@login_required
@require_POST
def account_password(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST)
    if not form.is_valid():
        return _settings_page(request, password_form=form)
    form.save()
    update_session_auth_hash(request, form.user)
    messages.success(request, _("Your password has been changed."))
    return redirect("account-settings")


@login_required
@require_POST
def account_token_create(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, key = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationFailed as exc:
            _form_errors(form, exc.errors)
        else:
            # Rendered, not redirected: the secret is shown in this response only and never stored.
            return _settings_page(request, new_token=token, new_key=key)
    return _settings_page(request, token_form=form)


@login_required
@require_POST
def account_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(user=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name})
    return redirect("account-settings")


# --- People (admins) -------------------------------------------------------------

@role_required(Role.ADMIN)
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    return _people_page(request, InviteForm())


def _people_page(request: HttpRequest, form: InviteForm, status: int = 200) -> HttpResponse:
    rows = [
        {"user": user, "roles": list(user.role_assignments.all()), "superuser": user.is_superuser,
         "pending": invitation_pending(user)}
        for user in people_list()
    ]
    return render(request, "accounts/people.html", {"rows": rows, "form": form}, status=status)


@role_required(Role.ADMIN)
@require_POST
def people_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = user_invite(actor=request.user, email=data["email"], name=data["name"],
                               role=data["role"], unit=data["unit"])
        except ValidationFailed as exc:
            _form_errors(form, exc.errors)
        else:
            invitation_send(user=user, inviter=request.user, base_url=_base_url(request))
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
            return redirect("person", pk=user.pk)
    return _people_page(request, form)


def _person_page(request: HttpRequest, person, form: RoleAssignForm | None = None) -> HttpResponse:
    return render(request, "accounts/person.html", {
        "person": person, "label": user_label(person), "roles": person_roles(user=person),
        "is_admin": is_admin(person), "pending": invitation_pending(person),
        "form": form or RoleAssignForm(), "is_self": person.pk == request.user.pk,
    })


@role_required(Role.ADMIN)
@require_GET
def person(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_page(request, get_object_or_404(User, pk=pk))


@role_required(Role.ADMIN)
@require_POST
def person_role_add(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    form = RoleAssignForm(request.POST)
    if form.is_valid():
        try:
            role_assign(actor=request.user, user=person, role=form.cleaned_data["role"], unit=form.cleaned_data["unit"])
        except ValidationFailed as exc:
            _form_errors(form, exc.errors)
        else:
            messages.success(request, _("Role given."))
            return redirect("person", pk=person.pk)
    return _person_page(request, person, form)


@role_required(Role.ADMIN)
@require_POST
def person_role_remove(request: HttpRequest, pk: int, role_pk: int) -> HttpResponse:
    assignment = get_object_or_404(RoleAssignment.objects.select_related("user", "unit"), pk=role_pk, user_id=pk)
    try:
        role_remove(actor=request.user, assignment=assignment)
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for msgs in exc.errors.values() for m in msgs))
    else:
        messages.success(request, _("Role removed."))
    return redirect("person", pk=pk)


@role_required(Role.ADMIN)
@require_POST
def person_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        user_set_active(actor=request.user, user=person, active=active)
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for msgs in exc.errors.values() for m in msgs))
    else:
        messages.success(request, _("%(name)s can sign in again.") % {"name": user_label(person)} if active
                         else _("%(name)s is deactivated: no sign-in, no API access.") % {"name": user_label(person)})
    return redirect("person", pk=pk)


@role_required(Role.ADMIN)
@require_POST
def person_invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    if not invitation_pending(person):
        messages.error(request, _("This person has already set a password (or is deactivated)."))
    else:
        invitation_send(user=person, inviter=request.user, base_url=_base_url(request), renew=True)
        messages.success(request, _("A new invitation was sent to %(email)s; earlier links no longer work.")
                         % {"email": person.email})
    return redirect("person", pk=pk)


# --- Audit log (admins) ------------------------------------------------------------

@role_required(Role.ADMIN)
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditLogFilterForm(request.GET or None, object_types=audit_log_object_types())
    object_type = form.cleaned_data["object_type"] if form.is_valid() else ""
    page = Paginator(audit_log_entries(object_type=object_type or None), AUDIT_LOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/audit_log.html", {
        "form": form, "page": page, "object_type": object_type,
        "invalid_filter": form.is_bound and not form.is_valid(),
    })
