from django.urls import path

from analytics import views

urlpatterns = [
    path("audits/<slug:slug>/dashboard/", views.audit_dashboard, name="audit-dashboard"),
]
