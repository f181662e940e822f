"""Writes for sign-in, second factors, recovery codes, passwords, API tokens and staff."""

from careloop.accounts.services.passwords import password_reset_request, user_password_set
from careloop.accounts.services.recovery_codes import (
    recovery_code_redeem,
    recovery_codes_regenerate,
    recovery_codes_replace,
)
from careloop.accounts.services.sign_in import (
    sign_in_check_password,
    sign_in_check_second_factor,
    sign_out_record,
)
from careloop.accounts.services.staff import (
    set_password_link_parts,
    staff_create,
    staff_create_first_admin,
    staff_deactivate,
    staff_invitation_send,
    staff_mfa_reset,
    staff_reactivate,
    staff_update_details,
    staff_update_role,
)
from careloop.accounts.services.throttle import sign_in_failure_record, sign_in_throttle_clear
from careloop.accounts.services.tokens import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)
from careloop.accounts.services.totp import (
    totp_device_accept_code,
    totp_device_confirm,
    totp_device_create_confirmed,
    totp_device_remove,
    totp_device_start_enrolment,
)

__all__ = [
    "api_token_authenticate",
    "api_token_create",
    "api_token_revoke",
    "password_reset_request",
    "recovery_code_redeem",
    "recovery_codes_regenerate",
    "recovery_codes_replace",
    "set_password_link_parts",
    "sign_in_check_password",
    "sign_in_check_second_factor",
    "sign_in_failure_record",
    "sign_in_throttle_clear",
    "sign_out_record",
    "staff_create",
    "staff_create_first_admin",
    "staff_deactivate",
    "staff_invitation_send",
    "staff_mfa_reset",
    "staff_reactivate",
    "staff_update_details",
    "staff_update_role",
    "totp_device_accept_code",
    "totp_device_confirm",
    "totp_device_create_confirmed",
    "totp_device_remove",
    "totp_device_start_enrolment",
    "user_password_set",
]
