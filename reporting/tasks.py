"""Celery tasks of the review cadence. They only call services; retries with backoff, and
`acks_late` + `reject_on_worker_lost` (settings) redeliver a task whose worker died. The digest
delivery task sits beside the code it runs, in `reporting.digests`, because the review service
queues it: defining it here would make services and tasks import each other."""

import logging

from celery import shared_task
from django.utils import timezone

from portfolio.models import Portfolio
from reporting import reminders, review_runs, services

logger = logging.getLogger(__name__)
# Registered with the worker through this module (autodiscovery imports `reporting.tasks`).
run_requested_review = review_runs.run_requested_review


@shared_task(
    name="reporting.run_review",
    bind=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=5,
)
def run_review(self, portfolio_code: str, kind: str, period: str) -> int:
    portfolio = Portfolio.objects.get(code=portfolio_code)
    try:
        return services.run_review(portfolio=portfolio, kind=kind, period=period).pk
    except Exception as error:
        logger.exception(
            "review failed portfolio=%s kind=%s period=%s attempt=%d",
            portfolio_code, kind, period, self.request.retries + 1,
        )  # fmt: skip
        services.record_review_failure(
            portfolio=portfolio, kind=kind, period=period, error=repr(error)
        )
        raise


@shared_task(name="reporting.schedule_reviews")
def schedule_reviews(kind: str) -> list[str]:
    """Beat's entry point: queue the review of `kind` for every portfolio that is due.
    Running it twice queues duplicates that `run_review` turns into one review each."""
    return [
        run_review.delay(code, kind, period).id
        for code, period in services.due_reviews(kind=kind, today=timezone.localdate())
    ]


@shared_task(name="reporting.send_report_reminders")
def send_report_reminders() -> int:
    """Beat's daily entry point: remind project managers of reports due soon or overdue.
    A duplicate tick sends nothing twice (`reporting.reminders`)."""
    return reminders.send_report_reminders(today=timezone.localdate())


@shared_task(name="reporting.send_missing_report_lists")
def send_missing_report_lists() -> int:
    """Beat's weekly entry point: each portfolio's missing status reports to its PMO."""
    return reminders.send_missing_report_lists(today=timezone.localdate())
