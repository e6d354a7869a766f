"""Swagger UI and Redoc in a real browser: each draws the API's operations from Slate's own
files, asks nothing of any other site and breaks no rule of the Content-Security-Policy. And
the Access tokens page: a token made in the browser is shown once, then only its prefix.

With SLATE_SCREENSHOTS=<dir> it saves docs-style screenshots there (16-tokens.png,
16-api-docs.png)."""

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import reverse

from tests.browser.test_csp_browser import RECORD_VIOLATIONS
from tests.factories import MembershipFactory, ProjectFactory, UserFactory


def _shoot(page, name):
    folder = os.environ.get("SLATE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def _logged_in(page, live_server, user):
    """The browser carries a session of `user` (no login form: the readers are the subject)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def _outside_requests(page, live_server):
    """Every request the page makes to anywhere but Slate, refused before it leaves."""
    own = urlparse(live_server.url).netloc
    outside = []

    def check(route):
        url = urlparse(route.request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.netloc != own:
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.route("**/*", check)
    return outside


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_and_redoc_draw_the_api_from_slates_own_files(live_server, browser_page):
    page = browser_page
    page.add_init_script(RECORD_VIOLATIONS)
    outside = _outside_requests(page, live_server)
    membership = MembershipFactory(role="viewer", user=UserFactory(first_name="Ada"))
    ProjectFactory(portfolio=membership.portfolio)
    _logged_in(page, live_server, membership.user)

    page.goto(f"{live_server.url}{reverse('api:docs')}")
    page.wait_for_selector(".swagger-ui .opblock-summary-path")
    paths = page.eval_on_selector_all(
        ".opblock-summary-path", "(rows) => rows.map((row) => row.textContent.trim())"
    )
    assert "/api/projects/" in paths and "/api/risks/" in paths
    assert page.is_visible(".swagger-ui .btn.authorize")  # takes an access token
    page.wait_for_load_state("networkidle")
    _shoot(page, "16-api-docs.png")
    assert page.evaluate("window.__cspViolations") == []

    page.goto(f"{live_server.url}{reverse('api:redoc')}")
    page.wait_for_selector(".redoc-wrap .api-content h1")
    assert "Slate API" in page.inner_text(".redoc-wrap .api-content h1")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__cspViolations") == []

    assert outside == []
    assert page.console_errors == []


@pytest.mark.django_db(transaction=True)
def test_a_token_made_in_the_browser_is_shown_once(live_server, browser_page):
    page = browser_page
    page.add_init_script(RECORD_VIOLATIONS)
    user = UserFactory(first_name="Ada", last_name="Lovelace")
    _logged_in(page, live_server, user)

    page.goto(f"{live_server.url}{reverse('reporting:my-work')}")
    page.click(".usermenu >> text=Access tokens")
    page.fill("#id_name", "Power BI sync")
    page.check("input[name=scope][value=read]")
    page.click("button:has-text('Create token')")
    page.wait_for_selector("#new-token")
    token = page.input_value("#new-token")
    assert token.startswith("slate_")
    page.fill("#id_name", "Nightly export")
    page.check("input[name=scope][value=read_write]")
    page.click("button:has-text('Create token')")
    page.wait_for_selector("#new-token")
    _shoot(page, "16-tokens.png")

    page.goto(f"{live_server.url}{reverse('access_tokens:list')}")
    assert page.locator("#new-token").count() == 0
    listed = page.inner_text("table.data")
    assert "Power BI sync" in listed and "Nightly export" in listed
    assert token not in page.content()
    assert token.split("_")[1] in listed  # the prefix tells the tokens apart
    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []
