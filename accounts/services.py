"""Writes: invitations, roles, activation, API tokens and the audit log."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.access import forget_roles
from accounts.models import ApiToken, AuditLogEntry, Role, RoleAssignment
from accounts.selectors import email_taken
from surveys.models import Audit, Unit
from surveys.services import ValidationFailed

User = get_user_model()
Action = AuditLogEntry.Action
TOKEN_PREFIX = "ga_"


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """One-time invitation links: the token hashes the (unusable) password, so it dies
    when the invitee sets a password or a new invitation is sent. A salt of its own
    keeps invitation and password-reset tokens apart. Lifetime: PASSWORD_RESET_TIMEOUT."""

    key_salt = "accounts.services.InvitationTokenGenerator"


invitation_tokens = InvitationTokenGenerator()


def audit_log_record(
    *,
    actor: Any,
    action: str,
    obj_type: str,
    obj_id: Any,
    obj_repr: str,
    changes: dict[str, list[Any]] | None = None,
    audit: Audit | None = None,
) -> AuditLogEntry:
    """Write one audit-log entry; `changes` maps field → [old, new]. An anonymous actor is stored as null."""
    return AuditLogEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action, object_type=obj_type, object_id=str(obj_id if obj_id is not None else ""),
        object_repr=str(obj_repr)[:200], audit=audit, changes=changes or {},
    )


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def user_label(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.email or user.get_username()


def _role_repr(assignment: RoleAssignment) -> str:
    where = assignment.unit.code if assignment.unit_id else _("organisation")
    return f"{user_label(assignment.user)}: {assignment.role} · {where}"


def role_validate(*, role: str, unit: Unit | None) -> dict[str, list[str]]:
    if role not in Role.values:
        return {"role": [_("Choose admin, manager or staff.")]}
    if role == Role.ADMIN and unit is not None:
        return {"unit": [_("An admin covers the whole organisation: leave the unit empty.")]}
    if role != Role.ADMIN and unit is None:
        return {"unit": [_("A manager or staff role needs a unit.")]}
    return {}


def _admin_flags_sync(user: AbstractBaseUser) -> None:
    """The admin role is the Django superuser flag too (the admin site manages units,
    instruments and users), so the two never disagree."""
    is_admin = RoleAssignment.objects.filter(user=user, role=Role.ADMIN).exists()
    if user.is_superuser != is_admin or user.is_staff != is_admin:
        user.is_superuser = user.is_staff = is_admin
        user.save(update_fields=["is_superuser", "is_staff"])


@transaction.atomic
def role_assign(*, actor: Any, user: AbstractBaseUser, role: str, unit: Unit | None = None) -> RoleAssignment:
    """Give `user` the role (on `unit` for manager and staff). Raises ValidationFailed."""
    errors = role_validate(role=role, unit=unit)
    if not errors and RoleAssignment.objects.filter(user=user, role=role, unit=unit).exists():
        errors = {"role": [_("This person already holds this role there.")]}
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(user=user, role=role, unit=unit)
    except IntegrityError as exc:  # the same role given twice at once
        raise ValidationFailed({"role": [_("This person already holds this role there.")]}) from exc
    if role == Role.ADMIN:
        _admin_flags_sync(user)
    forget_roles(user)
    audit_log_record(
        actor=actor, action=Action.CREATED, obj_type="role", obj_id=assignment.pk, obj_repr=_role_repr(assignment),
        changes={"user": [None, user.get_username()], "role": [None, role],
                 "unit": [None, unit.code if unit else None]},
    )
    return assignment


@transaction.atomic
def role_remove(*, actor: Any, assignment: RoleAssignment) -> None:
    """Take a role away. An admin cannot take away their own admin role (nobody could give it back)."""
    user = assignment.user
    if assignment.role == Role.ADMIN and getattr(actor, "pk", None) == user.pk:
        raise ValidationFailed({"role": [_("You cannot remove your own admin role.")]})
    obj_id, obj_repr = assignment.pk, _role_repr(assignment)
    changes = {"user": [user.get_username(), None], "role": [assignment.role, None],
               "unit": [assignment.unit.code if assignment.unit_id else None, None]}
    assignment.delete()
    if assignment.role == Role.ADMIN:
        _admin_flags_sync(user)
    forget_roles(user)
    audit_log_record(actor=actor, action=Action.DELETED, obj_type="role", obj_id=obj_id, obj_repr=obj_repr,
                     changes=changes)


def _user_add(*, actor: Any, email: str, name: str, role: str, unit: Unit | None, action: str) -> AbstractBaseUser:
    email = normalize_email(email)
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid email address.")]
    if not errors and email_taken(email):
        errors["email"] = [_("A user with this email already exists.")]
    if not name:
        errors["name"] = [_("Enter the person's name.")]
    elif len(name) > 150:
        errors["name"] = [_("Use at most 150 characters.")]
    errors.update(role_validate(role=role, unit=unit))
    if errors:
        raise ValidationFailed(errors)
    user = User(username=email, email=email, first_name=name, is_active=True)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # the same email added twice at once
        raise ValidationFailed({"email": [_("A user with this email already exists.")]}) from exc
    audit_log_record(
        actor=actor, action=action, obj_type="user", obj_id=user.pk, obj_repr=user_label(user),
        changes={"email": [None, email], "name": [None, name]},
    )
    role_assign(actor=actor, user=user, role=role, unit=unit)
    return user


@transaction.atomic
def user_invite(*, actor: Any, email: str, name: str, role: str, unit: Unit | None = None) -> AbstractBaseUser:
    """Create a user without a usable password, holding one role; the invitation email
    (invitation_send) lets them set a password. Users sign in with their email."""
    return _user_add(actor=actor, email=email, name=name, role=role, unit=unit, action=Action.INVITED)


def invitation_pending(user: AbstractBaseUser) -> bool:
    return user.is_active and not user.has_usable_password() and user.last_login is None


def invitation_path(user: AbstractBaseUser) -> str:
    """The one-time path that lets the invitee set a password."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("invitation-accept", args=[uidb64, invitation_tokens.make_token(user)])


