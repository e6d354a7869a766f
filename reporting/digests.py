"""Review digests by e-mail: one delivery per (review, subscriber), each showing only what
that recipient may see, with absolute links (settings.SITE_URL) into the dashboards and a
one-click unsubscribe. Figures and findings read as on the review page
(`reporting.review_display`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from celery import shared_task
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.people import person_name
from reporting import review_display, selectors
from reporting.models import DigestDelivery, DigestSubscription, PortfolioReview, ReviewStatus
from reporting.reviews import period_label

logger = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "slate.digest.unsubscribe"


def unsubscribe_token(subscription: DigestSubscription) -> str:
    return signing.dumps(subscription.pk, salt=UNSUBSCRIBE_SALT)


def subscription_from_token(token: str) -> DigestSubscription | None:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return DigestSubscription.objects.filter(pk=pk).select_related("portfolio", "user").first()


def absolute(path: str) -> str:
    """`path` as a link that works from a mail client: on SITE_URL (settings, from the
    environment)."""
    return settings.SITE_URL.rstrip("/") + path


@dataclass(frozen=True)
class DigestItem:
    line: str
    url: str  # absolute ("" for none)


@dataclass(frozen=True)
class DigestSection:
    title: str
    items: list[DigestItem]


def digest_sections(review: PortfolioReview, user) -> list[DigestSection]:
    """The findings the recipient may see, non-empty kinds only, each item one line with an
    absolute link to what it is about."""
    findings = selectors.visible_review_findings(review=review, user=user)
    return [
        DigestSection(
            section.title,
            [DigestItem(row.line, absolute(row.url) if row.url else "") for row in section.rows],
        )
        for section in review_display.finding_sections(findings, currency=review.portfolio.currency)
        if section.rows
    ]


@dataclass(frozen=True)
class DigestEmail:
    """One subscriber's digest of a review, as it goes out: the preview page shows it, and
    `digest_message` sends it."""

    subject: str
    text: str
    html: str
    to: str
    unsubscribe_url: str


def digest_email(review: PortfolioReview, subscription: DigestSubscription) -> DigestEmail:
    """The digest of `review` for the subscriber: a plain-text and an HTML part with the same
    figures, findings and links. The one builder of the digest, for sending and previewing."""
    user = subscription.user
    figures = review_display.key_figures(review)
    context = {
        "review": review,
        "user": user,
        "label": period_label(review.kind, review.period_start),
        "figures": figures,
        "has_changes": any(figure.change for figure in figures),
        "budget_figures": review_display.budget_figures(review),
        "sections": digest_sections(review, user),
        "dashboard_url": absolute(reverse("portfolio:detail", args=[review.portfolio.code])),
        "review_url": absolute(reverse("reporting:review", args=[review.pk])),
        "unsubscribe_url": absolute(
            reverse("reporting:unsubscribe", args=[unsubscribe_token(subscription)])
        ),
    }
    return DigestEmail(
        subject=f"{review.portfolio.name}: {review.get_kind_display()} — {context['label']}",
        text=render_to_string("reporting/email/digest.txt", context),
        html=render_to_string("reporting/email/digest.html", context),
        to=user.email,
        unsubscribe_url=context["unsubscribe_url"],
    )


def unsubscribable_message(
    *, to: str, subject: str, text: str, html: str, unsubscribe_url: str
) -> EmailMultiAlternatives:
    """A text and HTML e-mail with one-click unsubscribe headers (RFC 8058): the form every
    mail Slate sends on a schedule (digests, reminders) takes."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def digest_message(review: PortfolioReview, subscription: DigestSubscription):
    """The digest as an e-mail message, built by `digest_email`."""
    email = digest_email(review, subscription)
    return unsubscribable_message(
        to=email.to,
        subject=email.subject,
        text=email.text,
        html=email.html,
        unsubscribe_url=email.unsubscribe_url,
    )


def digest_preview(*, review: PortfolioReview, subscriber) -> DigestEmail:
    """Exactly the digest of `review` that `deliver` sends `subscriber`; a ValidationError
    when they would receive none (not subscribed to that kind of review, no e-mail, or
    inactive)."""
    subscription = (
        DigestSubscription.objects.filter(
            user=subscriber, portfolio=review.portfolio, kind=review.kind
        )
        .select_related("user", "portfolio")
        .first()
    )
    name = person_name(subscriber)
    if subscription is None:
        raise ValidationError(
            {"subscriber": f"{name} does not subscribe to the {review.get_kind_display()} "
                           "digest, so they would receive nothing for this review."}
        )  # fmt: skip
    if not subscriber.is_active or not subscriber.email:
        raise ValidationError(
            {"subscriber": f"{name} has no e-mail address or is inactive: no digest is sent."}
        )
    return digest_email(review, subscription)


def deliver(*, review_id: int) -> int:
    """Send the review's digest to every current subscriber who has not had it; returns how
    many were sent now. Each send and its `sent_at` commit together, under a row lock, so a
    retry or a second worker never sends a subscriber the same review twice."""
    review = PortfolioReview.objects.select_related("portfolio").get(pk=review_id)
    if review.status != ReviewStatus.COMPLETE:
        return 0
    subscriptions = (
        DigestSubscription.objects.filter(
            portfolio=review.portfolio, kind=review.kind, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user", "portfolio")
    )
    sent = 0
    for subscription in subscriptions:
        DigestDelivery.objects.get_or_create(
            review=review, recipient=subscription.user,
            defaults={"email": subscription.user.email},
        )  # fmt: skip
        with transaction.atomic():
            delivery = (
                DigestDelivery.objects.select_for_update(skip_locked=True)
                .filter(review=review, recipient=subscription.user, sent_at__isnull=True)
                .first()
            )
            if delivery is None:  # sent already, or another worker is sending it now
                continue
            try:
                digest_message(review, subscription).send()
            except Exception as error:  # noqa: BLE001 - recorded, then retried by the caller
                logger.exception("digest failed review=%s to=%s", review.pk, delivery.email)
                delivery.error = repr(error)[:2000]
                delivery.save(update_fields=["error"])
                continue
            delivery.sent_at = timezone.now()
            delivery.error = ""
            delivery.save(update_fields=["sent_at", "error"])
            sent += 1
    return sent


@shared_task(name="reporting.deliver_review_digests")
def deliver_review_digests(review_id: int) -> int:
    """Celery entry point, queued when a review completes: send its digest once to each
    subscriber."""
    return deliver(review_id=review_id)
