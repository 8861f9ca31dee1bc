from celery import shared_task

from analytics.services import audit_compute
from surveys.models import Audit


@shared_task(name="analytics.audit_compute")
def audit_compute_task(*, audit_id: int, job_id: str | None = None) -> None:
    """Recompute one audit's gaps; safe to run twice."""
    if Audit.objects.filter(pk=audit_id).exists():
        audit_compute(audit_id=audit_id, job_id=job_id)
