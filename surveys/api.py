"""REST API for audits and customer responses (METHOD.md §8)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response as HttpResponse
from rest_framework.views import APIView

from surveys.layout import Layout
from surveys.models import MAX_SCALE, MIN_SCALE, Audit, Instrument, Response, Unit
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


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Unit
        fields = ["code", "name", "parent"]


class AuditSerializer(serializers.ModelSerializer):
    instrument = serializers.SlugRelatedField(slug_field="code", queryset=Instrument.objects.all())
    units = serializers.SlugRelatedField(slug_field="code", many=True, queryset=Unit.objects.all())
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

    def validate_units(self, value: list[Unit]) -> list[Unit]:
        if not value:
            raise serializers.ValidationError("choose at least one unit")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("period_start", getattr(self.instance, "period_start", None))
        end = attrs.get("period_end", getattr(self.instance, "period_end", None))
        if start and end and end < start:
            raise serializers.ValidationError({"period_end": ["must not be before the period start"]})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Audit:
        return audit_create(**validated_data)

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
    submission_id = serializers.UUIDField()
    unit = serializers.CharField(max_length=32)
    channel = serializers.CharField(max_length=64, allow_null=True, allow_blank=True, required=False)
    answers = serializers.DictField(child=AnswerSerializer(), allow_empty=True)
    importance = serializers.DictField(child=serializers.IntegerField(), allow_null=True, required=False)
    token = serializers.CharField(required=False, allow_blank=True, help_text="Signed survey link token.")


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


class AuditListCreate(generics.ListCreateAPIView):
    """List audits (with status and response counts) or create one."""

    serializer_class = AuditSerializer

    def get_queryset(self):
        return audits_with_counts().prefetch_related("units")


class AuditDetail(generics.RetrieveUpdateAPIView):
    serializer_class = AuditSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return audits_with_counts().prefetch_related("units")


class UnitList(generics.ListAPIView):
    serializer_class = UnitSerializer
    queryset = Unit.objects.select_related("parent")


class ResponseSubmit(APIView):
    """Submit one customer response (METHOD.md §8)."""

    authentication_classes: list = []  # customers answer without an account

    @extend_schema(
        request=ResponseInSerializer,
        responses={
            201: ResponseOutSerializer,
            200: OpenApiResponse(ResponseOutSerializer, description="Already stored (same submission_id)."),
            400: OpenApiResponse(description="Errors by field."),
            404: OpenApiResponse(description="No such audit."),
        },
    )
    def post(self, request, slug: str) -> HttpResponse:
        audit = get_object_or_404(Audit, slug=slug)
        incoming = ResponseInSerializer(data=request.data)
        if not incoming.is_valid():
            return HttpResponse(incoming.errors, status=status.HTTP_400_BAD_REQUEST)
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
