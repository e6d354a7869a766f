"""Reviews on demand from the browser: the PMO asks for a review, it is queued, its status
page follows it to done (with a link) or failed (with the error); asking twice gives one
review and never two pending runs; everyone else is refused; bad input is a field error and
writes nothing. (Eager Celery here; tests/reporting/test_review_worker.py runs it through a
real worker.)"""

from datetime import date
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from core.months import add_months
from reporting import review_runs
from reporting.models import PortfolioReview, ReviewRun
from tests.factories import MembershipFactory, PortfolioFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(portfolio):
    for _ in range(3):
        ProjectFactory(portfolio=portfolio)
    return portfolio


def last_month() -> str:
    return f"{add_months(timezone.localdate(), -1):%Y-%m}"


def run_url(portfolio):
    return reverse("reporting:run-review", args=[portfolio.code])


@pytest.fixture
def post_run(client, django_capture_on_commit_callbacks):
    """POST the run form, then run what the request queued after its commit (eager Celery)."""

    task = review_runs.run_requested_review

    def post(portfolio, data):
        # In-process whatever the broker (CI sets REDIS_URL): the real task, applied locally.
        with (
            mock.patch.object(task, "delay", lambda run_id: task.apply(args=(run_id,))),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return client.post(run_url(portfolio), data)

    return post


@pytest.mark.parametrize("role", ["pmo", "portfolio_manager", "admin"])
def test_the_pmo_runs_a_review_and_its_status_page_links_the_review(client, post_run, world, role):
    user = (
        UserFactory(is_superuser=True)
        if role == "admin"
        else MembershipFactory(portfolio=world, role=role).user
    )
    client.force_login(user)
    assert client.get(run_url(world)).status_code == 200
    response = post_run(world, {"kind": "monthly", "period": last_month()})
    run = ReviewRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("reporting:review-run", args=[run.pk])
    assert run.status == "done" and run.requested_by == user
    review = PortfolioReview.objects.get()
    assert run.review == review and review.status == "complete"
    page = client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("reporting:review", args=[review.pk]) in html
    assert "data-poll-seconds" not in html  # done: nothing more to wait for


def test_running_the_same_review_twice_gives_one_review(client, post_run, world, member_of):
    client.force_login(member_of(world, "pmo"))
    for _ in range(2):
        post_run(world, {"kind": "quarterly", "period": "2026-Q3"})
    assert PortfolioReview.objects.filter(portfolio=world).count() == 1
    runs = list(ReviewRun.objects.all())
    assert len(runs) == 2 and {run.review_id for run in runs} == {PortfolioReview.objects.get().pk}


def test_asking_for_a_stored_review_shows_it_done_at_once_without_a_worker(
    client, post_run, world, member_of
):
    client.force_login(member_of(world, "pmo"))
    post_run(world, {"kind": "monthly", "period": last_month()})
    review = PortfolioReview.objects.get()
    with mock.patch.object(review_runs.run_requested_review, "delay") as delay:
        again = client.post(run_url(world), {"kind": "monthly", "period": last_month()})
    assert delay.call_count == 0
    run = ReviewRun.objects.latest("pk")
    assert again.url == reverse("reporting:review-run", args=[run.pk])
    assert (run.status, run.review) == ("done", review)
    assert PortfolioReview.objects.count() == 1


def test_a_pending_run_is_not_queued_twice(
    client, world, member_of, django_capture_on_commit_callbacks
):
    """While a run is pending (no worker took it yet), asking again opens the same run."""
    client.force_login(member_of(world, "pmo"))
    with (
        mock.patch.object(review_runs.run_requested_review, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = client.post(run_url(world), {"kind": "monthly", "period": last_month()})
        second = client.post(run_url(world), {"kind": "monthly", "period": last_month()})
    run = ReviewRun.objects.get()
    assert run.status == "pending"
    assert first.url == second.url == reverse("reporting:review-run", args=[run.pk])
    assert delay.call_count == 1
    page = client.get(first.url).content.decode()
    assert 'data-poll-seconds="2"' in page and "Pending" in page
    assert 'http-equiv="refresh"' not in page  # no timed reload (WCAG 2.2.1): slate.js polls
    assert PortfolioReview.objects.count() == 0


def test_the_status_page_shows_running_then_done(client, world, member_of):
    client.force_login(member_of(world, "pmo"))
    with mock.patch.object(review_runs.run_requested_review, "delay"):
        client.post(run_url(world), {"kind": "monthly", "period": last_month()})
    run = ReviewRun.objects.get()
    ReviewRun.objects.filter(pk=run.pk).update(status="running")
    page = client.get(reverse("reporting:review-run", args=[run.pk])).content.decode()
    assert "Running" in page and "data-poll-seconds" in page
    review_runs.review_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "done" and run.review.status == "complete"


def test_a_failed_run_shows_its_error_and_can_run_again(client, post_run, world, member_of):
    client.force_login(member_of(world, "pmo"))
    # A read every review makes, on PostgreSQL (KPIs and snapshots in one statement) and SQLite.
    with mock.patch(
        "reporting.kpis.portfolio_risk_exposure", side_effect=RuntimeError("database went away")
    ):
        response = post_run(world, {"kind": "monthly", "period": last_month()})
    run = ReviewRun.objects.get()
    assert run.status == "failed" and "database went away" in run.error
    page = client.get(response.url).content.decode()
    assert "database went away" in page and "data-poll-seconds" not in page
    assert not PortfolioReview.objects.filter(status="complete").exists()
    post_run(world, {"kind": "monthly", "period": last_month()})
    assert ReviewRun.objects.filter(status="done").count() == 1
    assert PortfolioReview.objects.get().status == "complete"


@pytest.mark.parametrize("role", ["executive", "viewer", "resource_manager", "other_pmo", "pm"])
def test_others_may_not_run_reviews_or_follow_runs(client, post_run, world, role):
    project = world.projects.first()
    if role == "pm":
        user = project.manager = UserFactory()
        project.save()
    elif role == "other_pmo":
        user = MembershipFactory(portfolio=PortfolioFactory(), role="pmo").user
    else:
        user = MembershipFactory(portfolio=world, role=role).user
    run = ReviewRun.objects.create(
        portfolio=world, kind="monthly", period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31), status="done",
    )  # fmt: skip
    client.force_login(user)
    expected = 404 if role == "other_pmo" else 403
    assert client.get(run_url(world)).status_code == expected
    response = post_run(world, {"kind": "monthly", "period": last_month()})
    assert response.status_code == expected
    assert client.get(reverse("reporting:review-run", args=[run.pk])).status_code == expected
    assert ReviewRun.objects.count() == 1 and PortfolioReview.objects.count() == 0


def test_the_service_refuses_a_project_manager(world):
    project = world.projects.first()
    project.manager = UserFactory()
    project.save()
    with pytest.raises(PermissionDenied):
        review_runs.review_run_request(
            portfolio=world, kind="monthly", period=last_month(), by=project.manager
        )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "weekly", "period": "2026-10"}, "kind"),
        ({"kind": "monthly", "period": "1989-12"}, "period"),
        ({"kind": "monthly", "period": "2101-01"}, "period"),
        ({"kind": "annual", "period": "9999"}, "period"),
        ({"kind": "quarterly", "period": "2026-Q9"}, "period"),
        ({"kind": "monthly", "period": "next month"}, "period"),
        ({"kind": "monthly", "period": ""}, "period"),
    ],
)
def test_bad_input_is_a_field_error_and_writes_nothing(
    client, post_run, world, member_of, data, field
):
    client.force_login(member_of(world, "pmo"))
    response = post_run(world, data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert ReviewRun.objects.count() == 0 and PortfolioReview.objects.count() == 0


def test_a_period_that_has_not_started_is_refused(client, post_run, world, member_of):
    client.force_login(member_of(world, "pmo"))
    next_month = add_months(timezone.localdate(), 1)
    response = post_run(world, {"kind": "monthly", "period": f"{next_month:%Y-%m}"})
    assert "has not started" in response.context["form"].errors["period"][0]
    assert ReviewRun.objects.count() == 0


def test_the_reviews_page_offers_running_a_review_to_the_pmo_only(client, world, member_of):
    url = reverse("reporting:portfolio-reviews", args=[world.code])
    client.force_login(member_of(world, "pmo"))
    assert run_url(world) in client.get(url).content.decode()
    client.force_login(member_of(world, "executive"))
    assert run_url(world) not in client.get(url).content.decode()