def invitation_send(*, user: AbstractBaseUser, inviter: Any, base_url: str, renew: bool = False) -> str:
    """Email the invitation link (base_url = scheme and host, e.g. https://audit.example.com).

    renew=True gives the user a fresh unusable password first, which voids earlier links.
    Returns the link.
    """
    if renew:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    link = base_url.rstrip("/") + invitation_path(user)
    context = {"user": user, "inviter": user_label(inviter) if inviter else "", "link": link,
               "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)}
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation.txt", context)
    send_mail(subject, body, None, [user.email])
    return link


@transaction.atomic
def user_set_active(*, actor: Any, user: AbstractBaseUser, active: bool) -> None:
    """Deactivate or reactivate a user. A deactivated user cannot sign in, their sessions
    end and their API tokens are refused; nothing of theirs is deleted."""
    if user.is_active == active:
        return
    if not active and getattr(actor, "pk", None) == user.pk:
        raise ValidationFailed({"user": [_("You cannot deactivate yourself.")]})
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_log_record(
        actor=actor, action=Action.REACTIVATED if active else Action.DEACTIVATED, obj_type="user",
        obj_id=user.pk, obj_repr=user_label(user), changes={"is_active": [not active, active]},
    )


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """A new token and its secret; only the secret's SHA-256 and its first 8 characters are kept."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("Give the token a name, e.g. the script that uses it.")]})
    if len(name) > 100:
        raise ValidationFailed({"name": [_("Use at most 100 characters.")]})
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, key_hash=token_hash(key), prefix=key[:8])
    audit_log_record(actor=user, action=Action.CREATED, obj_type="token", obj_id=token.pk,
                     obj_repr=f"{name} ({token.prefix}…)", changes={"name": [None, name]})
    return token, key


@transaction.atomic
def api_token_revoke(*, user: AbstractBaseUser, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise ValidationFailed({"token": [_("This token is not yours.")]})
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_log_record(actor=user, action=Action.REVOKED, obj_type="token", obj_id=token.pk,
                     obj_repr=f"{token.name} ({token.prefix}…)", changes={"revoked_at": [None, token.revoked_at]})


@transaction.atomic
def user_create(
    *, actor: Any, email: str, role: str, unit: Unit | None = None, password: str | None = None, name: str = "",
) -> AbstractBaseUser:
    """A user with one role, for operators (manage.py create_user). A password must pass
    the password validators; without one the user needs an invitation link to sign in."""
    email = normalize_email(email)
    user = _user_add(actor=actor, email=email, name=name or email.split("@")[0], role=role, unit=unit,
                     action=Action.CREATED)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed({"password": list(exc.messages)}) from exc
        user.set_password(password)
        user.save(update_fields=["password"])
    return user
