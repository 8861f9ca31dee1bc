from django.urls import path

from analytics import views

urlpatterns = [
    path("audits/<slug:slug>/dashboard/", views.audit_dashboard, name="audit-dashboard"),
    path("audits/<slug:slug>/gaps/", views.audit_five_gaps, name="audit-five-gaps"),
    path("audits/<slug:slug>/gaps/<int:n>/", views.audit_gap_detail, name="audit-gap-detail"),
]
