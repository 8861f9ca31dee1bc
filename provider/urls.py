from django.urls import path  # noqa: F401

from provider.views import beliefs, delivery, promises, standards

# Pages of the provider side (manager survey, standards, delivery evidence, promises).
urlpatterns: list = []

# Delivery evidence (gap 3): self-assessments, inspections, scorecard templates.
urlpatterns += [
    path("audits/<slug:slug>/self-assessment/", delivery.self_assessment, name="self-assessment"),
    path("audits/<slug:slug>/inspections/new/", delivery.inspection_new, name="inspection-new"),
    path("audits/<slug:slug>/inspections/<int:pk>/", delivery.inspection_detail, name="inspection-detail"),
    path("audits/<slug:slug>/evidence/", delivery.evidence_list, name="delivery-evidence"),
    path("scorecards/", delivery.scorecard_list, name="scorecard-list"),
]

# Manager beliefs (gap 1), quality standards (gap 2) and the promise register (gap 4).
urlpatterns += [
    path("audits/<slug:slug>/manager-survey/", beliefs.manager_survey, name="manager-survey"),
    path("audits/<slug:slug>/beliefs/", beliefs.beliefs, name="audit-beliefs"),
    path("audits/<slug:slug>/standards/", standards.standards, name="audit-standards"),
    path("audits/<slug:slug>/standards/<int:pk>/edit/", standards.standard_edit, name="standard-edit"),
    path("audits/<slug:slug>/standards/<int:pk>/delete/", standards.standard_delete_view, name="standard-delete"),
    path("audits/<slug:slug>/promises/", promises.promises, name="audit-promises"),
    path("audits/<slug:slug>/promises/<int:pk>/edit/", promises.promise_edit, name="promise-edit"),
    path("audits/<slug:slug>/promises/<int:pk>/delete/", promises.promise_delete_view, name="promise-delete"),
]
