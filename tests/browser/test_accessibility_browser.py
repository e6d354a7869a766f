"""Accessibility and small screens, in a real browser: axe-core (the copy bundled with
axe-playwright-python, so nothing is fetched at test time) on every page type as every demo
role that may open it, at desktop width and at 375 px, with every chart's data table open.

It asserts no serious and no critical violation, and that no page scrolls sideways at 375 px
or 768 px (`document.documentElement.scrollWidth` within the viewport). Moderate and minor
findings are printed, per page, in the test output.

Page types are the crawl's (tests/test_crawl.py SAMPLES): for each role, the first sample
URL of each pattern whose object the role may see; pages that do not answer 200 HTML for
the role (POST-only addresses, pages the role may not open) are left out. One browser, one
context per role, logged in with a session cookie."""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from portfolio.models import Portfolio
from projects.models import Project
from reporting.models import PortfolioReview
from resources.selectors import role_capacity_grid
from tests.browser.conftest import CHROMIUM_ARGS
from tests.test_crawl import SAMPLES, USERS, World, _first_per_portfolio, _visible, _working_month

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
TABLET = {"width": 768, "height": 1000}
IMPACTS = ("critical", "serious", "moderate", "minor")
NOT_PAGES = {"projects:cost-template"}  # a CSV download
ROLES_TO_CHECK = [  # every demo role; SLATE_A11Y_ROLES="pmo viewer" narrows a local run
    role for role in USERS if role in os.environ.get("SLATE_A11Y_ROLES", " ".join(USERS)).split()
]

# Opens every chart's data table (a <details>, filled by static/js/slate.js when opened), so
# axe checks the tables too; resolves once every table is there.
OPEN_CHART_DATA = """
() => {
  const toggles = Array.from(document.querySelectorAll("details.chart-data"));
  toggles.forEach((toggle) => { toggle.open = true; });
  return new Promise((resolve) => {
    const started = Date.now();
    (function wait() {
      const done = toggles.every((toggle) => toggle.querySelector("table, .chart-data-empty"));
      if (done || Date.now() - started > 5000) { resolve(toggles.length); }
      else { setTimeout(wait, 25); }
    })();
  });
}
"""


def _world() -> World:
    today = timezone.localdate()
    grid = role_capacity_grid(first_month=today.replace(day=1), month_count=12)
    return World(
        portfolios=list(Portfolio.objects.order_by("code")),
        projects=_first_per_portfolio(
            Project.objects.select_related("portfolio").order_by("pk"), per=2
        ),
        reviews=list(
            PortfolioReview.objects.select_related("portfolio").order_by(
                "portfolio", "kind", "-period_start"
            )
        ),
        extra={"conflicts": [(row.key, f"{month:%Y-%m}") for row, month, _ in grid.conflicts]},
    )


# A page's own content (the top bar is checked on every page a role opens anyway), less its
# CSRF tokens: two roles whose copies of a page are alike here get the same findings.
MAIN = re.compile(r"<main\b.*</main>", re.S)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def page_types_for(user, client, world: World) -> dict[str, tuple[str, str]]:
    """Pattern name -> (URL, fingerprint): one URL of the pattern that `user` may open (the
    first sample whose object they may see, if it answers them 200 with an HTML page), and a
    fingerprint of its main content, so that a page another role gets alike is not checked
    twice."""
    chosen = {}
    for name, make in SAMPLES.items():
        if name in NOT_PAGES:
            continue
        url = next((s.url for s in make(world) if _visible(user, s.subject)), None)
        if url is None:
            continue
        response = client.get(url)
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            main = MAIN.search(response.content.decode())
            body = CSRF.sub("", main.group(0) if main else response.content.decode())
            chosen[name] = (url, hashlib.sha256(body.encode()).hexdigest())
    return chosen


@dataclass
class Findings:
    counts: dict = field(default_factory=dict)  # (role, width, page) -> Counter by impact
    failures: list[str] = field(default_factory=list)
    echo: object = None  # print(line) as each page is checked

    def add(self, key, violations: list[dict]) -> None:
        counter = Counter(dict.fromkeys(IMPACTS, 0))
        for violation in violations:
            counter[violation["impact"]] += len(violation["nodes"])
            if violation["impact"] in ("serious", "critical"):
                targets = [" ".join(map(str, n["target"])) for n in violation["nodes"][:3]]
                self.failures.append(
                    f"{' '.join(map(str, key))}: {violation['impact']} {violation['id']}"
                    f" ({len(violation['nodes'])}×, e.g. {targets})"
                )
        self.counts[key] = counter
        if self.echo:
            self.echo(self.line(key, violations))

    def line(self, key, violations) -> str:
        role, width, page = key
        numbers = " ".join(f"{self.counts[key][impact]:>3}" for impact in IMPACTS)
        rules = ",".join(sorted({v["id"] for v in violations}))
        return f"  {role:<18} {width:>4}px {page:<38} {numbers}  {rules}"

    def report(self) -> str:
        totals = sum(self.counts.values(), Counter())
        by_impact = ", ".join(f"{impact} {totals[impact]}" for impact in IMPACTS)
        return f"axe-core over {len(self.counts)} page views: {by_impact} (nodes)"


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


