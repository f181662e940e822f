"""Playwright driving Debian's headless Chromium against pytest-django's live server.

Run with `make test-browser`; `make test` leaves these tests out. Never `playwright install`:
the browser is the system's /usr/bin/chromium.
"""

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from pytest_django.live_server_helper import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).parent
FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Marked here, before `-m` selects, so a new test in this folder cannot slip into
    # `make test`, which runs in parallel workers without a browser.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    if report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)"
        )
    with pytest.MonkeyPatch.context() as environment:
        # The sync API runs an event loop in the test thread, so Django would refuse the ORM
        # calls the tests make to build data ("SynchronousOnlyOperation"); the loop never runs
        # our code concurrently, so allowing it is safe here.
        environment.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as driver:
            yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A page in a fresh browser context; a full-page screenshot is kept after the test."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}, locale="en-US"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    yield page
    failed = request.node.stash.get(FAILED, False)
    folder = request.config.rootpath / "test-artifacts" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    name = request.node.name
    # Drop the other outcome's picture from an earlier run so the folder tells the truth.
    (folder / f"{name}{'' if failed else '-failed'}.png").unlink(missing_ok=True)
    page.screenshot(path=folder / f"{name}{'-failed' if failed else ''}.png", full_page=True)
    context.close()
    assert not script_errors, f"JavaScript errors on the page: {script_errors}"
