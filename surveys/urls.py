from django.urls import path, re_path

from surveys.views import audits, exchange, instruments, survey

urlpatterns = [
    path("", audits.audit_list, name="home"),
    path("audits/", audits.audit_list, name="audit-list"),
    path("audits/new/", audits.audit_create_view, name="audit-create"),
    path("audits/<slug:slug>/edit/", audits.audit_edit_view, name="audit-edit"),
    path("audits/<slug:slug>/links/", audits.audit_links, name="audit-links"),
    path("audits/<slug:slug>/import/", exchange.audit_import, name="audit-import"),
    re_path(r"^audits/(?P<slug>[-a-zA-Z0-9_]+)/export\.(?P<fmt>csv|xlsx)$", exchange.audit_export,
            name="audit-export"),
    path("instruments/", instruments.instrument_list, name="instrument-list"),
    re_path(r"^instruments/(?P<code>[A-Za-z0-9_-]{1,32})\.json$", instruments.instrument_download,
            name="instrument-download"),
    path("audits/<slug:slug>/links/<str:unit_code>/revoke/", audits.audit_link_revoke, name="audit-link-revoke"),
    path("audits/<slug:slug>/links/<str:unit_code>/reissue/", audits.audit_link_reissue, name="audit-link-reissue"),
    re_path(r"^audits/(?P<slug>[-a-zA-Z0-9_]+)/links/(?P<unit_code>[A-Za-z0-9_-]{1,32})/qr\.(?P<fmt>png|svg)$",
            audits.audit_link_qr, name="audit-link-qr"),
    # The public survey opens only through a signed link (surveys.links).
    path("s/<str:token>/", survey.survey, name="survey"),
    path("s/<str:token>/thanks/", survey.survey_thanks, name="survey-thanks"),
    # Anything else under /s/ (such as the unsigned /s/<audit>/<unit>/ links of old) is not a valid link.
    path("s/<path:rest>", survey.survey_link_unknown, name="survey-unknown"),
]
