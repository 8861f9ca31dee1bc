from django.urls import path  # noqa: F401

from provider import api, api_delivery

# API of the provider side (METHOD.md §6 inputs).
urlpatterns: list = []

# Delivery evidence (gap 3): scorecard templates, self-assessments, inspections.
urlpatterns += [
    path("scorecard-templates/", api_delivery.ScorecardTemplateListCreate.as_view(), name="api-scorecard-templates"),
    path("scorecard-templates/<slug:code>/", api_delivery.ScorecardTemplateDetail.as_view(),
         name="api-scorecard-template"),
    path("audits/<slug:slug>/self-assessments/", api_delivery.SelfAssessmentListCreate.as_view(),
         name="api-self-assessments"),
    path("audits/<slug:slug>/inspections/", api_delivery.InspectionListCreate.as_view(), name="api-inspections"),
]

# Manager answers (gap 1), quality standards (gap 2) and promises (gap 4).
urlpatterns += [
    path("audits/<slug:slug>/manager-answers/", api.ManagerAnswerSetList.as_view(), name="api-manager-answers"),
    path("audits/<slug:slug>/manager-answers/mine/", api.ManagerAnswerSetMine.as_view(),
         name="api-manager-answers-mine"),
    path("audits/<slug:slug>/standards/", api.StandardListCreate.as_view(), name="api-standards"),
    path("audits/<slug:slug>/standards/<int:pk>/", api.StandardDetail.as_view(), name="api-standard"),
    path("audits/<slug:slug>/promises/", api.PromiseListCreate.as_view(), name="api-promises"),
    path("audits/<slug:slug>/promises/<int:pk>/", api.PromiseDetail.as_view(), name="api-promise"),
]
