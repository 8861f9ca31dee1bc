"""Django admin for the provider side (gaps 1–4).

Scorecard templates are edited here (with their checks inline): inspections freeze
the checks they used, so an edit never changes a past inspection. Manager answers,
standards, promises and delivery evidence are written through their pages and API
(which validate them against the audit and mark it stale); here they are read and,
when needed, deleted, which marks the audit stale too. Template edits and deletions of
standards, promises and templates are recorded in the audit log, as their services do.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditLogEntry
from accounts.services import audit_log_record
from analytics.services import audit_data_changed
from provider.delivery import _template_fields, scorecard_template_delete
from provider.models import (
    DeliveryObservation,
    Inspection,
    ManagerAnswerSet,
    Promise,
    QualityStandard,
    ScorecardCheck,
    ScorecardTemplate,
    SelfAssessment,
)
from provider.promises import promise_delete
from provider.standards import field_changes, standard_delete
from surveys.instruments import localized


def _pretty_json(value: object) -> str:
    return format_html("<pre style='white-space: pre-wrap'>{}</pre>",
                       json.dumps(value, ensure_ascii=False, indent=2))


class AuditDataAdmin(admin.ModelAdmin):
    """Rows that feed an audit's gaps: viewable and deletable, never added or changed
    here; a deletion marks the audit stale."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        audit_data_changed(audit_id=obj.audit_id)

    def delete_queryset(self, request, queryset) -> None:
        audit_ids = set(queryset.values_list("audit_id", flat=True))
        super().delete_queryset(request, queryset)
        for audit_id in audit_ids:
            audit_data_changed(audit_id=audit_id)


@admin.register(ManagerAnswerSet)
class ManagerAnswerSetAdmin(AuditDataAdmin):
    list_display = ["audit", "unit", "manager", "n_answers", "updated_at"]
    list_filter = ["audit"]
    list_select_related = ["audit", "unit", "manager"]
    search_fields = ["manager__username", "unit__code"]
    fields = ["audit", "unit", "manager", "answers_json", "importance_json", "created_at", "updated_at"]
    readonly_fields = fields

    @admin.display(description=_("answers"))
    def n_answers(self, obj: ManagerAnswerSet) -> int:
        return sum(v is not None for v in (obj.answers or {}).values())

    @admin.display(description=_("answers"))
    def answers_json(self, obj: ManagerAnswerSet) -> str:
        return _pretty_json(obj.answers)

    @admin.display(description=_("importance"))
    def importance_json(self, obj: ManagerAnswerSet) -> str:
        return _pretty_json(obj.importance)


class ServiceDeleteAdmin(AuditDataAdmin):
    """Deletes through the object's service (delete_model), which records the deletion in
    the audit log and marks the audit stale."""

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for obj in queryset.select_related("unit"):
                self.delete_model(request, obj)


@admin.register(QualityStandard)
class QualityStandardAdmin(ServiceDeleteAdmin):
    list_display = ["audit", "item_code", "unit", "level", "description", "updated_at"]
    list_filter = ["audit"]
    list_select_related = ["audit", "unit"]
    search_fields = ["item_code", "description"]

    def delete_model(self, request, obj: QualityStandard) -> None:
        standard_delete(standard=obj, actor=request.user)


@admin.register(Promise)
class PromiseAdmin(ServiceDeleteAdmin):
    list_display = ["audit", "item_code", "unit", "channel", "level", "valid_from", "valid_to", "text"]
    list_filter = ["audit", "channel"]
    list_select_related = ["audit", "unit"]
    search_fields = ["item_code", "text"]

    def delete_model(self, request, obj: Promise) -> None:
        promise_delete(promise=obj, actor=request.user)


class ScorecardCheckInline(admin.TabularInline):
    model = ScorecardCheck
    extra = 0
    fields = ["position", "code", "text", "item_code", "deduction"]


@admin.register(ScorecardTemplate)
class ScorecardTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "display_name", "is_active", "n_checks", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["code"]
    inlines = [ScorecardCheckInline]

    @admin.display(description=_("name"))
    def display_name(self, obj: ScorecardTemplate) -> str:
        return localized(obj.name)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(check_count=Count("checks"))

    @admin.display(description=_("checks"), ordering="check_count")
    def n_checks(self, obj: ScorecardTemplate) -> int:
        return obj.check_count

    def save_model(self, request, obj: ScorecardTemplate, form, change: bool) -> None:
        # The template and its checks as stored before this save (the inline checks are saved in save_related).
        form.logged_before = _template_fields(ScorecardTemplate.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change: bool) -> None:
        """One audit-log entry per save, with the checks as scorecard_template_save records them."""
        super().save_related(request, form, formsets, change)
        before, template = form.logged_before, form.instance
        changes = field_changes(before, _template_fields(template))
        if before is None or changes:
            audit_log_record(
                actor=request.user, action=AuditLogEntry.Action.CREATED if before is None
                else AuditLogEntry.Action.UPDATED, obj_type="scorecard", obj_id=template.pk,
                obj_repr=template.code, changes=changes,
            )

    def delete_model(self, request, obj: ScorecardTemplate) -> None:
        # Templates that inspections used are protected: the admin refuses them before this.
        scorecard_template_delete(template=obj, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for template in queryset:
                scorecard_template_delete(template=template, actor=request.user)


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(AuditDataAdmin):
    list_display = ["id", "audit", "unit", "submitted_by", "submitted_at"]
    list_filter = ["audit"]
    list_select_related = ["audit", "unit", "submitted_by"]
    search_fields = ["unit__code", "submitted_by__username"]
    fields = ["audit", "unit", "submitted_by", "submitted_at", "scores_json", "comments_json"]
    readonly_fields = fields

    @admin.display(description=_("scores"))
    def scores_json(self, obj: SelfAssessment) -> str:
        return _pretty_json(obj.scores)

    @admin.display(description=_("comments"))
    def comments_json(self, obj: SelfAssessment) -> str:
        return _pretty_json(obj.comments)


@admin.register(Inspection)
class InspectionAdmin(AuditDataAdmin):
    list_display = ["id", "audit", "unit", "template", "inspector_role", "inspector", "reference", "observed_at"]
    list_filter = ["audit", "template", "inspector_role"]
    list_select_related = ["audit", "unit", "template", "inspector"]
    search_fields = ["reference", "unit__code", "inspector__username"]
    fields = ["audit", "unit", "template", "inspector", "inspector_role", "reference", "observed_at",
              "submitted_at", "failed_checks", "frozen_checks", "item_scores", "notes"]
    readonly_fields = fields

    @admin.display(description=_("checks (as submitted)"))
    def frozen_checks(self, obj: Inspection) -> str:
        return _pretty_json(obj.checks)

    @admin.display(description=_("scores"))
    def item_scores(self, obj: Inspection) -> str:
        return _pretty_json(obj.scores)


@admin.register(DeliveryObservation)
class DeliveryObservationAdmin(AuditDataAdmin):
    list_display = ["id", "audit", "unit", "item_code", "value", "source"]
    list_filter = ["audit", "source"]
    list_select_related = ["audit", "unit"]
    search_fields = ["item_code"]
    readonly_fields = ["audit", "unit", "item_code", "value", "source", "self_assessment", "inspection"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # An observation belongs to its self-assessment or inspection: delete that instead.
        return False
