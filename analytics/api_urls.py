from django.urls import path

from analytics import api

urlpatterns = [
    path("audits/<slug:slug>/gaps/", api.AuditGaps.as_view(), name="api-gaps"),
    path("audits/<slug:slug>/recompute/", api.AuditRecompute.as_view(), name="api-recompute"),
    path("tasks/<uuid:task_id>/", api.TaskDetail.as_view(), name="api-task"),
]
