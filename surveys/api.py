"""REST API for audits and customer responses (METHOD.md §8)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import models
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response as HttpResponse
from rest_framework.views import APIView

from gapaudit.security import rate_limited
from surveys.layout import Layout
from surveys.links import LinkInvalid, LinkRevoked, link_verify
from surveys.models import CODE_PATTERN, MAX_SCALE, MIN_SCALE, Audit, Instrument, Response, Unit
from surveys.selectors import audit_layout, audits_with_counts
from surveys.services import ValidationFailed, audit_create, audit_update, response_submit


def nested_errors(errors: dict[str, list[str]]) -> dict[str, Any]:
    """{"answers.REL1.expectation": [...]} → {"answers": {"REL1": {"expectation": [...]}}}."""
    out: dict[str, Any] = {}
    for path, messages in errors.items():
        node = out
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[leaf] = messages
    return out


ERRORS_BY_FIELD = OpenApiResponse(OpenApiTypes.OBJECT, description="Errors by field.")
NOT_FOUND = OpenApiResponse(description="No such audit.")
TOO_MANY = OpenApiResponse(OpenApiTypes.OBJECT, description="Too many requests from the client's network.")
# The <slug:…> path converter: any other path is Django's 404 before a view runs.
SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$")


class BoundedPagination(LimitOffsetPagination):
    """limit and offset within bounds; anything else is a 400 on that parameter, not a clamp or a DB overflow."""

    max_limit = 200
    max_offset = 1_000_000

    def get_limit(self, request) -> int:
        return self._bounded(request, self.limit_query_param, 1, self.max_limit, self.default_limit)

    def get_offset(self, request) -> int:
        return self._bounded(request, self.offset_query_param, 0, self.max_offset, 0)

    @staticmethod
    def _bounded(request, name: str, low: int, high: int, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not re.fullmatch(r"[0-9]{1,10}", raw) or not low <= int(raw) <= high:
            raise serializers.ValidationError({name: [f"must be a whole number from {low} to {high}"]})
        return int(raw)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        params = super().get_schema_operation_parameters(view)
        bounds = {self.limit_query_param: (1, self.max_limit), self.offset_query_param: (0, self.max_offset)}
        for param in params:
            low, high = bounds[param["name"]]
            param["schema"].update(minimum=low, maximum=high)
        return params


@extend_schema_field({"type": "string", "pattern": CODE_PATTERN})
class CodeRelatedField(serializers.SlugRelatedField):
    """An object by its code; what cannot be a code is not looked up (PostgreSQL rejects NUL bytes)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(CODE_PATTERN, data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


@extend_schema_field({"type": "array", "items": {"type": "string", "pattern": CODE_PATTERN}, "minItems": 1})
class CodeListField(serializers.ManyRelatedField):
    """Objects by their codes, at least one."""


class TextOnly:
    """Text fields that take text only: DRF would turn 7 into "7" and an integer into a UUID."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class TextField(TextOnly, serializers.CharField):
    pass


class SlugTextField(TextOnly, serializers.SlugField):
    pass


class TextUUIDField(TextOnly, serializers.UUIDField):
    pass


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Unit
        fields = ["code", "name", "parent"]


class AuditSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.SlugField: SlugTextField,
    }
    instrument = CodeRelatedField(queryset=Instrument.objects.all())
    units = CodeListField(child_relation=CodeRelatedField(queryset=Unit.objects.all()), allow_empty=False,
                          error_messages={"empty": "choose at least one unit"})
    scale = serializers.IntegerField(min_value=MIN_SCALE, max_value=MAX_SCALE, default=7)
    min_sample = serializers.IntegerField(min_value=1, max_value=100000, default=5)
    status = serializers.CharField(source="result_status", read_only=True)
    n_responses = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Audit
        fields = [
            "slug", "title", "instrument", "scale", "format", "units", "is_open", "min_sample",
            "period_start", "period_end", "status", "n_responses", "computed_at", "created_at",
        ]
        read_only_fields = ["computed_at", "created_at"]
        extra_kwargs = {"title": {"min_length": 1}}  # documents that a blank title is refused

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("period_start", getattr(self.instance, "period_start", None))
        end = attrs.get("period_end", getattr(self.instance, "period_end", None))
        if start and end and end < start:
            raise serializers.ValidationError({"period_end": ["must not be before the period start"]})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Audit:
        try:
            return audit_create(**validated_data)
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.errors) from exc

    def update(self, instance: Audit, validated_data: dict[str, Any]) -> Audit:
        try:
            return audit_update(audit=instance, **validated_data)
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.errors) from exc


class AnswerSerializer(serializers.Serializer):
    expectation = serializers.IntegerField(allow_null=True, required=False)
    perception = serializers.IntegerField(allow_null=True, required=False)
    adequate = serializers.IntegerField(allow_null=True, required=False)


class ResponseInSerializer(serializers.Serializer):
    submission_id = TextUUIDField()
    unit = TextField(max_length=32)
    channel = TextField(max_length=64, allow_null=True, allow_blank=True, required=False)
    answers = serializers.DictField(child=AnswerSerializer(), allow_empty=True)
    importance = serializers.DictField(child=serializers.IntegerField(), allow_null=True, required=False)
    token = TextField(max_length=1000, required=False, allow_blank=True, help_text="Signed survey link token.")


class ResponseOutSerializer(serializers.Serializer):
    submission_id = serializers.UUIDField()
    unit = serializers.CharField(source="unit.code")
    channel = serializers.CharField(allow_null=True)
    submitted_at = serializers.DateTimeField()
    answers = serializers.DictField()
    importance = serializers.DictField(allow_null=True)

    @staticmethod
    def of(response: Response, layout: Layout) -> dict[str, Any]:
        return {
            "submission_id": str(response.submission_id),
            "unit": response.unit.code,
            "channel": response.channel or None,
            "submitted_at": response.submitted_at.isoformat(),
            "answers": layout.unpack_answers(response.answers),
            "importance": layout.unpack_importance(response.importance),
        }


@extend_schema_view(
    get=extend_schema(responses={200: AuditSerializer(many=True), 400: ERRORS_BY_FIELD}),
    post=extend_schema(responses={201: AuditSerializer, 400: ERRORS_BY_FIELD}),
)
class AuditListCreate(generics.ListCreateAPIView):
    """List audits (with status and response counts) or create one."""

    serializer_class = AuditSerializer
    pagination_class = BoundedPagination
    parser_classes = [JSONParser]

    def get_queryset(self):
        return audits_with_counts().prefetch_related("units")


@extend_schema_view(
    get=extend_schema(parameters=[SLUG], responses={200: AuditSerializer, 404: NOT_FOUND}),
    put=extend_schema(parameters=[SLUG], responses={200: AuditSerializer, 400: ERRORS_BY_FIELD, 404: NOT_FOUND}),
    patch=extend_schema(parameters=[SLUG], responses={200: AuditSerializer, 400: ERRORS_BY_FIELD, 404: NOT_FOUND}),
)
class AuditDetail(generics.RetrieveUpdateAPIView):
    serializer_class = AuditSerializer
    parser_classes = [JSONParser]
    lookup_field = "slug"

    def get_queryset(self):
        return audits_with_counts().prefetch_related("units")


@extend_schema_view(get=extend_schema(responses={200: UnitSerializer(many=True), 400: ERRORS_BY_FIELD}))
class UnitList(generics.ListAPIView):
    serializer_class = UnitSerializer
    pagination_class = BoundedPagination
    queryset = Unit.objects.select_related("parent")


def token_error(*, token: str | None, audit: Audit, unit_code: str) -> str | None:
    """Why a customer's survey link token does not allow a response for this audit and unit, or None."""
    if not token:
        return _("Customers answer through a survey link: send the token of its signed link.")
    try:
        link = link_verify(token)
    except LinkInvalid:
        return _("This survey link is not valid.")
    except LinkRevoked:
        return _("This survey link has been withdrawn.")
    if link.audit_id != audit.pk or link.unit.code != unit_code:
        return _("This survey link belongs to another audit or unit.")
    return None


class ResponseSubmit(APIView):
    """Submit one customer response (METHOD.md §8).

    Customers answer without an account, with the `token` of their signed survey
    link (for this audit and the `unit` they name); such requests are rate limited
    per client network. Signed-in users (imports, scripts) need no token.
    """

    permission_classes = [AllowAny]
    parser_classes = [JSONParser]  # nested objects and null: JSON only (METHOD.md §8)

    @extend_schema(
        parameters=[SLUG],
        request=ResponseInSerializer,
        responses={
            201: ResponseOutSerializer,
            200: OpenApiResponse(ResponseOutSerializer, description="Already stored (same submission_id)."),
            400: ERRORS_BY_FIELD,
            404: NOT_FOUND,
            429: TOO_MANY,
        },
    )
    def post(self, request, slug: str) -> HttpResponse:
        customer = not request.user.is_authenticated
        if customer and rate_limited(request, group="survey-api", rate=settings.SURVEY_RATE_LIMIT_API):
            return HttpResponse({"detail": _("Too many attempts from your network, please wait a minute.")},
                                status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": "60"})
        audit = get_object_or_404(Audit, slug=slug)
        incoming = ResponseInSerializer(data=request.data)
        incoming.is_valid()
        errors = dict(incoming.errors)
        if customer and "token" not in errors:  # a token that is not text is reported by the serializer
            raw = request.data if isinstance(request.data, dict) else {}
            message = token_error(token=raw.get("token"), audit=audit, unit_code=raw.get("unit"))
            if message:
                errors["token"] = [message]
        if errors:
            return HttpResponse(errors, status=status.HTTP_400_BAD_REQUEST)
        data = incoming.validated_data
        raw_answers = request.data.get("answers") or {}
        try:
            response, created = response_submit(
                audit=audit,
                submission_id=data["submission_id"],
                unit_code=data["unit"],
                # The raw values, so that 7.5 or "7" are reported, not coerced.
                answers=raw_answers,
                importance=request.data.get("importance"),
                channel=data.get("channel") or None,
            )
        except ValidationFailed as exc:
            return HttpResponse(nested_errors(exc.errors), status=status.HTTP_400_BAD_REQUEST)
        body = ResponseOutSerializer.of(response, audit_layout(audit=audit))
        return HttpResponse(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
