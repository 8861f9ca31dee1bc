"""Import and export an audit's responses as CSV or XLSX (METHOD.md §9): admins, and managers
of every unit of the audit."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import role_required
from surveys.exchange import ImportRejected, responses_export, responses_import
from surveys.forms import ImportForm
from surveys.views.audits import audit_managed_or_denied

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@role_required("manager", "staff")
@require_http_methods(["GET", "POST"])
def audit_import(request: HttpRequest, slug: str) -> HttpResponse:
    audit = audit_managed_or_denied(request.user, slug)
    form = ImportForm(request.POST or None, request.FILES or None)
    rejected = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = responses_import(audit=audit, filename=upload.name, content=upload.read())
        except ImportRejected as exc:
            rejected = sorted(exc.errors, key=lambda e: (e.row is not None, e.row or 0, e.column or ""))
        else:
            messages.success(request, ngettext(
                "Imported %(created)d response; skipped %(existing)d already stored "
                "and %(repeated)d repeated in the file.",
                "Imported %(created)d responses; skipped %(existing)d already stored "
                "and %(repeated)d repeated in the file.",
                report.created,
            ) % {"created": report.created, "existing": report.skipped_existing,
                 "repeated": report.skipped_repeated})
            return redirect("audit-import", slug=audit.slug)
    return render(request, "surveys/audit_import.html",
                  {"audit": audit, "form": form, "rejected": rejected})


@role_required("manager", "staff")
@require_GET
def audit_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    audit = audit_managed_or_denied(request.user, slug)
    response = HttpResponse(responses_export(audit=audit, fmt=fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{audit.slug}-responses.{fmt}"'
    return response
