"""The API of stored reviews, their snapshots (read-only) and digest subscriptions
(reporting/api/reviews.py): the role × endpoint matrix (tests/api_permissions.py), findings and
snapshots limited to the projects the reader sees, subscriptions through the service, tokens
and constant query counts."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from access_tokens import services as token_services
from access_tokens.models import AccessToken, Scope
from reporting.models import (
    DigestSubscription,
    PortfolioReview,
    ProjectSnapshot,
    ReviewKind,
    ReviewStatus,
)
from tests.api_permissions import (
    MANAGERS,
    MEMBERS,
    check_api_read,
    check_api_write,
)
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.permissions import each_role, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(portfolio):
    return ProjectFactory(portfolio=portfolio, code="SHOWN", manager=UserFactory())


@pytest.fixture
def hidden(portfolio):
    """A project of the same portfolio that its manager's lead does not see."""
    return ProjectFactory(portfolio=portfolio, code="HIDDEN")


def _snapshot(review, project, **changes):
    return ProjectSnapshot.objects.create(
        review=review,
        project=project,
        stage=project.stage,
        budget=D("1000"),
        actual_cost=D("500"),
        earned_value=D("450"),
        planned_value=D("480"),
        percent_complete=D("45"),
        computed_health="amber",
        **changes,
    )


@pytest.fixture
def review(portfolio, project, hidden):
    review = PortfolioReview.objects.create(
        portfolio=portfolio,
        kind=ReviewKind.MONTHLY,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        status=ReviewStatus.COMPLETE,
        kpis={"project_count": 2, "budget": "2000.00"},
        findings={
            "red_projects": [
                {"project_id": project.pk, "code": "SHOWN", "detail": "computed red"},
                {"project_id": hidden.pk, "code": "HIDDEN", "detail": "computed red"},
            ]
        },
    )
    _snapshot(review, project)
    _snapshot(review, hidden, is_watermelon=True)
    return review


def _as(user):
    api = APIClient()
    api.force_login(user)
    return api


# Reviews and snapshots ------------------------------------------------------------------------


@each_role
def test_reviews_are_read_by_whoever_sees_the_portfolio(role, project, review):
    response = check_api_read(
        role, project=project, url=f"/api/reviews/{review.pk}/", readers=MEMBERS
    )
    if role in MEMBERS:
        body = response.json()
        assert (body["period_label"], body["kpis"]["budget"]) == ("October 2026", "2000.00")
        shown = {item["code"] for item in body["findings"]["red_projects"]}
        # The project's manager (no membership) sees only their project's findings.
        assert shown == ({"SHOWN"} if role == "manager" else {"SHOWN", "HIDDEN"})


@each_role
def test_snapshots_are_those_of_the_projects_the_reader_sees(role, project, review):
    response = check_api_read(
        role,
        project=project,
        url=f"/api/reviews/{review.pk}/snapshots/",
        readers=MEMBERS,
    )
    if role in MEMBERS:
        codes = [row["project_code"] for row in response.json()["results"]]
        assert codes == (["SHOWN"] if role == "manager" else ["HIDDEN", "SHOWN"])


@each_role
def test_reviews_are_read_only(role, project, review):
    check_api_write(
        role,
        project=project,
        method="delete",
        url=f"/api/reviews/{review.pk}/",
        allowed=(),
        snapshot=rows(PortfolioReview, ProjectSnapshot),
        refused_status=dict.fromkeys((*MEMBERS, "outsider"), 405),
    )


def test_review_filters_and_snapshot_filters(portfolio, review, member_of, other_portfolio):
    PortfolioReview.objects.create(
        portfolio=portfolio,
        kind=ReviewKind.QUARTERLY,
        period_start=date(2026, 7, 1),
        period_end=date(2026, 9, 30),
    )
    PortfolioReview.objects.create(
        portfolio=other_portfolio,
        kind=ReviewKind.MONTHLY,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
    )
    api = _as(member_of(portfolio, "viewer"))
    assert api.get("/api/reviews/").json()["count"] == 2
    monthly = api.get("/api/reviews/", {"kind": "monthly"}).json()["results"]
    assert [r["id"] for r in monthly] == [review.pk]
    assert "findings" not in monthly[0]
    oldest = api.get("/api/reviews/", {"ordering": "period_start"}).json()["results"][0]
    assert oldest["kind"] == "quarterly"
    assert api.get("/api/reviews/", {"status": "running"}).json()["count"] == 1
    url = f"/api/reviews/{review.pk}/snapshots/"
    melons = api.get(url, {"is_watermelon": "true"}).json()["results"]
    assert [row["project_code"] for row in melons] == ["HIDDEN"]
    assert api.get(url, {"ordering": "-project__code"}).json()["results"][0]["project_code"] == (
        "SHOWN"
    )


# Digest subscriptions --------------------------------------------------------------------------


