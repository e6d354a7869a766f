"""Exactly once, against a real Celery worker on Redis: a rerun, two beat ticks and a worker
killed in the middle of a review each end with one review, complete snapshots and one e-mail
per subscriber."""

import os
import signal
import time
from unittest import mock

import pytest
from django.urls import reverse

from reporting import review_runs
from reporting.models import (
    DigestDelivery,
    DigestSubscription,
    PortfolioReview,
    ProjectSnapshot,
    ReviewRun,
)
from reporting.tasks import run_review
from tests.celery_support import celery_worker_process, require_redis
from tests.factories import MembershipFactory, PortfolioFactory, ProjectFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(tmp_path):
    require_redis()
    portfolio = PortfolioFactory(code="crash")
    for _ in range(5):
        ProjectFactory(portfolio=portfolio)
    for role in ("executive", "pmo"):
        user = MembershipFactory(portfolio=portfolio, role=role).user
        DigestSubscription.objects.create(user=user, portfolio=portfolio, kind="monthly")
    mail = tmp_path / "mail"
    mail.mkdir()
    return {"portfolio": portfolio, "mail": mail, "tmp": tmp_path}


def mail_env(world, **extra):
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(world["mail"]),
        "CELERY_VISIBILITY_TIMEOUT": "5",
        **extra,
    }


def sent_mails(world) -> list[str]:
    """Each e-mail the file backend wrote: one file per connection, and two connections
    opened in the same second may share a file, so count the messages, not the files."""
    separator = "\n" + "-" * 79 + "\n"
    return [
        message
        for path in world["mail"].iterdir()
        for message in path.read_text().split(separator)
        if message.strip()
    ]


def wait_for(condition, timeout=90, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def done(portfolio, subscribers=2):
    def check():
        review = PortfolioReview.objects.filter(portfolio=portfolio, status="complete").first()
        return bool(review) and (
            DigestDelivery.objects.filter(review=review, sent_at__isnull=False).count()
            == subscribers
        )

    return check


def assert_exactly_once(world):
    portfolio = world["portfolio"]
    reviews = PortfolioReview.objects.filter(portfolio=portfolio)
    assert reviews.count() == 1
    review = reviews.get()
    assert review.status == "complete"
    assert review.snapshots.count() == 5
    assert DigestDelivery.objects.filter(review=review).count() == 2
    sent = sent_mails(world)
    assert len(sent) == 2, "one e-mail per subscriber"


def test_rerun_and_two_beat_ticks_give_one_review_and_one_mail_each(world):
    with celery_worker_process(extra_env=mail_env(world)) as (_, queue):
        for _ in range(3):  # a manual rerun and two beat ticks
            run_review.apply_async(("crash", "monthly", "2026-10"), queue=queue)
        wait_for(done(world["portfolio"]), what="the review and its digests")
        time.sleep(3)  # let the duplicates finish too
    assert_exactly_once(world)


def test_worker_killed_mid_review_loses_nothing_and_duplicates_nothing(world):
    marker = world["tmp"] / "half-written"
    paused = mail_env(world, SLATE_TEST_PAUSE_REVIEW=str(marker))
    with celery_worker_process(app="tests.review_worker", extra_env=paused) as (worker, queue):
        run_review.apply_async(("crash", "monthly", "2026-10"), queue=queue)
        wait_for(marker.exists, what="the review to be half-written")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    # The half-written review (snapshots stored, findings made) rolled back with the dead
    # worker's transaction.
    assert not PortfolioReview.objects.filter(portfolio=world["portfolio"], status="complete")
    assert not ProjectSnapshot.objects.filter(project__portfolio=world["portfolio"]).exists()
    assert sent_mails(world) == []
    time.sleep(6)  # past the visibility timeout: the unacknowledged task is redelivered
    with celery_worker_process(queue, extra_env=mail_env(world)):
        wait_for(done(world["portfolio"]), what="the redelivered review and its digests")
        time.sleep(2)
    assert_exactly_once(world)


def test_a_real_worker_runs_each_kind_of_review_once(world):
    portfolio = world["portfolio"]
    for kind in ("quarterly", "annual"):
        DigestSubscription.objects.create(
            user=DigestSubscription.objects.first().user, portfolio=portfolio, kind=kind
        )
    periods = {"monthly": "2026-10", "quarterly": "2026-Q3", "annual": "2026"}
    with celery_worker_process(extra_env=mail_env(world)) as (_, queue):
        for kind, period in periods.items():
            for _ in range(2):  # each asked twice
                run_review.apply_async(("crash", kind, period), queue=queue)

        def all_done():
            return PortfolioReview.objects.filter(portfolio=portfolio, status="complete").count()

        wait_for(lambda: all_done() == 3, what="the three reviews")
        wait_for(
            lambda: DigestDelivery.objects.filter(sent_at__isnull=False).count() == 4,
            what="their digests",
        )
        time.sleep(2)
    reviews = {r.kind: r for r in PortfolioReview.objects.filter(portfolio=portfolio)}
    assert set(reviews) == {"monthly", "quarterly", "annual"}
    assert all(review.snapshots.count() == 5 for review in reviews.values())
    assert "objectives" in reviews["quarterly"].findings
    assert "ranked" in reviews["annual"].findings
    assert len(sent_mails(world)) == 4  # 2 monthly + 1 quarterly + 1 annual


def test_run_review_now_from_the_browser_twice_gives_one_review(world, client):
    """The PMO's "Run review" twice, through the web view and a real worker: two runs end
    done, both linking the one review, with one e-mail per subscriber."""
    portfolio = world["portfolio"]
    pmo = MembershipFactory(portfolio=portfolio, role="pmo").user
    client.force_login(pmo)
    url = reverse("reporting:run-review", args=[portfolio.code])
    with celery_worker_process(extra_env=mail_env(world)) as (_, queue):
        task = review_runs.run_requested_review
        # The view queues with .delay(); the test's worker consumes only its private queue.
        with mock.patch.object(
            task, "delay", lambda run_id: task.apply_async((run_id,), queue=queue)
        ):
            first = client.post(url, {"kind": "monthly", "period": "2026-10"})
            assert first.status_code == 302
            status = client.get(first.url).content.decode()
            assert any(word in status for word in ("Pending", "Running", "Done"))
            wait_for(
                lambda: ReviewRun.objects.filter(status="done").count() == 1,
                what="the first run",
            )
            second = client.post(url, {"kind": "monthly", "period": "2026-10"})
            wait_for(
                lambda: ReviewRun.objects.filter(status="done").count() == 2,
                what="the second run",
            )
        wait_for(done(portfolio), what="the digests")
        time.sleep(2)
    assert first.url != second.url
    review = PortfolioReview.objects.get(portfolio=portfolio)
    assert set(ReviewRun.objects.values_list("review", flat=True)) == {review.pk}
    assert_exactly_once(world)
    page = client.get(second.url).content.decode()
    assert reverse("reporting:review", args=[review.pk]) in page
