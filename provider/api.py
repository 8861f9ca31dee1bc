"""REST API of manager answers (gap 1), quality standards (gap 2) and promises (gap 4).

JSON only. Reads: admins and managers (a manager reaches the audits of their scope, and
sees the answer sets, unit overrides and unit promises of the units in it only, with
promise evidence counted over their scope when the audit is not wholly theirs). Writes of
standards and promises: admins only; the manager's own answer set: managers (and admins),
for a unit of their scope. Not signed in: 401; without the role: 403. Bad input answers
400 with errors by field; an unknown audit or object, or one outside the scope, 404.
"""

from __future__ import annotations

import re
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from accounts.access import HasRole, audit_for_or_404, audit_fully_in_scope, scope_unit_ids
from accounts.models import Role
from provider.beliefs import manager_answer_set_get, manager_answer_sets, manager_answers_submit
from provider.models import ManagerAnswerSet, Promise, QualityStandard
from provider.promises import (
    Evidence,
    audit_promises,
    promise_create,
    promise_delete,
    promise_evidence,
    promise_register,
    promise_update,
)
from provider.standards import MAX_DESCRIPTION, audit_standards, standard_delete, standard_set, standard_update
from surveys.api import (
    ERRORS_BY_FIELD,
    SLUG,
    BoundedPagination,
    IntegerField,
    JSONParser,
    TextField,
    nested_errors,
)
from surveys.models import CODE_PATTERN, MAX_SCALE, Audit
from surveys.selectors import audit_unit_ids
from surveys.services import ValidationFailed

NOT_FOUND = OpenApiResponse(description="No such audit (or no such object in it).")
NOT_SIGNED_IN = OpenApiResponse(description="Not signed in.")
NOT_ALLOWED = OpenApiResponse(description="Signed in, but not allowed.")
SIGNED_IN = {401: NOT_SIGNED_IN, 403: NOT_ALLOWED}
OBJECT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The object's id.")
NOT_A_CODE = "not a code (1 to 32 letters, digits, '_' or '-')"


def bad_request(errors: dict[str, list[str]]) -> Response:
    return Response(nested_errors(errors), status=status.HTTP_400_BAD_REQUEST)


@extend_schema_field({"type": "string", "pattern": CODE_PATTERN})
class CodeField(TextField):
    """A code, checked against the code pattern before anything looks it up."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not re.fullmatch(CODE_PATTERN, value):
            raise serializers.ValidationError(NOT_A_CODE)
        return value


class ProviderView(generics.GenericAPIView):
    """Reads need `read_roles`, writes `write_roles` (admins hold every role)."""

    permission_classes = [HasRole]
    parser_classes = [JSONParser]
    pagination_class = BoundedPagination
    read_roles: tuple[str, ...] = (Role.MANAGER,)
    write_roles: tuple[str, ...] = (Role.ADMIN,)

    @property
    def required_roles(self) -> tuple[str, ...]:
        return self.read_roles if self.request.method in SAFE_METHODS else self.write_roles

    def audit(self) -> Audit:
        """The audit, if the user reaches it as a manager (admins: every audit); else 404."""
        return audit_for_or_404(self.request.user, self.kwargs["slug"], Role.MANAGER)

    def scope(self) -> set[int] | None:
        """The user's manager scope (unit ids); None for admins."""
        return scope_unit_ids(self.request.user, Role.MANAGER)

    def evidence_scope(self, audit: Audit) -> set[int] | None:
        """Units whose delivery evidence counts for the user: all when the audit is wholly theirs."""
        return None if audit_fully_in_scope(self.request.user, audit, Role.MANAGER) else self.scope()


# ------------------------------------------------------------------ manager answers
class ManagerAnswersInSerializer(serializers.Serializer):
    unit = CodeField(help_text="Code of the unit the manager manages (one of the audit's units or below).")
    answers = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_SCALE, allow_null=True), allow_empty=True,
        help_text="Item code → the level the manager believes customers expect (1..K), or null for no opinion.",
    )
    importance = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=100), allow_null=True, required=False,
        help_text="Dimension code → points, all dimensions, summing to 100; or null.",
    )