@each_role
def test_subscribing_oneself(role, portfolio, project):
    check_api_write(
        role,
        project=project,
        method="post",
        url="/api/digest-subscriptions/",
        data={"portfolio": portfolio.code, "kind": "monthly"},
        allowed=MEMBERS,
        snapshot=rows(DigestSubscription),
        refused_status={"outsider": 400},
    )


@each_role
def test_subscribing_someone_else(role, portfolio, project):
    viewer = MembershipFactory(portfolio=portfolio, role="viewer").user
    check_api_write(
        role,
        project=project,
        method="post",
        url="/api/digest-subscriptions/",
        data={"portfolio": portfolio.code, "kind": "quarterly", "user": viewer.pk},
        allowed=MANAGERS,
        snapshot=rows(DigestSubscription),
        refused_status={"outsider": 400},
    )


@each_role
def test_unsubscribing_someone(role, portfolio, project):
    viewer = MembershipFactory(portfolio=portfolio, role="viewer").user
    subscription = DigestSubscription.objects.create(
        user=viewer, portfolio=portfolio, kind="annual"
    )
    check_api_write(
        role,
        project=project,
        method="delete",
        url=f"/api/digest-subscriptions/{subscription.pk}/",
        allowed=MANAGERS,
        snapshot=rows(DigestSubscription),
        # Others' subscriptions are listed only to the portfolio's managers.
        refused_status=dict.fromkeys(
            ("manager", "executive", "viewer", "resource_manager", "outsider"), 404
        ),
    )


def test_subscriptions_keep_the_other_kinds_and_refuse_what_the_page_refuses(
    portfolio, other_portfolio, member_of
):
    viewer = member_of(portfolio, "viewer")
    api = _as(viewer)
    url = "/api/digest-subscriptions/"
    for kind in ("monthly", "annual", "monthly"):
        response = api.post(url, {"portfolio": portfolio.code, "kind": kind}, format="json")
        assert response.status_code == 201, response.json()
    mine = api.get(url).json()["results"]
    assert sorted(s["kind"] for s in mine) == ["annual", "monthly"]
    monthly = next(s for s in mine if s["kind"] == "monthly")
    assert api.delete(f"{url}{monthly['id']}/").status_code == 204
    assert [s["kind"] for s in api.get(url).json()["results"]] == ["annual"]
    # A portfolio manager may not subscribe someone who cannot see the portfolio.
    pm = _as(member_of(portfolio, "portfolio_manager"))
    stranger = member_of(other_portfolio, "viewer")
    response = pm.post(
        url, {"portfolio": portfolio.code, "kind": "monthly", "user": stranger.pk}, format="json"
    )
    assert response.status_code == 400 and "user" in response.json()
    response = api.post(url, {"portfolio": portfolio.code, "kind": "weekly"}, format="json")
    assert response.status_code == 400 and "kind" in response.json()
    # The portfolio manager lists the portfolio's subscriptions; the viewer only their own.
    assert pm.get(url).json()["count"] == 1
    assert pm.get(url, {"user": viewer.pk}).json()["count"] == 1


# Tokens and query counts ---------------------------------------------------------------------


def test_tokens_on_reviews_and_subscriptions(portfolio, review, member_of):
    user = member_of(portfolio, "pmo")
    plaintext = token_services.access_token_create(
        user=user, name="CI", scope=Scope.READ, expires_on=timezone.localdate() + timedelta(days=3)
    ).plaintext
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get(f"/api/reviews/{review.pk}/snapshots/").status_code == 200
    response = api.post(
        "/api/digest-subscriptions/", {"portfolio": portfolio.code, "kind": "monthly"}
    )
    assert response.status_code == 403
    assert not DigestSubscription.objects.exists()
    AccessToken.objects.update(revoked_at=timezone.now())
    assert api.get("/api/reviews/").status_code == 401
    AccessToken.objects.update(
        revoked_at=None,
        created_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert api.get("/api/digest-subscriptions/").status_code == 401


def test_list_query_counts_do_not_grow(portfolio, review, member_of, django_assert_max_num_queries):
    viewer = member_of(portfolio, "pmo")
    api = _as(viewer)

    def grow(n):
        for _ in range(n):
            year = 2000 + PortfolioReview.objects.count()
            PortfolioReview.objects.create(
                portfolio=portfolio,
                kind="monthly",
                period_start=date(year, 1, 1),
                period_end=date(year, 1, 31),
            )
            _snapshot(review, ProjectFactory(portfolio=portfolio))
            DigestSubscription.objects.create(
                user=MembershipFactory(portfolio=portfolio).user,
                portfolio=portfolio,
                kind="monthly",
            )

    urls = ("/api/reviews/", f"/api/reviews/{review.pk}/snapshots/", "/api/digest-subscriptions/")
    grow(2)
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as few:
            assert api.get(url).status_code == 200
        counts[url] = len(few.captured_queries)
    grow(10)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert api.get(url).json()["count"] >= 12
