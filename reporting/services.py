"""Review runs (docs/formulas.md, "Review cadence and periods"): one PortfolioReview per
(portfolio, kind, period) and one ProjectSnapshot per project, whatever how often or how
concurrently it is asked for."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from contextlib import suppress
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core import access, events
from core.months import add_months
from portfolio.models import Portfolio
from reporting import digests, kpis, reviews
from reporting.models import (
    DigestSubscription,
    PortfolioReview,
    ProjectSnapshot,
    ReviewKind,
    ReviewStatus,
)

logger = logging.getLogger(__name__)


def _claim(portfolio: Portfolio, kind: str, start: date, end: date) -> PortfolioReview:
    """The review row for the period, created if needed, locked for this transaction.

    A concurrent run blocks on the unique index or the row lock until the first one commits,
    then finds the review complete."""
    try:
        with transaction.atomic():
            review, _ = PortfolioReview.objects.get_or_create(
                portfolio=portfolio, kind=kind, period_start=start,
                defaults={"period_end": end, "status": ReviewStatus.RUNNING},
            )  # fmt: skip
    except IntegrityError:  # lost the race to create it: the winner's row exists now
        pass
    return PortfolioReview.objects.select_for_update().get(
        portfolio=portfolio, kind=kind, period_start=start
    )


def run_review(*, portfolio: Portfolio, kind: str, period: str | date) -> PortfolioReview:
    """Run (or return) the review of `portfolio` of `kind` for `period`.

    Everything is one transaction: a run killed half-way leaves nothing behind and the retry
    starts clean; a completed review is returned as it is. Digests go out after commit."""
    start, end = reviews.review_period(portfolio, kind, period)
    started = time.monotonic()
    with transaction.atomic():
        review = _claim(portfolio, kind, start, end)
        if review.status == ReviewStatus.COMPLETE:
            return review
        # As of the period's end; an annual plan runs at the start of its year, so as of today.
        # The whole portfolio (user=None): a review is its record, whoever reads it.
        as_of = min(end, timezone.localdate())
        ProjectSnapshot.objects.filter(review=review).delete()
        if kpis.in_sql():  # the statement computing the KPIs stores the snapshots too
            total = kpis.portfolio_kpis_saving_snapshots(
                portfolio=portfolio, as_of=as_of, review_id=review.pk
            )
        else:
            total = kpis.portfolio_kpis(portfolio=portfolio, user=None, as_of=as_of)
            save_snapshots(review=review, rows=total.projects)
        rows = list(total.projects)
        review.kpis = reviews.rollup_as_json(total)
        previous = reviews.previous_review(review)
        review.findings = {
            "changes": reviews.kpi_changes(review.kpis, previous.kpis if previous else None),
            "previous_review_id": previous.pk if previous else None,
            **reviews.FINDINGS[kind](portfolio=portfolio, rows=rows, start=start, end=end),
        }
        review.status = ReviewStatus.COMPLETE
        review.error = ""
        review.finished_at = timezone.now()
        review.save()
        transaction.on_commit(lambda: digests.deliver_review_digests.delay(review.pk))
        events.publish(
            events.REVIEW_COMPLETED,
            {
                "review": {
                    "id": review.pk,
                    "kind": kind,
                    "period": reviews.period_label(kind, start),
                    "period_start": start,
                    "period_end": end,
                    "finished_at": review.finished_at,
                    "url": events.link(reverse("reporting:review", args=[review.pk])),
                },
                "kpis": review.kpis,
            },
            portfolio_id=portfolio.pk,
        )
    logger.info(
        "review complete portfolio=%s kind=%s period=%s projects=%d seconds=%.2f",
        portfolio.code, kind, start, len(rows), time.monotonic() - started,
    )  # fmt: skip
    return review


def save_snapshots(*, review: PortfolioReview, rows: Iterable[kpis.ProjectKpis]) -> None:
    """Store `rows` as the review's snapshots, their values computed in Python: the SQLite
    path, and the reference the PostgreSQL statement is tested against
    (tests/reporting/test_reviews.py)."""
    ProjectSnapshot.objects.bulk_create(
        [ProjectSnapshot(review=review, **reviews.snapshot_values(row)) for row in rows],
        batch_size=2000,
    )


def record_review_failure(
    *, portfolio: Portfolio, kind: str, period: str | date, error: str
) -> None:
    """Keep the failure visible on the PMO's review-runs page (the run itself rolled back)."""
    start, end = reviews.review_period(portfolio, kind, period)
    PortfolioReview.objects.filter(portfolio=portfolio, kind=kind, period_start=start).exclude(
        status=ReviewStatus.COMPLETE
    ).update(status=ReviewStatus.FAILED, error=error[:2000])
    if not PortfolioReview.objects.filter(portfolio=portfolio, kind=kind, period_start=start):
        with suppress(IntegrityError):
            PortfolioReview.objects.create(
                portfolio=portfolio, kind=kind, period_start=start, period_end=end,
                status=ReviewStatus.FAILED, error=error[:2000],
            )  # fmt: skip


def due_reviews(*, kind: str, today: date) -> list[tuple[str, str]]:
    """(portfolio code, period) of the reviews due on `today`: monthly → the month just
    closed; quarterly → the quarter just closed; annual → the fiscal year starting today, for
    the portfolios whose fiscal year starts this month."""
    portfolios = Portfolio.objects.order_by("code")
    if kind == ReviewKind.MONTHLY:
        period = f"{add_months(today, -1):%Y-%m}"
    elif kind == ReviewKind.QUARTERLY:
        period = f"{add_months(today, -3):%Y-%m}"
    else:
        portfolios = portfolios.filter(fiscal_year_start_month=today.month)
        period = f"{today:%Y-%m}"
    return [(code, period) for code in portfolios.values_list("code", flat=True)]


# Digest subscriptions --------------------------------------------------------------------------


def subscriptions_set(*, user, portfolio: Portfolio, kinds: list[str], by) -> None:
    """Make `user`'s subscriptions to `portfolio` exactly `kinds`. A user manages their own;
    the portfolio's PMO subscribes others. The subscriber must be able to see the portfolio."""
    if by.pk != user.pk:
        access.require(
            access.can_manage_portfolio(by, portfolio),
            "Only the portfolio's PMO may subscribe other people.",
        )
    if not Portfolio.objects.visible_to(user).filter(pk=portfolio.pk).exists():
        raise ValidationError({"user": f"{user} cannot see {portfolio.name}."})
    unknown = set(kinds) - set(ReviewKind.values)
    if unknown:
        raise ValidationError({"kinds": f"Unknown review kinds: {', '.join(sorted(unknown))}."})
    with transaction.atomic():
        DigestSubscription.objects.filter(user=user, portfolio=portfolio).exclude(
            kind__in=kinds
        ).delete()
        for kind in kinds:
            DigestSubscription.objects.get_or_create(user=user, portfolio=portfolio, kind=kind)
