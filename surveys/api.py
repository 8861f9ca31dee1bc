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
from rest_framework import generics, parsers, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.response import Response as HttpResponse
from rest_framework.views import APIView

from accounts.access import (
    HasRole,
    audit_fully_in_scope,
    audit_rights,
    audits_visible,
    has_role,
    is_admin,
    scope_unit_ids,
)
from gapaudit.security import rate_limited
from surveys.layout import Layout
from surveys.links import LinkInvalid, LinkRevoked, link_verify
from surveys.models import CODE_PATTERN, MAX_SCALE, MIN_SCALE, Audit, Instrument, Response, Unit
from surveys.selectors import audit_layout, audit_unit_ids, audits_with_counts
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


SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(data: Any) -> bool:
    """Whether a text (key or value) anywhere in parsed JSON holds half of a surrogate pair."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if SURROGATE.search(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, and a 400 (not a 500) for two things it lets through:
    JSON nested deeper than Python's parser can follow (RecursionError: `[[[[…]]]]` 100000
    levels deep), and a `\\ud800` escape without its pair, which is no character: echoed in an
    error message it broke the UTF-8 response, stored it would break the database's."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error - nested too deeply.")) from exc
        if has_lone_surrogate(data):
            raise ParseError(_("JSON parse error - a \\u escape in the range D800-DFFF without its pair "
                               "is not a character."))
        return data


ERRORS_BY_FIELD = OpenApiResponse(OpenApiTypes.OBJECT, description="Errors by field.")
NOT_FOUND = OpenApiResponse(description="No such audit (or not one within your scope).")
UNAUTHORIZED = OpenApiResponse(description="Not signed in.")
FORBIDDEN = OpenApiResponse(description="Your role does not allow this.")
SIGNED_IN = {401: UNAUTHORIZED, 403: FORBIDDEN}
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


class BooleanField(serializers.BooleanField):
    """true or false only: DRF would take 0, 1, "yes" or "off" for a boolean."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class IntegerField(serializers.IntegerField):
    """JSON numbers only: DRF would take "7" for 7 (and 7.0 stays 7, a whole number in JSON Schema too)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True,
        help_text="null for a top unit, or one whose parent is outside your scope.",
    )

    class Meta:
        model = Unit
        fields = ["code", "name", "parent"]

    def to_representation(self, instance: Unit) -> dict[str, Any]:
        data = super().to_representation(instance)
        unit_ids = self.context.get("unit_ids")
        if unit_ids is not None and instance.parent_id not in unit_ids:
            data["parent"] = None  # a unit outside the user's scope is not named
        return data


class AuditSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.SlugField: SlugTextField,
        models.BooleanField: BooleanField,
    }
    instrument = CodeRelatedField(queryset=Instrument.objects.all())
    units = CodeListField(child_relation=CodeRelatedField(queryset=Unit.objects.all()), allow_empty=False,
                          error_messages={"empty": "choose at least one unit"})
    scale = IntegerField(min_value=MIN_SCALE, max_value=MAX_SCALE, default=7)
    min_sample = IntegerField(min_value=1, max_value=100000, default=5)
    status = serializers.CharField(source="result_status", read_only=True)
    n_responses = serializers.IntegerField(
        read_only=True, default=0, allow_null=True,
        help_text="null when your scope covers only some units of the audit (the total counts them all).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self._user()
        scope = scope_unit_ids(user, "manager") if user is not None else None
        if scope is not None and "units" in self.fields:
            # A manager names units of their own scope only.
            child = self.fields["units"].child_relation
            child.queryset = Unit.objects.filter(pk__in=scope)
            child.error_messages["does_not_exist"] = 'no unit "{value}" within your scope'

    def _user(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)

    def to_representation(self, instance: Audit) -> dict[str, Any]:
        """Only the units and totals the user may see: the audit's units that meet their scopes,
        and the response count only when their scope covers the whole audit."""
        data = super().to_representation(instance)
        user = self._user()
        if user is None or is_admin(user):
            return data
        rights = self.context.get("rights", {}).get(instance.pk) or audit_rights(user, [instance])[instance.pk]
        data["units"] = [u.code for u in instance.units.all() if u.pk in rights.unit_ids]
        if not rights.manage:
            data["n_responses"] = None
        return data

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
    unit = TextField(min_length=1, max_length=32)
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


class AuditRightsMixin:
    """Audits the user reaches through any role; the user's rights on the listed ones go to the serializer."""

    rights: dict | None = None

    def get_queryset(self):
        return audits_visible(self.request.user, queryset=audits_with_counts().prefetch_related("units"))

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self.rights = audit_rights(self.request.user, page if page is not None else queryset)
        return page

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "rights": self.rights or {}}


