"""Browser tests: Playwright (sync API) driving the system Chromium against `live_server`.

Playwright's sync API runs an asyncio event loop in the test thread, and Django refuses ORM
calls from a thread with a running loop (SynchronousOnlyOperation). The ORM calls here are
plain synchronous ones made between browser steps, so the guard is switched off for this
package's tests."""

import os

import pytest
from django.db import connections

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium_path():
    if not os.path.exists(CHROMIUM):
        message = f"Browser tests need Chromium at {CHROMIUM}."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def log_in(live_server, browser_page):
    """log_in(username, password): through the login form, waiting for the user's landing
    page (My work, or the overview for executives and viewers)."""

    def submit(username: str, password: str) -> None:
        browser_page.goto(f"{live_server.url}/login/")
        browser_page.fill("#id_username", username)
        browser_page.fill("#id_password", password)
        browser_page.click("button[type=submit]")
        browser_page.wait_for_url(
            lambda url: url in (f"{live_server.url}/", f"{live_server.url}/my-work/")
        )

    return submit


@pytest.fixture
def browser_page(chromium_path):
    """A fresh page, and the console errors it logs (a test asserts there are none)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            # base.html declares no icon, so the browser asks for /favicon.ico, a 404 that
            # would read as a console error of the page under test.
            page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
            page.console_errors = []
            page.on(
                "console",
                lambda message: (
                    page.console_errors.append(f"{message.text} ({message.location.get('url')})")
                    if message.type == "error"
                    else None
                ),
            )
            page.on("pageerror", lambda error: page.console_errors.append(str(error)))
            yield page
        finally:
            browser.close()
            # ORM calls made while Playwright runs use connections of their own context
            # (asgiref locals follow contextvars); close them so the test database can be
            # dropped at the end of the session.
            connections.close_all()
