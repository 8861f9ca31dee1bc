"""The public customer survey: no login, works without JavaScript (METHOD.md §1, §3).

A survey opens only through its signed link /s/<token>/ (surveys.links). Every
request is rate limited per client network (settings SURVEY_RATE_LIMIT_GET and
SURVEY_RATE_LIMIT_POST). Nothing identifying is stored: no IP address, no user
agent, no cookie other than CSRF (and the language cookie if the customer picks
a language).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from gapaudit.security import rate_limited
from surveys.forms import SurveyForm
from surveys.instruments import localized
from surveys.links import LinkInvalid, LinkRevoked, link_verify
from surveys.models import Audit, SurveyLink
from surveys.selectors import audit_unit_ids
from surveys.services import ValidationFailed, response_submit


def _page(request: HttpRequest, template: str, status: int, audit: Audit | None = None) -> HttpResponse:
    return render(request, f"surveys/{template}", {"audit": audit}, status=status)


def rate_limited_page(request: HttpRequest) -> HttpResponse:
    response = _page(request, "survey_rate_limited.html", 429)
    response["Retry-After"] = "60"
    return response


def survey_rate_limit(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Count every survey request of the client's network, valid link or not, and answer 429 past the limit."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            limited = rate_limited(request, group="survey-post", rate=settings.SURVEY_RATE_LIMIT_POST)
        else:
            limited = rate_limited(request, group="survey-get", rate=settings.SURVEY_RATE_LIMIT_GET)
        if limited:
            return rate_limited_page(request)
        return view(request, *args, **kwargs)

    return wrapped


def _open_link(request: HttpRequest, token: str) -> SurveyLink | HttpResponse:
    """The link of a token, or the page that says why it does not open a survey."""
    try:
        link = link_verify(token)
    except LinkInvalid:
        return _page(request, "survey_link_invalid.html", 404)
    except LinkRevoked as exc:
        return _page(request, "survey_link_revoked.html", 410, exc.link.audit)
    return link


@survey_rate_limit
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    link = _open_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    audit, unit = link.audit, link.unit
    in_audit = unit.code in audit_unit_ids(audit=audit)
    # A POST for a unit that left the audit meanwhile gets the form back with the error.
    if not in_audit and request.method == "GET":
        return _page(request, "survey_missing.html", 404, audit)
    if not audit.is_open:
        return _page(request, "survey_closed.html", 410, audit)
    form = SurveyForm(request.POST or None, audit=audit)
    if request.method == "POST" and form.is_valid():
        try:
            response_submit(
                audit=audit, submission_id=form.cleaned_data["submission_id"], unit_code=unit.code,
                answers=form.answers(), importance=form.importance(), channel="web",
            )
        except ValidationFailed as exc:
            if "audit" in exc.errors:  # closed while the customer was answering
                return _page(request, "survey_closed.html", 410, audit)
            form.add_service_errors(exc.errors)
        else:
            return redirect("survey-thanks", token=token)
    context = {
        "audit": audit, "unit": unit if in_audit else None, "form": form,
        "instrument_name": localized(audit.instrument_snapshot.get("name")),
        "n_items": sum(len(d["items"]) for d in audit.instrument_snapshot["dimensions"]),
    }
    return render(request, "surveys/survey.html", context)


@survey_rate_limit
@require_GET
def survey_thanks(request: HttpRequest, token: str) -> HttpResponse:
    # Thanks are given under any link that was genuinely issued: the answers were
    # stored even if the link was withdrawn or the audit closed a moment later.
    try:
        link = link_verify(token)
    except LinkInvalid:
        return _page(request, "survey_link_invalid.html", 404)
    except LinkRevoked as exc:
        link = exc.link
    return render(request, "surveys/survey_thanks.html", {"audit": link.audit, "unit": link.unit})


@survey_rate_limit
def survey_link_unknown(request: HttpRequest, rest: str) -> HttpResponse:
    return _page(request, "survey_link_invalid.html", 404)
