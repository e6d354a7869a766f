"""The PMO runs a review from the browser: the form, the status page following the run
(slate.js asks every 2 s and reloads when the status changed) from pending through running to
done, then the review; asking again shows the stored review done at once. A click on a trend
point opens its review and one on a project's reported % opens the project as of that report.
Screenshots of the flow go to docs/screenshots/14-run-review-*.png."""

from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.seed import DEMO_PASSWORD
from reporting import review_runs
from reporting.models import ReviewRun

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"14-run-review-{name}.png"), full_page=True)


def _click_mark(page, selector: str) -> None:
    mark = page.locator(selector).first
    mark.scroll_into_view_if_needed()
    box = mark.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


@pytest.mark.django_db(transaction=True)
def test_the_pmo_runs_a_review_and_follows_it_to_done(live_server, browser_page, log_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = browser_page
    log_in("pmo", DEMO_PASSWORD)

    page.goto(f"{live_server.url}/portfolios/finance/reviews/")
    page.click("text=Run a review now")
    page.wait_for_url("**/portfolios/finance/reviews/run/")
    page.select_option("#id_kind", "quarterly")
    quarter = timezone.localdate()  # under way: the demo has reviewed only past quarters
    page.fill("#id_period", f"{quarter.year}-Q{(quarter.month - 1) // 3 + 1}")
    _shot(page, "1-form")

    # No worker takes it yet: the run waits, pending, and its page keeps reloading.
    with mock.patch.object(review_runs.run_requested_review, "delay"):
        page.click("button:has-text('Run review')")
        page.wait_for_url("**/reviews/runs/*/")
    assert "Pending" in page.locator("#run-status").inner_text()
    _shot(page, "2-pending")
    run = ReviewRun.objects.get(status="pending", kind="quarterly")

    # A worker takes it: the page shows it running at its next reload...
    ReviewRun.objects.filter(pk=run.pk).update(status="running", started_at=timezone.now())
    page.wait_for_selector("#run-status[data-status='running']", timeout=10_000)
    _shot(page, "3-running")
    # ...and done, with the link to the review, without anyone reloading it.
    ReviewRun.objects.filter(pk=run.pk).update(status="pending")
    review_runs.review_run_execute(run_id=run.pk)
    page.wait_for_selector("#run-status[data-status='done']", timeout=10_000)
    _shot(page, "4-done")
    page.click("text=Open the review")
    page.wait_for_url("**/reviews/*/")
    assert "quarterly" in page.locator(".eyebrow").first.inner_text().lower()
    _shot(page, "5-review")

    # Asked again: the same one review.
    page.goto(f"{live_server.url}/portfolios/finance/reviews/run/")
    page.select_option("#id_kind", "quarterly")
    page.fill("#id_period", f"{quarter.year}-Q{(quarter.month - 1) // 3 + 1}")
    page.click("button:has-text('Run review')")
    page.wait_for_selector("#run-status[data-status='done']")
    run.refresh_from_db()
    assert run.review_id
    assert set(ReviewRun.objects.values_list("review", flat=True)) == {run.review_id}
    assert page.console_errors == []


@pytest.mark.django_db(transaction=True)
def test_trend_points_and_report_points_drill_down(live_server, browser_page, log_in):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = browser_page
    log_in("executive", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/portfolios/finance/")
    page.wait_for_selector("#chart-trend-indices .point")
    _click_mark(page, "#chart-trend-indices .point")
    page.wait_for_url("**/reviews/*/")

    page.goto(f"{live_server.url}/portfolios/finance/")
    page.click(".projects-table tbody tr a >> nth=0")
    page.wait_for_url("**/projects/*/")
    page.wait_for_selector("#chart-percent-complete .point")
    _click_mark(page, "#chart-percent-complete .scatterlayer .trace:nth-child(2) .point")
    page.wait_for_url("**/projects/*/?as_of=*")
    assert "Shown as of" in page.locator("#as-of-note").inner_text()
    assert page.console_errors == []
