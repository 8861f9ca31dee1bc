from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

urlpatterns = [
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("accounts/password-reset/sent/", views.PasswordResetSentView.as_view(), name="password-reset-sent"),
    path("accounts/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password-reset-confirm"),
    path("accounts/reset/done/", views.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
    path("accounts/invite/<uidb64>/<token>/", views.InvitationAcceptView.as_view(), name="invitation-accept"),
    path("account/", views.account_settings, name="account-settings"),
    path("account/password/", views.account_password, name="account-password"),
    path("account/tokens/", views.account_token_create, name="account-token-create"),
    path("account/tokens/<int:pk>/revoke/", views.account_token_revoke, name="account-token-revoke"),
    path("people/", views.people, name="people"),
    path("people/invite/", views.people_invite, name="people-invite"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/roles/", views.person_role_add, name="person-role-add"),
    path("people/<int:pk>/roles/<int:role_pk>/remove/", views.person_role_remove, name="person-role-remove"),
    path("people/<int:pk>/active/", views.person_set_active, name="person-set-active"),
    path("people/<int:pk>/invitation/", views.person_invitation_resend, name="person-invitation-resend"),
    path("audit-log/", views.audit_log, name="audit-log"),
]
