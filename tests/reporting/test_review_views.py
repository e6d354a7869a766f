"""The review pages: every stored review of every kind renders for everyone who may see it,
each kind of finding in its own columns, and a portfolio lists its reviews of every kind."""

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from portfolio.models import Portfolio
from reporting import digests, services
from reporting.models import DigestSubscription, PortfolioReview, ReviewKind, ReviewStatus
from reporting.reviews import period_label
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

ROLES = ("pmo", "portfolio_manager", "executive")
# Every other demo login sees some portfolios (or, the project manager, led projects only).
OTHER_LOGINS = ("resource_manager", "viewer", "project_manager")


@pytest.fixture
def demo_reviews():
    """The seeded demo, then a review of every kind for every portfolio for this period."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    today = timezone.localdate()
    for portfolio in Portfolio.objects.all():
        for kind in ReviewKind.values:
            services.run_review(portfolio=portfolio, kind=kind, period=today)
    return list(PortfolioReview.objects.select_related("portfolio").order_by("pk"))


def test_every_stored_review_of_every_kind_renders_for_every_role_that_may_see_it(
    client, demo_reviews
):
    assert {review.kind for review in demo_reviews} == set(ReviewKind.values)
    assert all(review.status == ReviewStatus.COMPLETE for review in demo_reviews)
    client.raise_request_exception = False
    users = get_user_model().objects.in_bulk([*ROLES, *OTHER_LOGINS], field_name="username")
    failures, seen = [], {}
    for role in (*ROLES, *OTHER_LOGINS):
        user = users[role]
        client.force_login(user)
        visible = set(PortfolioReview.objects.visible_to(user).values_list("pk", flat=True))
        seen[role] = {review.kind for review in demo_reviews if review.pk in visible}
        for review in demo_reviews:
            response = client.get(reverse("reporting:review", args=[review.pk]))
            expected = 200 if review.pk in visible else 404
            if response.status_code != expected:
                failures.append((role, review.pk, review.portfolio.code, review.kind,
                                 response.status_code))  # fmt: skip
    assert failures == []
    assert all(seen[role] == set(ReviewKind.values) for role in ROLES), seen


def test_portfolio_reviews_page_lists_every_kind_and_links_each_review(
    client, demo_reviews, member_of
):
    users = get_user_model().objects.in_bulk(list(ROLES), field_name="username")
    for role in ROLES:
        client.force_login(users[role])
        for portfolio in Portfolio.objects.visible_to(users[role]):
            dashboard = client.get(reverse("portfolio:detail", args=[portfolio.code]))
            reviews_url = reverse("reporting:portfolio-reviews", args=[portfolio.code])
            assert f'href="{reviews_url}"' in dashboard.content.decode()
            page = client.get(reviews_url)
            assert page.status_code == 200
            html = page.content.decode()
            stored = [r for r in demo_reviews if r.portfolio_id == portfolio.pk]
            for review in stored:
                assert f'href="{reverse("reporting:review", args=[review.pk])}"' in html
                assert period_label(review.kind, review.period_start) in html
            for kind in ReviewKind:
                assert kind.label in html
    outsider = member_of(Portfolio.objects.create(code="elsewhere", name="Elsewhere"), "viewer")
    client.force_login(outsider)
    url = reverse("reporting:portfolio-reviews", args=["finance"])
    assert client.get(url).status_code == 404


def test_review_page_shows_each_kind_of_finding_in_its_own_columns(client, portfolio, member_of):
    project = ProjectFactory(portfolio=portfolio, code="SHOWN", name="Visible project")
    review = PortfolioReview.objects.create(
        portfolio=portfolio,
        kind=ReviewKind.MONTHLY,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        status=ReviewStatus.COMPLETE,
        kpis={"project_count": 1, "budget": "4850000.00", "cost_performance_index": "0.951"},
        findings={
            "changes": {"budget": "-1250.00", "cost_performance_index": "-0.006"},
            "previous_review_id": None,
            "red_projects": [{"project_id": project.pk, "code": "SHOWN",
                              "name": "Visible project", "detail": "computed red"}],
            "over_allocated_roles": [{"role_id": 1, "role": "Integration engineer",
                                      "utilisation": "105"}],
            "new_or_escalated_risks": [{"risk_id": 9, "title": "Vendor exits the market",
                                        "project_code": "SHOWN", "detail": "escalated"}],
            "late_dependencies": [{"successor": "SHOWN", "predecessor": "OTHER",
                                   "deliverable": "", "needed_by": "2026-12-02",
                                   "expected_on": None}],
            "a_finding_of_a_later_release": [{"anything": "at all"}],
        },
    )  # fmt: skip
    client.force_login(member_of(portfolio, "executive"))
    response = client.get(reverse("reporting:review", args=[review.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ")
    assert "Over-allocated roles" in text and "Integration engineer" in text
    assert "105%" in text
    assert "Vendor exits the market" in text and "escalated" in text
    assert "Red projects (computed)" in text
    assert f'href="{reverse("projects:detail", args=[project.pk])}"' in html
    assert "OTHER" in text
    assert "not planned" in text  # a dependency without a delivery date
    assert "A finding of a later release" in text
    assert "USD 4,850,000" in text
    # Changes carry their sign: a real minus, never brackets that read as negative.
    assert "\u22120.006" in text and "\u2212USD 1,250" in text
    assert "(0.006)" not in text and "(-" not in text


def test_view_in_browser_link_of_every_digest_opens_the_review(client, demo_reviews, settings):
    """Healthcare's monthly reviews find an over-allocated role: their digests link there too."""
    settings.SITE_URL = "https://slate.example.com/"
    subscriptions = DigestSubscription.objects.select_related("user", "portfolio")
    health = [r for r in demo_reviews if r.portfolio.code == "health" and r.kind == "monthly"]
    assert any(review.findings["over_allocated_roles"] for review in health)
    client.raise_request_exception = False
    opened = 0
    for subscription in subscriptions.filter(user__username__in=ROLES):
        for review in demo_reviews:
            if (review.portfolio_id, review.kind) != (subscription.portfolio_id, subscription.kind):
                continue
            text = digests.digest_message(review, subscription).body
            link = re.search(r"View this review in your browser: (\S+)", text).group(1)
            path = reverse("reporting:review", args=[review.pk])
            assert link == f"https://slate.example.com{path}"
            client.force_login(subscription.user)
            status = client.get(link.removeprefix("https://slate.example.com")).status_code
            assert status == 200, (subscription.user.username, review.pk, review.kind)
            opened += 1
    assert opened >= len(demo_reviews)
