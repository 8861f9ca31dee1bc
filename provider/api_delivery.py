"""REST API for delivery evidence (gap 3, METHOD.md §6): scorecard templates,
self-assessments and inspections. JSON only; bad input is a 400 with errors by field.

Access (issue 4): templates are read by anyone with a role and written by admins;
self-assessments and inspections are submitted by staff (and admins) for the units of
their staff scope, and listed to staff only as what they submitted, to managers also as
the evidence of the units in their scope, to admins all. Not signed in: 401; without
the role: 403; an audit out of reach: 404."""

from __future__ import annotations

import re
from typing import Any

from django.core.validators import MaxLengthValidator, MinLengthValidator, RegexValidator
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response as HttpResponse

from accounts.access import HasRole, audit_for_or_404, audits_for, is_admin, scope_unit_ids
from accounts.models import Role
from provider.delivery import (
    LANGUAGE_PATTERN,
    MAX_CHECKS,
    MAX_COMMENT,
    MAX_NOTES,
    MAX_REFERENCE,
    MAX_TEXT,
    evidence_filters,
    evidence_reach,
    inspection_submit,
    scorecard_template_delete,
    scorecard_template_save,
    scorecard_templates,
    self_assessment_submit,
)
from provider.models import Inspection, ScorecardTemplate, SelfAssessment
from surveys.api import (
    ERRORS_BY_FIELD,
    NOT_FOUND,
    SLUG,
    BooleanField,
    BoundedPagination,
    IntegerField,
    JSONParser,
    TextField,
    nested_errors,
)
from surveys.models import CODE_PATTERN, MAX_SCALE, Audit
from surveys.selectors import audit_unit_ids
from surveys.services import ValidationFailed

UNAUTHORIZED = OpenApiResponse(description="Not signed in.")
FORBIDDEN = OpenApiResponse(description="Not allowed.")
SIGNED_IN = {401: UNAUTHORIZED, 403: FORBIDDEN}
TEMPLATE_NOT_FOUND = OpenApiResponse(description="No such audit or scorecard template.")
CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$",
                        description="The scorecard template's code.")
MINE = OpenApiParameter("mine", OpenApiTypes.INT, enum=[0, 1], required=False,
                        description="1: only what the signed-in user submitted (always so for staff).")
NOT_IN_SCOPE = "this unit is not in your scope"


class RoleByMethod:
    """HasRole with `read_roles` for GET/HEAD/OPTIONS and `write_roles` for the rest."""

    read_roles: tuple[str, ...] = (Role.STAFF, Role.MANAGER)
    write_roles: tuple[str, ...] = (Role.ADMIN,)

    @property
    def required_roles(self) -> tuple[str, ...]:
        return self.read_roles if self.request.method in SAFE_METHODS else self.write_roles


CODE_VALIDATOR = RegexValidator(CODE_PATTERN, "use 1 to 32 letters, digits, '_' or '-'")


class CodeField(TextField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=32, validators=[CODE_VALIDATOR], **kwargs)


# What allow_empty=False refuses, as validators: the schema shows them as minProperties / minItems.
AT_LEAST_ONE = MinLengthValidator(1)


class TextsField(serializers.DictField):
    """{language code: text}."""

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.get("allow_empty") is False:
            kwargs["validators"] = [*kwargs.get("validators", []), AT_LEAST_ONE]
        super().__init__(child=TextField(max_length=MAX_TEXT, allow_blank=True), **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, str]:
        texts = super().to_internal_value(data)
        bad = [key for key in texts if not re.fullmatch(LANGUAGE_PATTERN, key)]
        if bad:
            raise serializers.ValidationError([f'"{key}" is not a language code' for key in bad])
        return texts


class ScorecardCheckSerializer(serializers.Serializer):
    code = CodeField()
    text = TextsField(allow_empty=False, help_text="The check's wording per language code.")
    item = CodeField(source="item_code", help_text="Code of the SERVQUAL item the check evidences.")
    deduction = IntegerField(min_value=1, max_value=100, help_text="Points deducted when it fails.")


