"""A project manager logs in and submits this period's status report in a real browser."""

from decimal import Decimal

import pytest
from django.utils import timezone

from projects.models import StatusReport
from projects.periods import period_containing
from tests.factories import PortfolioFactory, ProjectFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_manager_submits_the_current_report(live_server, browser_page, log_in):
    page = browser_page
    manager = UserFactory(username="browser-pm", first_name="Bea", last_name="Rowser")
    today = timezone.localdate()
    project = ProjectFactory(
        portfolio=PortfolioFactory(code="browser-pf"),
        manager=manager,
        code="WEB-1",
        start_date=today.replace(day=1, year=today.year - 1),
        end_date=today.replace(day=1, year=today.year + 1),
        baseline_start=today.replace(day=1, year=today.year - 1),
        baseline_end=today.replace(day=1, year=today.year + 1),
        budget=Decimal("200000"),
    )

    log_in("browser-pm", "pass-word-123")

    page.goto(f"{live_server.url}/projects/{project.pk}/reports/")
    period_start, _ = period_containing("monthly", today)
    page.wait_for_url(f"**/projects/{project.pk}/reports/{period_start.isoformat()}/")
    assert page.locator("h1").inner_text() == f"{period_start:%B %Y}"

    # Pills: the radio inputs are visually hidden, their labels are what people click.
    for field in ("overall", "scope", "quality", "risk"):
        page.click(f"label[for=id_{field}_rag_0]")
    page.click("label[for=id_schedule_rag_1]")  # amber
    page.click("label[for=id_budget_rag_0]")
    assert page.is_checked("#id_schedule_rag_1")
    page.fill("#id_percent_complete", "10")
    assert page.input_value("#id_forecast_cost") == ""  # given anew each period
    page.fill("#id_forecast_cost", "200000")  # required to submit
    page.fill("#id_summary", "Behind plan on integration; recovery plan agreed with the sponsor.")
    page.click("button[name=action][value=submit]")
    page.wait_for_load_state()

    # 10 % done about halfway through the plan: the page asks before submitting.
    warning = page.locator("#disagreement-warning")
    assert "disagrees with the figures" in warning.inner_text()
    assert not StatusReport.objects.filter(project=project).exists()
    assert page.input_value("#id_summary").startswith("Behind plan")  # input kept
    page.check("#id_confirm_disagreement")
    page.click("button[name=action][value=submit]")
    page.wait_for_load_state()

    message = page.locator(".message-success")
    assert message.inner_text() == f"Status report for {period_start:%B %Y} submitted."
    report = StatusReport.objects.get(project=project, period_start=period_start)
    assert report.state == "submitted"
    assert report.schedule_rag == "amber"
    assert report.percent_complete == Decimal("10")
    assert report.forecast_cost == Decimal("200000")
    assert report.submitted_by == manager
    assert page.locator("button[name=action]").count() == 0  # read-only now
    assert page.console_errors == []
