"""Steps several browser tests share."""

from playwright.sync_api import Page

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
