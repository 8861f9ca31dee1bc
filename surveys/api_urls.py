from django.urls import path

from surveys import api

urlpatterns = [
    path("audits/", api.AuditListCreate.as_view(), name="api-audits"),
    path("audits/<slug:slug>/", api.AuditDetail.as_view(), name="api-audit"),
    path("audits/<slug:slug>/responses/", api.ResponseSubmit.as_view(), name="api-responses"),
    path("units/", api.UnitList.as_view(), name="api-units"),
]
