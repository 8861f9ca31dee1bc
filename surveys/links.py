"""Signed public survey links and their QR codes (issue 4, point 3).

A link is /s/<token>/, the token signing (audit id, unit id, key) with
django.core.signing (salt "survey-link"); the key is a random string kept in a
SurveyLink row. A token is honoured while its row exists and is not withdrawn:
reissuing a link withdraws the row and creates one with a new key, so links
printed before stay dead. Nothing else (audit slug, unit code) opens a survey.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterable

import segno
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from surveys.models import Audit, SurveyLink, Unit

SALT = "survey-link"
KEY_BYTES = 9  # 12 URL-safe characters
# QR codes for posters: error correction M (raised when it fits the same size),
# 16 pixels a module and the standard quiet zone of 4 modules.
QR_ERROR = "m"
QR_PNG_SCALE = 16
QR_SVG_SCALE = 10
QR_BORDER = 4


class LinkInvalid(Exception):
    """The token is malformed, tampered with, or names no link."""


class LinkRevoked(Exception):
    """The token names a link that was withdrawn."""

    def __init__(self, link: SurveyLink):
        super().__init__(link.key)
        self.link = link


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def link_token(link: SurveyLink) -> str:
    return _signer().sign_object([link.audit_id, link.unit_id, link.key])


def link_path(link: SurveyLink) -> str:
    return reverse("survey", args=[link_token(link)])


def link_verify(token: str) -> SurveyLink:
    """The link a token names, with its audit and unit; LinkInvalid or LinkRevoked otherwise."""
    try:
        payload = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise LinkInvalid(token) from exc
    if not (
        isinstance(payload, list) and len(payload) == 3
        and all(type(v) is int for v in payload[:2]) and isinstance(payload[2], str)
    ):
        raise LinkInvalid(token)
    audit_id, unit_id, key = payload
    link = (
        SurveyLink.objects.select_related("audit", "unit")
        .filter(audit_id=audit_id, unit_id=unit_id, key=key).first()
    )
    if link is None:
        raise LinkInvalid(token)
    if link.is_revoked:
        raise LinkRevoked(link)
    return link


def _new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def link_current(*, audit: Audit, unit: Unit) -> SurveyLink | None:
    return SurveyLink.objects.filter(audit=audit, unit=unit, revoked_at__isnull=True).first()


def link_issue(*, audit: Audit, unit: Unit) -> SurveyLink:
    """The current link of the audit and unit, created when there is none."""
    for _ in range(3):
        link = link_current(audit=audit, unit=unit)
        if link is not None:
            return link
        try:
            with transaction.atomic():
                return SurveyLink.objects.create(audit=audit, unit=unit, key=_new_key())
        except IntegrityError:
            continue  # a concurrent request issued it first: read theirs
    raise RuntimeError("could not issue a survey link")  # pragma: no cover


def link_revoke(*, audit: Audit, unit: Unit) -> int:
    """Withdraw the current link; returns how many links were withdrawn (0 or 1)."""
    return SurveyLink.objects.filter(audit=audit, unit=unit, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def link_reissue(*, audit: Audit, unit: Unit) -> SurveyLink:
    """A new link with a new key; the current one (if any) is withdrawn first."""
    with transaction.atomic():
        link_revoke(audit=audit, unit=unit)
        return SurveyLink.objects.create(audit=audit, unit=unit, key=_new_key())


def links_latest(*, audit: Audit, units: Iterable[Unit]) -> dict[int, SurveyLink]:
    """The latest link of each unit (current or withdrawn); a unit that never had one gets one now."""
    units = list(units)
    latest: dict[int, SurveyLink] = {}
    for link in SurveyLink.objects.filter(audit=audit, unit__in=units).order_by("unit_id", "-created_at", "-id"):
        latest.setdefault(link.unit_id, link)
    for unit in units:
        if unit.pk not in latest:
            latest[unit.pk] = link_issue(audit=audit, unit=unit)
    return latest


def qr_code(url: str) -> segno.QRCode:
    return segno.make_qr(url, error=QR_ERROR)


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    qr_code(url).save(out, kind="png", scale=QR_PNG_SCALE, border=QR_BORDER)
    return out.getvalue()


def qr_svg(url: str) -> bytes:
    out = io.BytesIO()
    qr_code(url).save(out, kind="svg", scale=QR_SVG_SCALE, border=QR_BORDER, title=url)
    return out.getvalue()


def qr_preview(url: str) -> str:
    """A small SVG as a data: URI for an <img> on the links page (CSP img-src allows data:)."""
    return qr_code(url).svg_data_uri(scale=3, border=QR_BORDER)
