"""Django admin for units, instruments, audits, responses and computed results."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditLogEntry
from accounts.services import audit_log_record
from analytics.models import ComputeJob, GapResult
from analytics.services import audit_data_changed
from surveys.instruments import instrument_export
from surveys.models import Audit, Dimension, Instrument, Item, Response, Unit
from surveys.selectors import audit_layout
from surveys.services import AUDIT_LOGGED_FIELDS, ValidationFailed, _audit_log, _loggable, audit_units_check


def _pretty_json(value: object) -> str:
    return format_html("<pre style='white-space: pre-wrap'>{}</pre>",
                       json.dumps(value, ensure_ascii=False, indent=2))


def _audit_logged(audit: Audit) -> dict[str, Any]:
    """What the audit log records of an audit, as audit_create and audit_update record it."""
    fields = {"slug": audit.slug, **{name: _loggable(getattr(audit, name)) for name in AUDIT_LOGGED_FIELDS}}
    fields["units"] = _loggable(list(audit.units.all()))
    return fields


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent"]
    list_select_related = ["parent"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj: Unit, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "parent" in form.changed_data:
            # Roll-ups change with the tree: every audit's figures are stale.
            for audit_id in Audit.objects.values_list("pk", flat=True):
                audit_data_changed(audit_id=audit_id)


class DimensionInline(admin.TabularInline):
    model = Dimension
    extra = 0
    fields = ["position", "code", "name"]


class ItemInline(admin.TabularInline):
    model = Item
    extra = 0
    fields = ["position", "dimension", "code", "text"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "dimension":
            instrument_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Dimension.objects.filter(instrument_id=instrument_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["code", "languages", "updated_at"]
    search_fields = ["code"]
    inlines = [DimensionInline, ItemInline]


@admin.register(Dimension)
class DimensionAdmin(admin.ModelAdmin):
    list_display = ["code", "instrument", "position"]
    list_filter = ["instrument"]
    search_fields = ["code"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["code", "instrument", "dimension", "position"]
    list_filter = ["instrument"]
    search_fields = ["code"]
    list_select_related = ["instrument", "dimension__instrument"]


class AuditAdminForm(forms.ModelForm):
    class Meta:
        model = Audit
        fields = ["slug", "title", "instrument", "scale", "format", "units", "is_open", "min_sample",
                  "period_start", "period_end"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "units" in cleaned:
            try:
                audit_units_check(audit=self.instance, units=list(cleaned["units"]))
            except ValidationFailed as exc:
                raise forms.ValidationError(exc.errors) from exc
        return cleaned


@admin.register(Audit)
class AuditAdmin(admin.ModelAdmin):
    form = AuditAdminForm
    list_display = ["slug", "title", "format", "scale", "is_open"]
    list_filter = ["is_open", "format"]
    search_fields = ["slug", "title"]
    filter_horizontal = ["units"]
    readonly_fields = ["frozen_instrument", "created_at", "computed_at"]
    layout_fields = ["instrument", "scale", "format"]

    def get_readonly_fields(self, request, obj=None):
        # Answers are stored against the frozen layout: it cannot change under them.
        if obj is None:
            return self.readonly_fields
        # The slug is part of every survey link handed out.
        if obj.responses.exists():
            return [*self.readonly_fields, "slug", *self.layout_fields]
        return [*self.readonly_fields, "slug"]

    def save_model(self, request, obj: Audit, form, change: bool) -> None:
        # The audit as stored before this save, for the audit log (units are saved in save_related).
        form.logged_before = _audit_logged(Audit.objects.get(pk=obj.pk)) if change else None
        if not change or any(f in form.changed_data for f in self.layout_fields):
            obj.instrument_snapshot = instrument_export(instrument=obj.instrument)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before, after = form.logged_before, _audit_logged(form.instance)
        if before is None:
            _audit_log(actor=request.user, action=AuditLogEntry.Action.CREATED, audit=form.instance,
                       changes={name: [None, value] for name, value in after.items()})
        elif changes := {name: [before[name], value] for name, value in after.items() if before[name] != value}:
            _audit_log(actor=request.user, action=AuditLogEntry.Action.UPDATED, audit=form.instance, changes=changes)
        audit_data_changed(audit_id=form.instance.pk)

    def delete_model(self, request, obj: Audit) -> None:
        with transaction.atomic():
            before, pk, label = _audit_logged(obj), obj.pk, f"{obj.title} ({obj.slug})"
            super().delete_model(request, obj)
            self._log_deleted(request, pk=pk, label=label, before=before)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            deleted = [(audit.pk, f"{audit.title} ({audit.slug})", _audit_logged(audit))
                       for audit in queryset.prefetch_related("units").select_related("instrument")]
            super().delete_queryset(request, queryset)
            for pk, label, before in deleted:
                self._log_deleted(request, pk=pk, label=label, before=before)

    @staticmethod
    def _log_deleted(request, *, pk: int, label: str, before: dict[str, Any]) -> None:
        # No link to the audit: it is gone (its earlier entries lose theirs too).
        audit_log_record(actor=request.user, action=AuditLogEntry.Action.DELETED, obj_type="audit", obj_id=pk,
                         obj_repr=label, changes={name: [value, None] for name, value in before.items()})

    @admin.display(description=_("frozen instrument"))
    def frozen_instrument(self, obj: Audit) -> str:
        return _pretty_json(obj.instrument_snapshot)


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Responses are written only through surveys.services: read-only here."""

    list_display = ["submission_id", "audit", "unit", "submitted_at"]
    list_filter = ["audit"]
    list_select_related = ["audit", "unit"]
    search_fields = ["submission_id"]
    fields = ["submission_id", "audit", "unit", "channel", "submitted_at",
              "decoded_answers", "decoded_importance"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj: Response) -> None:
        super().delete_model(request, obj)
        audit_data_changed(audit_id=obj.audit_id, added_responses=-1)

    def delete_queryset(self, request, queryset) -> None:
        counts = dict(queryset.values_list("audit_id").annotate(n=Count("id")).values_list("audit_id", "n"))
        super().delete_queryset(request, queryset)
        for audit_id, n in counts.items():
            audit_data_changed(audit_id=audit_id, added_responses=-n)

    @admin.display(description=_("answers"))
    def decoded_answers(self, obj: Response) -> str:
        return _pretty_json(audit_layout(audit=obj.audit).unpack_answers(obj.answers))

    @admin.display(description=_("importance"))
    def decoded_importance(self, obj: Response) -> str:
        return _pretty_json(audit_layout(audit=obj.audit).unpack_importance(obj.importance))


@admin.register(GapResult)
class GapResultAdmin(admin.ModelAdmin):
    list_display = ["audit", "unit", "computed_at"]
    list_select_related = ["audit", "unit"]
    list_filter = ["audit"]
    fields = ["audit", "unit", "computed_at", "figures"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("figures"))
    def figures(self, obj: GapResult) -> str:
        return _pretty_json(obj.payload)


@admin.register(ComputeJob)
class ComputeJobAdmin(admin.ModelAdmin):
    list_display = ["id", "audit", "status", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["audit"]
    readonly_fields = ["id", "audit", "status", "created_at", "started_at", "finished_at", "error"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False
