"""Reviews on demand: the PMO asks for a review of a portfolio, kind and period in the
browser; a `ReviewRun` records the request and a Celery worker runs the one review service
(`services.run_review`), so a review asked for twice, or also run by beat, is still one
`PortfolioReview`. The task sits here, beside the service that queues it (as the digest task
sits in `reporting.digests`)."""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import access
from core.bounds import in_window, outside_window_message
from portfolio.models import Portfolio
from reporting import reviews, services
from reporting.models import (
    ACTIVE_RUN_STATUSES,
    PortfolioReview,
    ReviewKind,
    ReviewRun,
    ReviewRunStatus,
    ReviewStatus,
)

logger = logging.getLogger(__name__)


def requested_period(*, portfolio: Portfolio, kind: str, period: str, today: date):
    """(start, end) of the review period `period` names ("2026-10", "2026-Q3", "2026"), or a
    ValidationError on the field at fault: an unknown kind, an unreadable period, one outside
    Slate's date window or one that has not started yet."""
    if kind not in ReviewKind.values:
        raise ValidationError({"kind": f"Unknown kind of review: {kind!r}."})
    try:
        start, end = reviews.review_period(portfolio, kind, period)
    except (ValueError, OverflowError, TypeError):
        raise ValidationError(
            {"period": "Give the period as 2026-10 (a month), 2026-Q3 (a quarter) or 2026 "
                       "(the fiscal year starting in 2026)."}
        ) from None  # fmt: skip
    for day in (start, end):
        if not in_window(day):
            raise ValidationError({"period": outside_window_message(day)})
    if start > today:
        raise ValidationError({"period": "That period has not started yet."})
    return start, end


def review_run_request(*, portfolio: Portfolio, kind: str, period: str, by) -> ReviewRun:
    """Queue the review of `portfolio` of `kind` for `period`, or return the run already
    pending or running for it (one active run per period: a database constraint). The task
    is queued once the request commits."""
    access.require(
        access.can_run_reviews(by, portfolio), "Only the portfolio's PMO may run its reviews."
    )
    start, end = requested_period(
        portfolio=portfolio, kind=kind, period=period, today=timezone.localdate()
    )
    active = {"portfolio": portfolio, "kind": kind, "period_start": start,
              "status__in": ACTIVE_RUN_STATUSES}  # fmt: skip
    with transaction.atomic():
        existing = ReviewRun.objects.filter(**active).first()
        if existing is not None:
            return existing
        stored = PortfolioReview.objects.filter(
            portfolio=portfolio, kind=kind, period_start=start, status=ReviewStatus.COMPLETE
        ).first()
        if stored is not None:
            # The review service would hand back this review untouched: no worker is needed,
            # and the PMO sees it done at once rather than a run waiting in the queue.
            now = timezone.now()
            return ReviewRun.objects.create(
                portfolio=portfolio, kind=kind, period_start=start, period_end=end,
                requested_by=by, status=ReviewRunStatus.DONE, review=stored,
                started_at=now, finished_at=now,
            )  # fmt: skip
        try:
            with transaction.atomic():
                run = ReviewRun.objects.create(
                    portfolio=portfolio, kind=kind, period_start=start, period_end=end,
                    requested_by=by,
                )  # fmt: skip
        except IntegrityError:  # a simultaneous request queued it first
            return ReviewRun.objects.get(**active)
        transaction.on_commit(lambda: run_requested_review.delay(run.pk))
    return run


def review_run_execute(*, run_id: int) -> int | None:
    """Run a queued request: mark it running (committed, so the status page shows it), run
    the review, then mark it done with the review, or failed with the error. A run already
    done or failed is left alone; a running one (its worker died) runs again, and the review
    service makes that harmless. Returns the review's id."""
    with transaction.atomic():
        run = (
            ReviewRun.objects.select_for_update()
            .select_related("portfolio")
            .filter(pk=run_id, status__in=ACTIVE_RUN_STATUSES)
            .first()
        )
        if run is None:
            return None
        run.status = ReviewRunStatus.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at"])
    try:
        review = services.run_review(
            portfolio=run.portfolio, kind=run.kind, period=run.period_start
        )
    except Exception as error:  # noqa: BLE001 - shown on the status page; the PMO reruns
        logger.exception("review run %s failed", run.pk)
        services.record_review_failure(
            portfolio=run.portfolio, kind=run.kind, period=run.period_start, error=repr(error)
        )
        ReviewRun.objects.filter(pk=run.pk).update(
            status=ReviewRunStatus.FAILED, error=repr(error)[:2000], finished_at=timezone.now()
        )
        return None
    ReviewRun.objects.filter(pk=run.pk).update(
        status=ReviewRunStatus.DONE, review=review, error="", finished_at=timezone.now()
    )
    return review.pk


@shared_task(name="reporting.run_requested_review")
def run_requested_review(run_id: int) -> int | None:
    """Celery entry point, queued by `review_run_request`."""
    return review_run_execute(run_id=run_id)
