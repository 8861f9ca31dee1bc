"""Instruments: list, import from JSON and export (METHOD.md §10); admins only."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import role_required
from surveys.instruments import (
    InstrumentError,
    instrument_export,
    instrument_from_json_text,
    instrument_import,
    localized,
)
from surveys.models import Instrument

MAX_INSTRUMENT_BYTES = 1024 * 1024


class InstrumentImportForm(forms.Form):
    file = forms.FileField(
        label=_("Instrument file"),
        help_text=_("A JSON file in the instrument exchange format (code, languages, name, dimensions with items)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    replace = forms.BooleanField(
        label=_("Replace an instrument with the same code"), required=False,
        help_text=_("Audits keep the copy of the instrument they were created with."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_INSTRUMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        return upload


@role_required("admin")
@require_http_methods(["GET", "POST"])
def instrument_list(request: HttpRequest) -> HttpResponse:
    form = InstrumentImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            text = form.cleaned_data["file"].read().decode("utf-8-sig")
            instrument = instrument_import(data=instrument_from_json_text(text), replace=form.cleaned_data["replace"])
        except UnicodeDecodeError:
            problems = [gettext("The file is not UTF-8 text.")]
        except InstrumentError as exc:
            problems = exc.problems
        else:
            messages.success(request, gettext("Imported instrument %(code)s.") % {"code": instrument.code})
            return redirect("instrument-list")
    instruments = Instrument.objects.annotate(
        n_dimensions=Count("dimensions", distinct=True), n_items=Count("items", distinct=True),
        n_audits=Count("audits", distinct=True),
    )
    rows = [(i, localized(i.name)) for i in instruments]
    return render(request, "surveys/instrument_list.html", {"rows": rows, "form": form, "problems": problems})


@role_required("admin")
@require_GET
def instrument_download(request: HttpRequest, code: str) -> HttpResponse:
    instrument = get_object_or_404(Instrument, code=code)
    body = json.dumps(instrument_export(instrument=instrument), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{instrument.code}.json"'
    return response
