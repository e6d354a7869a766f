"""The Content-Security-Policy in a real browser: Chromium reports no violation on the pages
with charts, and every chart is still drawn (its figure comes from a JSON block that
static/js/slate.js hands to Plotly, with no inline script)."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from demo.seed import DEMO_PASSWORD
from projects.models import Project

# Collects every violation the browser reports, before any page script runs.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.mark.django_db(transaction=True)
def test_no_csp_violation_and_every_chart_drawn(live_server, browser_page, log_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = browser_page
    page.add_init_script(RECORD_VIOLATIONS)
    log_in("pmo", DEMO_PASSWORD)

    project = Project.objects.get(code="FIN-CORE")
    paths = [
        reverse("portfolio:detail", args=["finance"]),
        reverse("projects:detail", args=[project.pk]),
        reverse("resources:capacity"),
    ]
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector(".js-plotly-plot .main-svg")
        page.wait_for_load_state("networkidle")
        charts = page.eval_on_selector_all("script[data-chart]", "(blocks) => blocks.length")
        drawn = page.eval_on_selector_all(
            ".plotly-graph-div",
            "(charts) => charts.filter((c) => c.querySelector('.main-svg')).length",
        )
        assert charts > 0 and drawn == charts, (path, charts, drawn)
        assert page.evaluate("window.__cspViolations") == [], path

    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
    assert page.console_errors == []
