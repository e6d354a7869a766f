"""Digests: sent once per subscriber through a real SMTP server, showing only what the
recipient may see, with a working one-click unsubscribe."""

import email
import re
import socket
from datetime import date
from decimal import Decimal
from email import policy
from html import unescape

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse

from reporting import digests, services
from reporting.models import DigestDelivery, DigestSubscription
from tests.factories import (
    CostEntryFactory,
    MembershipFactory,
    ProjectFactory,
    StatusReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        self.messages.append(
            (envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


@pytest.fixture
def smtp_inbox(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    settings.SITE_URL = "https://slate.example.com"
    yield inbox
    controller.stop()


@pytest.fixture
def reviewed(portfolio, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    shown = ProjectFactory(portfolio=portfolio, code="SHOWN", name="Visible project")
    hidden = ProjectFactory(portfolio=portfolio, code="HIDDEN", name="Secret project")
    executive = MembershipFactory(portfolio=portfolio, role="executive").user
    manager = UserFactory(username="pm", email="pm@example.com")
    shown.manager = manager
    shown.save()
    for user in (executive, manager):
        DigestSubscription.objects.create(user=user, portfolio=portfolio, kind="monthly")
    return {"executive": executive, "manager": manager, "shown": shown, "hidden": hidden}


def test_digest_goes_through_smtp_once_per_subscriber_showing_only_what_each_may_see(
    portfolio, reviewed, smtp_inbox
):
    review = services.run_review(portfolio=portfolio, kind="monthly", period="2026-10")
    # run_review queued delivery on commit (eager here); a retry must not send again.
    digests.deliver(review_id=review.pk)
    digests.deliver(review_id=review.pk)

    assert DigestDelivery.objects.filter(review=review, sent_at__isnull=False).count() == 2
    by_recipient = {tuple(to): message for to, message in smtp_inbox.messages}
    assert len(smtp_inbox.messages) == 2
    pm_mail = by_recipient[("pm@example.com",)]
    subject = f"{portfolio.name}: Monthly portfolio review — October 2026"
    assert pm_mail["Subject"].strip() == subject
    text = pm_mail.get_body(("plain",)).get_content()
    html = pm_mail.get_body(("html",)).get_content()
    assert "SHOWN" in text and "HIDDEN" not in text and "HIDDEN" not in html
    executive_text = by_recipient[(reviewed["executive"].email,)].get_body(("plain",)).get_content()
    assert "SHOWN" in executive_text and "HIDDEN" in executive_text
    assert f"https://slate.example.com/portfolios/{portfolio.code}/" in text
    unsubscribe_url = pm_mail["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe_url.startswith("https://slate.example.com/digests/unsubscribe/")
    assert pm_mail["List-Unsubscribe-Post"].strip() == "List-Unsubscribe=One-Click"


def test_one_click_unsubscribe(client, portfolio, reviewed):
    subscription = DigestSubscription.objects.get(user=reviewed["manager"])
    url = reverse("reporting:unsubscribe", args=[digests.unsubscribe_token(subscription)])
    assert client.get(url).status_code == 200
    assert DigestSubscription.objects.filter(pk=subscription.pk).exists()  # GET changes nothing
    response = client.post(url)  # what a mail client's one-click sends, without a session
    assert response.status_code == 200
    assert not DigestSubscription.objects.filter(pk=subscription.pk).exists()
    assert client.post(reverse("reporting:unsubscribe", args=["forged"])).status_code == 200


def test_users_manage_their_own_subscriptions_and_pmo_subscribes_others(
    client, portfolio, member_of
):
    viewer = member_of(portfolio, "viewer")
    client.force_login(viewer)
    response = client.post(
        reverse("reporting:subscriptions"), {f"p{portfolio.pk}": ["monthly", "quarterly"]}
    )
    assert response.status_code == 302
    assert set(DigestSubscription.objects.filter(user=viewer).values_list("kind", flat=True)) == {
        "monthly",
        "quarterly",
    }
    other = member_of(portfolio, "executive")
    url = reverse("reporting:subscribers", args=[portfolio.code])
    assert client.post(url, {"user": other.pk, "kinds": ["annual"]}).status_code == 403
    assert not DigestSubscription.objects.filter(user=other).exists()
    client.force_login(member_of(portfolio, "pmo"))
    assert client.post(url, {"user": other.pk, "kinds": ["annual"]}).status_code == 302
    assert DigestSubscription.objects.get(user=other).kind == "annual"


def test_review_page_and_runs_page_permissions(
    client, portfolio, other_portfolio, member_of, reviewed
):
    review = services.run_review(portfolio=portfolio, kind="monthly", period="2026-10")
    client.force_login(reviewed["manager"])
    page = client.get(reverse("reporting:review", args=[review.pk]))
    assert page.status_code == 200
    assert b"SHOWN" in page.content and b"HIDDEN" not in page.content
    assert client.get(reverse("reporting:runs")).status_code == 403
    client.force_login(member_of(other_portfolio, "pmo"))
    assert client.get(reverse("reporting:review", args=[review.pk])).status_code == 404
    client.force_login(member_of(portfolio, "pmo"))
    runs = client.get(reverse("reporting:runs"))
    assert runs.status_code == 200 and b"Monthly portfolio review" in runs.content


def _parts(message) -> tuple[str, str]:
    html = next(content for content, mime in message.alternatives if mime == "text/html")
    return message.body, html


def _readable(html: str) -> str:
    """The HTML part as a reader sees it: tags out, entities and spaces normalised."""
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(text)).replace("\u00a0", " ")


def test_digest_reads_like_a_report_money_headings_signed_changes_absolute_links(
    portfolio, settings
):
    settings.SITE_URL = "https://slate.example.com/"
    project = ProjectFactory(portfolio=portfolio, code="RED-1", budget=Decimal("4850000"))
    CostEntryFactory(project=project, date=date(2026, 9, 10), amount=Decimal("2000000"))
    StatusReportFactory(
        project=project, period_start=date(2026, 9, 1), period_end=date(2026, 9, 30),
        percent_complete=Decimal("30"),
    )  # fmt: skip
    services.run_review(portfolio=portfolio, kind="monthly", period="2026-09")
    CostEntryFactory(project=project, date=date(2026, 10, 10), amount=Decimal("1250000"))
    StatusReportFactory(
        project=project, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
        percent_complete=Decimal("50"),
    )  # fmt: skip
    review = services.run_review(portfolio=portfolio, kind="monthly", period="2026-10")
    reader = MembershipFactory(portfolio=portfolio, role="executive").user
    subscription = DigestSubscription.objects.create(
        user=reader, portfolio=portfolio, kind="monthly"
    )
    text, html = _parts(digests.digest_message(review, subscription))
    changes = review.findings["changes"]
    assert Decimal(changes["actual_cost"]) == Decimal("1250000")
    cpi_change = Decimal(changes["cost_performance_index"])
    assert cpi_change

    for shown in (text.replace("\u00a0", " "), _readable(html)):
        # Money: currency and thousands separators, never a raw stored amount.
        assert "USD 4,850,000" in shown
        assert not re.search(r"\d{5,}\.\d\d", shown), shown
        # Headings: the sections' names, not their keys.
        assert "Red projects (computed)" in shown
        assert not re.search(r"Red_?projects|Red_Projects|_", shown.split("http")[0])
        # Changes: signed, with a real minus sign and an explicit plus.
        assert "+USD 1,250,000" in shown
        sign = "+" if cpi_change > 0 else "\u2212"
        assert f"{sign}{abs(cpi_change)}" in shown
        assert not re.search(r"\(\d[\d.,]*\)|\(-", shown)
    # Links: absolute, from SITE_URL, in both parts.
    review_url = f"https://slate.example.com{reverse('reporting:review', args=[review.pk])}"
    project_url = f"https://slate.example.com{reverse('projects:detail', args=[project.pk])}"
    assert review_url in text and review_url in html
    assert project_url in text and project_url in html
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and all(href.startswith("https://slate.example.com/") for href in hrefs)
    assert "127.0.0.1" not in text + html and "//reviews" not in text + html