class ManagerAnswerSetSerializer(serializers.ModelSerializer):
    manager = serializers.CharField(source="manager.get_username", read_only=True)
    unit = serializers.CharField(source="unit.code", read_only=True)
    answers = serializers.DictField(child=serializers.IntegerField(allow_null=True), read_only=True)
    importance = serializers.DictField(child=serializers.IntegerField(), allow_null=True, read_only=True)

    class Meta:
        model = ManagerAnswerSet
        fields = ["id", "manager", "unit", "answers", "importance", "created_at", "updated_at"]
        read_only_fields = fields


class ManagerAnswerSetList(ProviderView):
    """The managers' answer sets of the audit (a manager: those of the units in their scope)."""

    serializer_class = ManagerAnswerSetSerializer

    @extend_schema(parameters=[SLUG], responses={200: ManagerAnswerSetSerializer(many=True), 400: ERRORS_BY_FIELD,
                                                 **SIGNED_IN, 404: NOT_FOUND})
    def get(self, request, slug: str) -> Response:
        page = self.paginate_queryset(manager_answer_sets(audit=self.audit(), unit_ids=self.scope()))
        return self.get_paginated_response(ManagerAnswerSetSerializer(page, many=True).data)


class ManagerAnswerSetMine(ProviderView):
    """The signed-in manager's answer set: read it, or create / replace it while the audit is
    open, for a unit of the audit in the manager's scope."""

    serializer_class = ManagerAnswerSetSerializer
    pagination_class = None
    write_roles = (Role.MANAGER,)

    def get_object(self) -> ManagerAnswerSet | None:
        """The manager's answer set, None before the first PUT; 404 for an audit out of reach.
        OPTIONS asks for it (DRF's metadata) before describing the PUT body."""
        return manager_answer_set_get(audit=self.audit(), manager=self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return ManagerAnswersInSerializer if self.request.method == "PUT" else ManagerAnswerSetSerializer

    @extend_schema(parameters=[SLUG], responses={
        200: ManagerAnswerSetSerializer, **SIGNED_IN,
        404: OpenApiResponse(description="No such audit, or you have not answered it yet.")})
    def get(self, request, slug: str) -> Response:
        answer_set = manager_answer_set_get(audit=self.audit(), manager=request.user)
        if answer_set is None:
            return Response({"detail": "you have not answered this audit yet"}, status=status.HTTP_404_NOT_FOUND)
        return Response(ManagerAnswerSetSerializer(answer_set).data)

    @extend_schema(parameters=[SLUG], request=ManagerAnswersInSerializer, responses={
        200: OpenApiResponse(ManagerAnswerSetSerializer, description="Replaced the stored answer set."),
        201: ManagerAnswerSetSerializer, 400: ERRORS_BY_FIELD, **SIGNED_IN, 404: NOT_FOUND})
    def put(self, request, slug: str) -> Response:
        audit = self.audit()
        incoming = ManagerAnswersInSerializer(data=request.data)
        if not incoming.is_valid():
            return Response(incoming.errors, status=status.HTTP_400_BAD_REQUEST)
        unit_id = audit_unit_ids(audit=audit).get(incoming.validated_data["unit"])
        scope = self.scope()
        if unit_id is not None and scope is not None and unit_id not in scope:
            return bad_request({"unit": ["this unit is not in your scope"]})
        try:
            answer_set, created = manager_answers_submit(
                audit=audit, manager=request.user, unit=incoming.validated_data["unit"],
                # The raw values, so that "7" or 7.0 are reported, not coerced.
                answers=request.data.get("answers"), importance=request.data.get("importance"),
            )
        except ValidationFailed as exc:
            return bad_request(exc.errors)
        answer_set = manager_answer_set_get(audit=audit, manager=request.user)
        return Response(ManagerAnswerSetSerializer(answer_set).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# ------------------------------------------------------------------ standards
class StandardSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    item = CodeField(source="item_code", help_text="Item code of the audit's instrument.")
    unit = CodeField(allow_null=True, required=False,
                     help_text="Unit code for a unit override; null (or left out) for the audit's standard.")
    level = IntegerField(min_value=1, max_value=MAX_SCALE, help_text="Target level, 1..K.")
    description = TextField(max_length=MAX_DESCRIPTION, allow_blank=True, required=False,
                            help_text="The operational standard in words.")

    def to_representation(self, standard: QualityStandard) -> dict[str, Any]:
        return {"id": standard.pk, "item": standard.item_code, "unit": standard.unit.code if standard.unit_id else None,
                "level": standard.level, "description": standard.description}

    @staticmethod
    def service_fields(data: dict[str, Any]) -> dict[str, Any]:
        return {name: data[name] for name in ("item_code", "unit", "level", "description") if name in data}


class StandardListCreate(ProviderView):
    """The audit's quality standards (a manager: the unit overrides of their scope only);
    POST (admins) sets the standard of (item, unit), creating or updating it."""

    serializer_class = StandardSerializer

    @extend_schema(parameters=[SLUG], responses={200: StandardSerializer(many=True), 400: ERRORS_BY_FIELD,
                                                 **SIGNED_IN, 404: NOT_FOUND})
    def get(self, request, slug: str) -> Response:
        page = self.paginate_queryset(audit_standards(audit=self.audit(), unit_ids=self.scope()))
        return self.get_paginated_response(StandardSerializer(page, many=True).data)

    @extend_schema(parameters=[SLUG], request=StandardSerializer, responses={
        201: StandardSerializer,
        200: OpenApiResponse(StandardSerializer, description="Updated the standard this item and unit had."),
        400: ERRORS_BY_FIELD, **SIGNED_IN, 404: NOT_FOUND})
    def post(self, request, slug: str) -> Response:
        audit = self.audit()
        incoming = StandardSerializer(data=request.data)
        if not incoming.is_valid():
            return Response(incoming.errors, status=status.HTTP_400_BAD_REQUEST)
        fields = {"unit": None, "description": "", **StandardSerializer.service_fields(incoming.validated_data)}
        try:
            standard, created = standard_set(audit=audit, actor=request.user, **fields)
        except ValidationFailed as exc:
            return bad_request(exc.errors)
        return Response(StandardSerializer(standard).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class StandardDetail(ProviderView):
    serializer_class = StandardSerializer
    pagination_class = None

    def standard(self) -> QualityStandard:
        """The standard; a unit override of a unit outside the manager's scope is a 404."""
        return get_object_or_404(audit_standards(audit=self.audit(), unit_ids=self.scope()), pk=self.kwargs["pk"])

    @extend_schema(parameters=[SLUG, OBJECT_ID], responses={200: StandardSerializer, **SIGNED_IN,
                                                            404: NOT_FOUND})
    def get(self, request, slug: str, pk: int) -> Response:
        return Response(StandardSerializer(self.standard()).data)

    @extend_schema(parameters=[SLUG, OBJECT_ID], request=StandardSerializer(partial=True), responses={
        200: StandardSerializer, 400: ERRORS_BY_FIELD, **SIGNED_IN, 404: NOT_FOUND})
    def patch(self, request, slug: str, pk: int) -> Response:
        standard = self.standard()
        incoming = StandardSerializer(data=request.data, partial=True)
        if not incoming.is_valid():
            return Response(incoming.errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            standard = standard_update(standard=standard, actor=request.user,
                                       **StandardSerializer.service_fields(incoming.validated_data))
        except ValidationFailed as exc:
            return bad_request(exc.errors)
        return Response(StandardSerializer(standard).data)

    @extend_schema(parameters=[SLUG, OBJECT_ID], responses={204: None, **SIGNED_IN, 404: NOT_FOUND})
    def delete(self, request, slug: str, pk: int) -> Response:
        standard_delete(standard=self.standard(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ------------------------------------------------------------------ promises
class EvidenceSerializer(serializers.Serializer):
    mean_d = serializers.FloatField(allow_null=True, help_text="Mean delivered level in the promise's scope.")
    n = serializers.IntegerField(help_text="Delivery observations of the item in the promise's scope.")
    met = serializers.BooleanField(allow_null=True, help_text="mean_d ≥ level; null without evidence.")


class PromiseSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    item = CodeField(source="item_code", help_text="Item code of the audit's instrument.")
    unit = CodeField(allow_null=True, required=False,
                     help_text="Unit code (the promise covers it and the units below); null for chain-wide.")
    text = TextField(min_length=1, max_length=2000, help_text="The promise as customers see or hear it.")
    channel = serializers.ChoiceField(choices=Promise.Channel.choices, required=False)
    level = IntegerField(min_value=1, max_value=MAX_SCALE, help_text="Promised level, 1..K.")
    valid_from = serializers.DateField(allow_null=True, required=False)
    valid_to = serializers.DateField(allow_null=True, required=False)
    evidence = EvidenceSerializer(read_only=True)

    def to_representation(self, promise: Promise) -> dict[str, Any]:
        evidence: Evidence = self.context["evidence"][promise.pk]
        return {
            "id": promise.pk, "item": promise.item_code, "unit": promise.unit.code if promise.unit_id else None,
            "text": promise.text, "channel": promise.channel, "level": promise.level,
            "valid_from": promise.valid_from.isoformat() if promise.valid_from else None,
            "valid_to": promise.valid_to.isoformat() if promise.valid_to else None,
            "evidence": evidence.as_dict(),
        }

    @staticmethod
    def service_fields(data: dict[str, Any]) -> dict[str, Any]:
        names = ("item_code", "unit", "text", "channel", "level", "valid_from", "valid_to")
        return {name: data[name] for name in names if name in data}


def promise_body(audit: Audit, promise: Promise, evidence_unit_ids: set[int] | None = None) -> dict[str, Any]:
    evidence = promise_evidence(audit=audit, promises=[promise], unit_ids=evidence_unit_ids)
    return PromiseSerializer(promise, context={"evidence": evidence}).data


class PromiseListCreate(ProviderView):
    """The promise register: promises delivery does not meet first (largest shortfall
    first), then those without evidence, then met ones. A manager sees the chain-wide
    promises and those of the units in their scope, with the evidence of their scope
    when the audit is not wholly theirs. POST: admins."""

    serializer_class = PromiseSerializer

    @extend_schema(parameters=[SLUG], responses={200: PromiseSerializer(many=True), 400: ERRORS_BY_FIELD,
                                                 **SIGNED_IN, 404: NOT_FOUND})
    def get(self, request, slug: str) -> Response:
        audit = self.audit()
        rows = promise_register(audit=audit, unit_ids=self.scope(), evidence_unit_ids=self.evidence_scope(audit))
        page = self.paginate_queryset(rows)
        evidence = {row.promise.pk: row.evidence for row in page}
        return self.get_paginated_response(
            PromiseSerializer([row.promise for row in page], many=True, context={"evidence": evidence}).data)

    @extend_schema(parameters=[SLUG], request=PromiseSerializer, responses={
        201: PromiseSerializer, 400: ERRORS_BY_FIELD, **SIGNED_IN, 404: NOT_FOUND})
    def post(self, request, slug: str) -> Response:
        audit = self.audit()
        incoming = PromiseSerializer(data=request.data)
        if not incoming.is_valid():
            return Response(incoming.errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            promise = promise_create(audit=audit, actor=request.user,
                                     **PromiseSerializer.service_fields(incoming.validated_data))
        except ValidationFailed as exc:
            return bad_request(exc.errors)
        return Response(promise_body(audit, promise), status=status.HTTP_201_CREATED)


class PromiseDetail(ProviderView):
    serializer_class = PromiseSerializer
    pagination_class = None

    def promise(self, audit: Audit) -> Promise:
        """The promise; one of a unit outside the manager's scope is a 404."""
        return get_object_or_404(audit_promises(audit=audit, unit_ids=self.scope()), pk=self.kwargs["pk"])

    @extend_schema(parameters=[SLUG, OBJECT_ID], responses={200: PromiseSerializer, **SIGNED_IN,
                                                            404: NOT_FOUND})
    def get(self, request, slug: str, pk: int) -> Response:
        audit = self.audit()
        return Response(promise_body(audit, self.promise(audit), self.evidence_scope(audit)))

    @extend_schema(parameters=[SLUG, OBJECT_ID], request=PromiseSerializer(partial=True), responses={
        200: PromiseSerializer, 400: ERRORS_BY_FIELD, **SIGNED_IN, 404: NOT_FOUND})
    def patch(self, request, slug: str, pk: int) -> Response:
        audit = self.audit()
        promise = self.promise(audit)
        incoming = PromiseSerializer(data=request.data, partial=True)
        if not incoming.is_valid():
            return Response(incoming.errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            promise = promise_update(promise=promise, actor=request.user,
                                     **PromiseSerializer.service_fields(incoming.validated_data))
        except ValidationFailed as exc:
            return bad_request(exc.errors)
        return Response(promise_body(audit, promise))

    @extend_schema(parameters=[SLUG, OBJECT_ID], responses={204: None, **SIGNED_IN, 404: NOT_FOUND})
    def delete(self, request, slug: str, pk: int) -> Response:
        audit = self.audit()
        promise_delete(promise=self.promise(audit), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