class ScorecardTemplateSerializer(serializers.Serializer):
    code = CodeField()
    name = TextsField(allow_empty=False)
    description = TextsField(required=False)
    is_active = BooleanField(required=False, default=True)
    checks = serializers.ListSerializer(child=ScorecardCheckSerializer(), allow_empty=False, max_length=MAX_CHECKS,
                                        validators=[AT_LEAST_ONE, MaxLengthValidator(MAX_CHECKS)])
    n_inspections = serializers.IntegerField(read_only=True, default=0)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate_checks(self, checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        codes = [c["code"] for c in checks]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise serializers.ValidationError([f'check code "{c}" is used twice' for c in twice])
        return checks

    def validate_code(self, code: str) -> str:
        if self.instance is not None and code != self.instance.code:
            raise serializers.ValidationError("cannot change: inspections and links refer to it")
        return code

    def _save(self, template: ScorecardTemplate | None, data: dict[str, Any]) -> ScorecardTemplate:
        checks = data.get("checks")
        try:
            saved = scorecard_template_save(
                template=template, code=data.get("code"), name=data.get("name"),
                description=data.get("description"), is_active=data.get("is_active"),
                checks=None if checks is None else [
                    {"code": c["code"], "text": c["text"], "item": c["item_code"], "deduction": c["deduction"]}
                    for c in checks
                ],
                actor=self.context["request"].user if "request" in self.context else None,
            )
        except ValidationFailed as exc:
            raise serializers.ValidationError(nested_errors(exc.errors)) from exc
        return scorecard_templates().get(pk=saved.pk)

    def create(self, validated_data: dict[str, Any]) -> ScorecardTemplate:
        return self._save(None, validated_data)

    def update(self, instance: ScorecardTemplate, validated_data: dict[str, Any]) -> ScorecardTemplate:
        return self._save(instance, validated_data)

    def to_representation(self, instance: ScorecardTemplate) -> dict[str, Any]:
        return {
            "code": instance.code, "name": instance.name, "description": instance.description,
            "is_active": instance.is_active,
            "checks": [{"code": c.code, "text": c.text, "item": c.item_code, "deduction": c.deduction}
                       for c in instance.checks.all()],
            "n_inspections": getattr(instance, "n_inspections", 0),
            "updated_at": serializers.DateTimeField().to_representation(instance.updated_at),
        }


@extend_schema_view(
    get=extend_schema(responses={200: ScorecardTemplateSerializer(many=True), 400: ERRORS_BY_FIELD,
                                 **SIGNED_IN}),
    post=extend_schema(responses={201: ScorecardTemplateSerializer, 400: ERRORS_BY_FIELD, **SIGNED_IN}),
)
class ScorecardTemplateListCreate(RoleByMethod, generics.ListCreateAPIView):
    """Inspection scorecard templates: checks with deduction points, each evidencing an item.
    Anyone with a role reads them; admins create them."""

    serializer_class = ScorecardTemplateSerializer
    pagination_class = BoundedPagination
    parser_classes = [JSONParser]
    permission_classes = [HasRole]

    def get_queryset(self):
        return scorecard_templates()


@extend_schema_view(
    get=extend_schema(parameters=[CODE], responses={200: ScorecardTemplateSerializer, **SIGNED_IN,
                                                    404: TEMPLATE_NOT_FOUND}),
    put=extend_schema(parameters=[CODE], responses={200: ScorecardTemplateSerializer, 400: ERRORS_BY_FIELD,
                                                    **SIGNED_IN, 404: TEMPLATE_NOT_FOUND}),
    patch=extend_schema(parameters=[CODE], responses={200: ScorecardTemplateSerializer, 400: ERRORS_BY_FIELD,
                                                      **SIGNED_IN, 404: TEMPLATE_NOT_FOUND}),
    delete=extend_schema(
        parameters=[CODE],
        responses={204: OpenApiResponse(description="Deleted."),
                   400: OpenApiResponse(OpenApiTypes.OBJECT, description="Inspections used the template: "
                                                                         "deactivate it instead."),
                   **SIGNED_IN, 404: TEMPLATE_NOT_FOUND},
    ),
)
class ScorecardTemplateDetail(RoleByMethod, generics.RetrieveUpdateDestroyAPIView):
    """One template. Editing it never changes past inspections (they froze its checks);
    a template that inspections used cannot be deleted, only deactivated. Writes: admins."""

    serializer_class = ScorecardTemplateSerializer
    parser_classes = [JSONParser]
    permission_classes = [HasRole]
    lookup_field = "code"

    def get_queryset(self):
        return scorecard_templates()

    def destroy(self, request, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            scorecard_template_delete(template=self.get_object(), actor=request.user)
        except ValidationFailed as exc:
            return HttpResponse(nested_errors(exc.errors), status=status.HTTP_400_BAD_REQUEST)
        return HttpResponse(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- self-assessments and inspections


class SelfAssessmentInSerializer(serializers.Serializer):
    unit = CodeField()
    scores = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_SCALE, allow_null=True), allow_empty=False,
        validators=[AT_LEAST_ONE],
        help_text="Item code → how well the unit delivers to the standard, 1..K, or null (not assessed).",
    )
    comments = serializers.DictField(child=TextField(max_length=MAX_COMMENT, allow_blank=True), required=False,
                                     help_text="Item code → optional comment.")


class SelfAssessmentOutSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    submitted_by = serializers.CharField(source="submitted_by.get_username", allow_null=True, default=None)
    scores = serializers.DictField(child=serializers.IntegerField(allow_null=True))
    comments = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = SelfAssessment
        fields = ["id", "unit", "submitted_by", "submitted_at", "scores", "comments"]


class InspectionInSerializer(serializers.Serializer):
    template = CodeField()
    unit = CodeField()
    inspector_role = serializers.ChoiceField(choices=Inspection.Role.choices, default=Inspection.Role.SUPERVISOR)
    reference = TextField(max_length=MAX_REFERENCE, allow_blank=True, required=False, default="")
    observed_at = serializers.DateTimeField(required=False, help_text="Default: now.")
    failed_checks = serializers.ListField(child=CodeField(), max_length=MAX_CHECKS, required=False, default=list,
                                         help_text="Codes of the template's checks that failed.")
    notes = TextField(max_length=MAX_NOTES, allow_blank=True, required=False, default="")


class FrozenCheckSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.DictField(child=serializers.CharField())
    item_code = serializers.CharField()
    deduction = serializers.IntegerField()


class InspectionOutSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    template = serializers.CharField(source="template.code")
    inspector = serializers.CharField(source="inspector.get_username", allow_null=True, default=None)
    failed_checks = serializers.ListField(child=serializers.CharField())
    checks = FrozenCheckSerializer(many=True, help_text="The template's checks as they were at submission.")
    scores = serializers.DictField(child=serializers.FloatField(),
                                   help_text="Item code → delivery score 1..K converted per METHOD §6.")

    class Meta:
        model = Inspection
        fields = ["id", "template", "unit", "inspector", "inspector_role", "reference", "observed_at",
                  "failed_checks", "checks", "scores", "notes", "submitted_at"]


class AuditEvidenceList(RoleByMethod, generics.GenericAPIView):
    """Shared by the two audit evidence endpoints: newest first, `?mine=1` for one's own.
    Listed to staff and managers (what each may see); submitted by staff."""

    parser_classes = [JSONParser]
    permission_classes = [HasRole]
    pagination_class = BoundedPagination
    write_roles = (Role.STAFF,)
    kind = 0  # 0: self-assessments, 1: inspections (the index into evidence_filters)

    def audit(self) -> Audit:
        """Listing: an audit the user reaches as staff or as a manager; submitting: as staff. Else 404."""
        user, slug = self.request.user, self.kwargs["slug"]
        if self.request.method in SAFE_METHODS:
            return get_object_or_404(audits_for(user, Role.STAFF) | audits_for(user, Role.MANAGER), slug=slug)
        return audit_for_or_404(user, slug, Role.STAFF)

    def list_response(self, queryset: QuerySet) -> HttpResponse:
        mine = self.request.query_params.get("mine", "0")
        if mine not in ("0", "1"):
            raise serializers.ValidationError({"mine": ["must be 0 or 1"]})
        user = self.request.user
        # Staff see only what they submitted, whatever ?mine says.
        can_see_all = is_admin(user) or bool(scope_unit_ids(user, Role.MANAGER))
        reach = evidence_reach(user, mine=mine == "1" or not can_see_all)
        queryset = queryset.filter(evidence_filters(**reach)[self.kind])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def unit_out_of_scope(self, audit: Audit, unit_code: str) -> HttpResponse | None:
        """A 400 on `unit` when it is a unit of the audit outside the user's staff scope."""
        unit_id = audit_unit_ids(audit=audit).get(unit_code)
        scope = scope_unit_ids(self.request.user, Role.STAFF)
        if unit_id is not None and scope is not None and unit_id not in scope:
            return HttpResponse({"unit": [NOT_IN_SCOPE]}, status=status.HTTP_400_BAD_REQUEST)
        return None


@extend_schema_view(
    get=extend_schema(parameters=[SLUG, MINE], responses={200: SelfAssessmentOutSerializer(many=True),
                                                          400: ERRORS_BY_FIELD, **SIGNED_IN, 404: NOT_FOUND}),
    post=extend_schema(parameters=[SLUG], request=SelfAssessmentInSerializer,
                       responses={201: SelfAssessmentOutSerializer, 400: ERRORS_BY_FIELD, **SIGNED_IN,
                                  404: NOT_FOUND}),
)
class SelfAssessmentListCreate(AuditEvidenceList):
    """Frontline self-assessments: per item, how well the unit delivers to the standard (gap 3)."""

    serializer_class = SelfAssessmentOutSerializer
    kind = 0

    def get(self, request, slug: str) -> HttpResponse:
        audit = self.audit()
        return self.list_response(SelfAssessment.objects.filter(audit=audit).select_related("unit", "submitted_by"))

    def post(self, request, slug: str) -> HttpResponse:
        audit = self.audit()
        incoming = SelfAssessmentInSerializer(data=request.data)
        if not incoming.is_valid():
            return HttpResponse(incoming.errors, status=status.HTTP_400_BAD_REQUEST)
        data = incoming.validated_data
        if refused := self.unit_out_of_scope(audit, data["unit"]):
            return refused
        try:
            assessment = self_assessment_submit(
                audit=audit, unit=data["unit"], user=request.user,
                # The raw values, so that 7.0 or "7" are reported, not coerced.
                scores=request.data.get("scores"), comments=request.data.get("comments"),
            )
        except ValidationFailed as exc:
            return HttpResponse(nested_errors(exc.errors), status=status.HTTP_400_BAD_REQUEST)
        return HttpResponse(SelfAssessmentOutSerializer(assessment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(parameters=[SLUG, MINE], responses={200: InspectionOutSerializer(many=True),
                                                          400: ERRORS_BY_FIELD, **SIGNED_IN, 404: NOT_FOUND}),
    post=extend_schema(parameters=[SLUG], request=InspectionInSerializer,
                       responses={201: InspectionOutSerializer, 400: ERRORS_BY_FIELD, **SIGNED_IN,
                                  404: NOT_FOUND}),
)
class InspectionListCreate(AuditEvidenceList):
    """Inspections with a scorecard template; the response carries the per-item scores (METHOD §6)."""

    serializer_class = InspectionOutSerializer
    kind = 1

    def get(self, request, slug: str) -> HttpResponse:
        audit = self.audit()
        return self.list_response(
            Inspection.objects.filter(audit=audit).select_related("unit", "template", "inspector")
        )

    def post(self, request, slug: str) -> HttpResponse:
        audit = self.audit()
        incoming = InspectionInSerializer(data=request.data)
        if not incoming.is_valid():
            return HttpResponse(incoming.errors, status=status.HTTP_400_BAD_REQUEST)
        data = incoming.validated_data
        if refused := self.unit_out_of_scope(audit, data["unit"]):
            return refused
        try:
            inspection = inspection_submit(
                audit=audit, unit=data["unit"], template=data["template"], user=request.user,
                role=data["inspector_role"], reference=data["reference"], observed_at=data.get("observed_at"),
                failed_checks=data["failed_checks"], notes=data["notes"],
            )
        except ValidationFailed as exc:
            return HttpResponse(nested_errors(exc.errors), status=status.HTTP_400_BAD_REQUEST)
        return HttpResponse(InspectionOutSerializer(inspection).data, status=status.HTTP_201_CREATED)
