"""Digest e-mails of reviews. Placeholder delivery until subscriptions are built: nothing to
send when nobody subscribes."""

from reporting.models import DigestSubscription, PortfolioReview


def deliver(*, review_id: int) -> int:
    review = PortfolioReview.objects.get(pk=review_id)
    return DigestSubscription.objects.filter(portfolio=review.portfolio, kind=review.kind).count()
