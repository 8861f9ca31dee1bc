"""REST API for gap results and recomputes (METHOD.md §8): admins, and managers for the
audits and units of their scope (accounts.access.result_unit_for)."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied as ScopeDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import HasRole, audit_for_or_404, audits_for, result_unit_for
from analytics.selectors import UnitNotInAudit, audit_gaps, job_get
from analytics.services import audit_recompute_request
from surveys.api import NOT_FOUND, SIGNED_IN, SLUG
from surveys.models import CODE_PATTERN

# A unit code, or blank for the whole audit.
UNIT_PARAMETER = OpenApiParameter(
    "unit", str, description="Unit code (includes its descendants).", pattern=r"^[A-Za-z0-9_-]{0,32}$",
)

JobSerializer = inline_serializer(
    "ComputeJob",
    {
        "task_id": serializers.UUIDField(),
        "audit": serializers.CharField(),
        "status": serializers.ChoiceField(["queued", "running", "done", "failed"]),
        "created_at": serializers.DateTimeField(),
        "started_at": serializers.DateTimeField(allow_null=True),
        "finished_at": serializers.DateTimeField(allow_null=True),
        "error": serializers.CharField(allow_blank=True),
    },
)


def job_body(job) -> dict:
    return {
        "task_id": str(job.pk),
        "audit": job.audit.slug,
        "status": job.status,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "error": job.error,
    }


class AuditGaps(APIView):
    """The latest computed gaps of an audit, or of one unit and its descendants.

    A manager whose scope covers only some units of the audit asks with ?unit= (403
    without it, listing the codes they may ask for); a unit of the audit outside the
    scope is 404.
    """

    permission_classes = [HasRole.of("manager")]

    @extend_schema(
        parameters=[SLUG, UNIT_PARAMETER],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The METHOD.md §8 result."),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Unknown unit (errors by field)."),
            404: OpenApiResponse(description="No such audit, or an audit or unit outside your scope."),
            **SIGNED_IN,
        },
    )
    def get(self, request, slug: str) -> Response:
        audit = audit_for_or_404(request.user, slug, "manager")
        unit_code = request.query_params.get("unit") or None
        if unit_code is not None and not re.fullmatch(CODE_PATTERN, unit_code):
            # Not looked up: PostgreSQL rejects NUL bytes in text.
            return Response({"unit": ["not a unit code (1 to 32 letters, digits, '_' or '-')"]},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            unit_code = result_unit_for(request.user, audit, unit_code)
        except ScopeDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        try:
            body = audit_gaps(audit=audit, unit_code=unit_code)
        except UnitNotInAudit as exc:
            return Response({"unit": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(body)


class AuditRecompute(APIView):
    """Start a recompute; poll it at /api/tasks/{task_id}/."""

    permission_classes = [HasRole.of("manager")]

    @extend_schema(parameters=[SLUG], request=None, responses={202: JobSerializer, 404: NOT_FOUND, **SIGNED_IN})
    def post(self, request, slug: str) -> Response:
        audit = audit_for_or_404(request.user, slug, "manager")
        job = audit_recompute_request(audit=audit)
        return Response(job_body(job), status=status.HTTP_202_ACCEPTED)


class TaskDetail(APIView):
    """A recompute of an audit within your scope."""

    permission_classes = [HasRole.of("manager")]

    @extend_schema(responses={200: JobSerializer, 404: OpenApiResponse(description="No such task."), **SIGNED_IN})
    def get(self, request, task_id: str) -> Response:
        job = job_get(job_id=task_id)
        if job is None or not audits_for(request.user, "manager").filter(pk=job.audit_id).exists():
            return Response({"detail": "No such task."}, status=status.HTTP_404_NOT_FOUND)
        return Response(job_body(job))
