"""A gate decision with criteria in a real browser, as the demo PMO: the checklist starts
from the project's latest assessment at that gate (FIN-OPEN's hold: 2 of 4 met, 1 waived),
a go past the unmet criterion without an override reason is refused with the message and
nothing is written, and with a reason it is recorded with its evidence.

With SLATE_SCREENSHOTS=<dir> it saves docs-style screenshots there
(14-gate-criteria.png, 14-gate-override-refused.png)."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from demo.seed import DEMO_PASSWORD
from portfolio.models import GateDecision
from projects.models import Project


def _shoot(page, name):
    folder = os.environ.get("SLATE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_gate_decision_with_criteria(live_server, browser_page, log_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = browser_page
    log_in("pmo", DEMO_PASSWORD)
    project = Project.objects.get(code="FIN-OPEN")
    decisions_before = GateDecision.objects.filter(project=project).count()

    pending = reverse("portfolio:pending-gates", args=["finance"])
    page.goto(f"{live_server.url}{pending}")
    assert "2 of 4 met" in page.inner_text(".gates-table")

    page.goto(f"{live_server.url}{reverse('portfolio:gate-decision', args=[project.pk])}")
    checklist = page.locator(".gate-criteria-check")
    assert checklist.locator("tbody tr").count() == 4
    checked = page.eval_on_selector_all(
        ".gate-criteria-check input[type=radio]:checked", "(inputs) => inputs.map(i => i.value)"
    )
    assert sorted(checked) == ["met", "met", "not_met", "waived"]
    page.check("input[name=outcome][value=go]")
    page.fill("#id_rationale", "Open banking is a regulatory must; go ahead.")
    _shoot(page, "14-gate-criteria.png")

    page.click("form.gate-form button[type=submit]")
    error = page.locator(".field-invalid .error").first
    assert "neither met nor waived" in error.inner_text()
    assert "Funding confirmed" in error.inner_text()
    assert GateDecision.objects.filter(project=project).count() == decisions_before
    _shoot(page, "14-gate-override-refused.png")

    page.fill("#id_override_reason", "The CFO committed the funds in writing; budget follows.")
    page.click("form.gate-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}{reverse('projects:detail', args=[project.pk])}")
    decision = GateDecision.objects.filter(project=project).latest("recorded_at")
    assert decision.outcome == "go" and decision.override_reason.startswith("The CFO")
    assert decision.assessments.filter(status="not_met").count() == 1
    assert page.console_errors == []