@extend_schema_view(
    get=extend_schema(responses={200: AuditSerializer(many=True), 400: ERRORS_BY_FIELD, **SIGNED_IN}),
    post=extend_schema(responses={201: AuditSerializer, 400: ERRORS_BY_FIELD, **SIGNED_IN}),
)
class AuditListCreate(AuditRightsMixin, generics.ListCreateAPIView):
    """List the audits within your scope (with status and response counts), or create one
    (admins, and managers for units of their scope)."""

    serializer_class = AuditSerializer
    pagination_class = BoundedPagination
    parser_classes = [JSONParser]

    def get_permissions(self):
        roles = ("manager", "staff") if self.request.method in SAFE_METHODS else ("manager",)
        return [HasRole.of(*roles)()]

    def perform_create(self, serializer) -> None:
        serializer.save(actor=self.request.user)


@extend_schema_view(
    get=extend_schema(parameters=[SLUG], responses={200: AuditSerializer, 404: NOT_FOUND, **SIGNED_IN}),
    put=extend_schema(parameters=[SLUG], responses={200: AuditSerializer, 400: ERRORS_BY_FIELD, 404: NOT_FOUND,
                                                    **SIGNED_IN}),
    patch=extend_schema(parameters=[SLUG], responses={200: AuditSerializer, 400: ERRORS_BY_FIELD, 404: NOT_FOUND,
                                                      **SIGNED_IN}),
)
class AuditDetail(AuditRightsMixin, generics.RetrieveUpdateAPIView):
    """One audit within your scope; changes: admins, and managers of every unit of the audit."""

    serializer_class = AuditSerializer
    parser_classes = [JSONParser]
    lookup_field = "slug"
    permission_classes = [HasRole.of("manager", "staff")]

    def check_object_permissions(self, request, obj: Audit) -> None:
        super().check_object_permissions(request, obj)
        if request.method not in SAFE_METHODS and not audit_fully_in_scope(request.user, obj, "manager"):
            self.permission_denied(request, message=_(
                "Only an admin, or a manager of every unit of this audit, may change it."))

    def perform_update(self, serializer) -> None:
        serializer.save(actor=self.request.user)


@extend_schema_view(get=extend_schema(responses={200: UnitSerializer(many=True), 400: ERRORS_BY_FIELD, **SIGNED_IN}))
class UnitList(generics.ListAPIView):
    """The units within your scopes (every unit for admins)."""

    serializer_class = UnitSerializer
    pagination_class = BoundedPagination
    permission_classes = [HasRole.of("manager", "staff")]

    def get_queryset(self):
        units = Unit.objects.select_related("parent").order_by("code")
        ids = self.scope_ids()
        return units if ids is None else units.filter(pk__in=ids)

    def scope_ids(self) -> set[int] | None:
        user = self.request.user
        if is_admin(user):
            return None
        return (scope_unit_ids(user, "manager") or set()) | (scope_unit_ids(user, "staff") or set())

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "unit_ids": self.scope_ids()}


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
    per client network. Signed-in users (imports, scripts) need no token: admins for
    any unit, managers and staff for the units of their scopes.
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
            403: FORBIDDEN,
            404: NOT_FOUND,
            429: TOO_MANY,
        },
    )
    def post(self, request, slug: str) -> HttpResponse:
        user = request.user
        customer = not user.is_authenticated
        if customer and rate_limited(request, group="survey-api", rate=settings.SURVEY_RATE_LIMIT_API):
            return HttpResponse({"detail": _("Too many attempts from your network, please wait a minute.")},
                                status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": "60"})
        if not customer and not has_role(user, "manager", "staff"):
            return HttpResponse({"detail": _("Your role does not allow this.")}, status=status.HTTP_403_FORBIDDEN)
        audit = get_object_or_404(Audit.objects.all() if customer else audits_visible(user), slug=slug)
        incoming = ResponseInSerializer(data=request.data)
        incoming.is_valid()
        errors = dict(incoming.errors)
        if customer and "token" not in errors:  # a token that is not text is reported by the serializer
            raw = request.data if isinstance(request.data, dict) else {}
            message = token_error(token=raw.get("token"), audit=audit, unit_code=raw.get("unit"))
            if message:
                errors["token"] = [message]
        unit_code = request.data.get("unit") if isinstance(request.data, dict) else None
        if not customer and isinstance(unit_code, str) and "unit" not in errors \
                and not self.unit_allowed(user, audit, unit_code):
            errors["unit"] = [_("This unit is not in your scope.")]
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

    @staticmethod
    def unit_allowed(user: Any, audit: Audit, unit_code: str) -> bool:
        """Admins answer for any unit; managers and staff for the units of their scopes. A unit
        that is not in the audit passes here and gets the service's "unknown unit" error."""
        unit_id = audit_unit_ids(audit=audit).get(unit_code)
        if unit_id is None or is_admin(user):
            return True
        return any(unit_id in (scope_unit_ids(user, role) or set()) for role in ("manager", "staff"))
