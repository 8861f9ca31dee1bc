"""The public customer survey: no login, works without JavaScript (METHOD.md §1, §3)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from surveys.forms import SurveyForm
from surveys.instruments import localized
from surveys.models import Audit, Unit
from surveys.selectors import audit_unit_ids
from surveys.services import ValidationFailed, response_submit


def _unit(audit: Audit, unit_code: str) -> Unit | None:
    unit_id = audit_unit_ids(audit=audit).get(unit_code)
    return Unit.objects.get(pk=unit_id) if unit_id is not None else None


def _audit_or_none(slug: str) -> Audit | None:
    return Audit.objects.filter(slug=slug).first()


def _missing(request: HttpRequest, audit: Audit | None) -> HttpResponse:
    return render(request, "surveys/survey_missing.html", {"audit": audit}, status=404)


def _closed(request: HttpRequest, audit: Audit) -> HttpResponse:
    return render(request, "surveys/survey_closed.html", {"audit": audit}, status=410)


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, slug: str, unit_code: str) -> HttpResponse:
    audit = _audit_or_none(slug)
    if audit is None:
        return _missing(request, None)
    unit = _unit(audit, unit_code)
    # A POST for a unit that left the audit meanwhile gets the form back with the error.
    if unit is None and request.method == "GET":
        return _missing(request, audit)
    if not audit.is_open:
        return _closed(request, audit)
    form = SurveyForm(request.POST or None, audit=audit)
    if request.method == "POST" and form.is_valid():
        try:
            response_submit(
                audit=audit, submission_id=form.cleaned_data["submission_id"], unit_code=unit_code,
                answers=form.answers(), importance=form.importance(), channel="web",
            )
        except ValidationFailed as exc:
            if "audit" in exc.errors:  # closed while the customer was answering
                return _closed(request, audit)
            form.add_service_errors(exc.errors)
        else:
            return redirect("survey-thanks", slug=audit.slug, unit_code=unit_code)
    context = {
        "audit": audit, "unit": unit, "form": form,
        "instrument_name": localized(audit.instrument_snapshot.get("name")),
        "n_items": sum(len(d["items"]) for d in audit.instrument_snapshot["dimensions"]),
    }
    return render(request, "surveys/survey.html", context)


def survey_thanks(request: HttpRequest, slug: str, unit_code: str) -> HttpResponse:
    audit = _audit_or_none(slug)
    unit = _unit(audit, unit_code) if audit is not None else None
    if unit is None:
        return _missing(request, audit)
    return render(request, "surveys/survey_thanks.html", {"audit": audit, "unit": unit})