# Resolves once every Plotly chart has been redrawn to fit its box (Plotly's responsive
# config redraws on resize), or after 5 s.
CHARTS_FIT = """
() => new Promise((resolve) => {
  const started = Date.now();
  (function wait() {
    const fit = Array.from(document.querySelectorAll(".js-plotly-plot")).every((chart) => {
      const svg = chart.querySelector(".main-svg");
      return !svg || svg.getBoundingClientRect().width <= chart.getBoundingClientRect().width + 1;
    });
    if (fit || Date.now() - started > 5000) {
      // two more frames: slate.js relabels scrolling tables on the frame after a resize
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(fit)));
    } else { setTimeout(wait, 50); }
  })();
})
"""


def _narrow(page, viewport, role, name, findings) -> None:
    """The page resized to `viewport`: every chart redraws to fit, and nothing scrolls
    sideways."""
    page.set_viewport_size(viewport)
    if not page.evaluate(CHARTS_FIT):
        findings.failures.append(f"{role} {name}: a chart does not fit at {viewport['width']} px")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > viewport["width"]:
        findings.failures.append(
            f"{role} {name}: scrolls sideways at {viewport['width']} px ({width} px wide)"
        )


def _check_page(page, axe, url, role, name, findings) -> None:
    """axe at desktop width with every chart's data table open; then at 375 px, no sideways
    scroll and axe; then at 768 px, no sideways scroll."""
    page.set_viewport_size(DESKTOP)
    response = page.goto(url)
    assert response.status == 200, (role, url, response.status)
    page.evaluate(OPEN_CHART_DATA)
    findings.add((role, DESKTOP["width"], name), axe.run(page).response["violations"])
    _narrow(page, PHONE, role, name, findings)
    findings.add((role, PHONE["width"], name), axe.run(page).response["violations"])
    _narrow(page, TABLET, role, name, findings)


@pytest.mark.django_db(transaction=True)
def test_axe_and_no_sideways_scroll_on_every_page_type_for_every_role(
    live_server, chromium_path, capsys
):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    users = get_user_model().objects.in_bulk(USERS, field_name="username")
    _working_month(users["pmo"])
    world = _world()
    clients = {role: Client() for role in USERS}
    for role, client in clients.items():
        client.force_login(users[role])
    plans = {role: page_types_for(users[role], clients[role], world) for role in USERS}
    host = live_server.url.split("//", 1)[1].split(":")[0]

    axe = Axe()
    findings = Findings(echo=lambda line: print(line, flush=True))
    checked, alike = Counter(), Counter()
    seen: dict[str, str] = {}  # fingerprint -> the role whose copy of the page was checked
    with capsys.disabled(), sync_playwright() as playwright:
        print("\naxe-core findings per page (nodes): critical serious moderate minor  rules")
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=DESKTOP)
            page = _new_page(context)
            _check_page(page, axe, f"{live_server.url}/login/", "anonymous", "login", findings)
            context.close()
            for role in ROLES_TO_CHECK:
                context = browser.new_context(viewport=DESKTOP)
                session = clients[role].cookies["sessionid"].value
                context.add_cookies(
                    [{"name": "sessionid", "value": session, "domain": host, "path": "/"}]
                )
                page = _new_page(context)
                for name, (url, fingerprint) in plans[role].items():
                    if fingerprint in seen:  # alike another role's: the same findings
                        alike[role] += 1
                        continue
                    seen[fingerprint] = role
                    _check_page(page, axe, live_server.url + url, role, name, findings)
                    checked[role] += 1
                context.close()
        finally:
            browser.close()
        print(findings.report())
        print(f"page types checked per role: {dict(checked)}")
        print(f"page types alike another role's, not checked again: {dict(alike)}")

    assert all(checked[role] + alike[role] >= 5 for role in ROLES_TO_CHECK), (checked, alike)
    assert findings.failures == [], "\n".join(findings.failures)


def _new_page(context):
    page = context.new_page()
    page.set_default_timeout(20_000)
    # base.html declares no icon file; the browser's /favicon.ico request would be a 404.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    return page


def test_findings_fail_on_serious_and_critical_only():
    findings = Findings()
    node = {"target": ["#x"]}
    findings.add(
        ("pmo", 375, "portfolio:list"),
        [
            {"impact": "minor", "id": "a", "nodes": [node]},
            {"impact": "moderate", "id": "b", "nodes": [node, node]},
        ],
    )
    assert findings.failures == []
    serious = {"impact": "serious", "id": "color-contrast", "nodes": [node]}
    findings.add(("pmo", 375, "x"), [serious])
    assert findings.failures == ["pmo 375 x: serious color-contrast (1×, e.g. ['#x'])"]
    assert findings.counts[("pmo", 375, "portfolio:list")]["moderate"] == 2
