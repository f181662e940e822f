"""Steps several browser tests share."""

import pyotp
from django.conf import settings
from playwright.sync_api import Page

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.accounts.services import totp_device_create_confirmed
from careloop.memberships.models import Plan, Service
from careloop.memberships.services.catalog import (
    benefit_set,
    plan_create,
    plan_price_set,
    plan_update,
)
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_user
from careloop.web.tests.browser.totp_app import AuthenticatorApp

# The password careloop.testing.factories.make_user gives everyone.
PASSWORD = "correct horse battery staple"


def enter_password(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in_staff(page: Page, username: str, app: AuthenticatorApp) -> None:
    enter_password(page, username)
    page.get_by_role("heading", name="Enter your code").wait_for()
    page.get_by_label("Code").fill(app.code())
    page.get_by_role("button", name="Continue").click()


def staff_with_app(role: Role, username: str, first_name: str) -> AuthenticatorApp:
    """A staff member with a confirmed authenticator app, and that app."""
    user = make_user(role=role, username=username, first_name=first_name, last_name="Tester")
    app = AuthenticatorApp(pyotp.random_base32())
    totp_device_create_confirmed(user=user, secret=app.secret)
    return app


def a_plan_on_sale(
    admin: User, visit: Service, *, code: str, name: str, rank: int, amount: int, visits: int
) -> Plan:
    plan = plan_create(actor=admin, code=code, name=name, rank=rank)
    plan_price_set(
        actor=admin,
        plan=plan,
        interval="monthly",
        amount=amount,
        additional_adult_amount=amount // 2,
        child_amount=amount // 4,
    )
    benefit_set(actor=admin, plan=plan, service_id=visit.id, allowance=visits)
    return plan_update(actor=admin, plan=plan, status="active")


def sign_in_with_session(page: Page, user: User, *, base_url: str) -> None:
    """Give the browser a signed-in session (past the second factor) without the sign-in
    pages, for tests that stop Careloop's clock: an authenticator app's codes follow the real
    clock, so they would not match. Signing in itself is tested by its own browser tests."""
    client = signed_in_client(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
            }
        ]
    )
