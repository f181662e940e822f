from django.urls import path

from careloop.web.accounts.views import passwords, security, sign_in

app_name = "accounts"
urlpatterns = [
    path("login/", sign_in.login, name="login"),
    path("logout/", sign_in.logout, name="logout"),
    path("mfa/", sign_in.mfa_verify, name="mfa_verify"),
    path("mfa/enroll/", sign_in.mfa_enroll, name="mfa_enroll"),
    path("security/", security.security, name="security"),
    path("security/password/", security.password_change, name="password_change"),
    path("security/recovery-codes/", security.recovery_codes, name="recovery_codes"),
    path("security/tokens/", security.token_create, name="token_create"),
    path("security/tokens/<int:token_id>/revoke/", security.token_revoke, name="token_revoke"),
    path("password-reset/", passwords.password_reset, name="password_reset"),
    path("password-reset/sent/", passwords.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        passwords.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        passwords.password_reset_complete,
        name="password_reset_complete",
    ),
]
