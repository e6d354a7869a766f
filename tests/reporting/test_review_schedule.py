from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from reporting import services
from reporting.models import PortfolioReview
from tests.factories import PortfolioFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_migration_creates_the_three_schedules():
    tasks = {t.name: t for t in PeriodicTask.objects.filter(task="reporting.schedule_reviews")}
    assert set(tasks) == {
        "Monthly portfolio review",
        "Quarterly strategic-alignment review",
        "Annual portfolio planning",
    }
    monthly = tasks["Monthly portfolio review"].crontab
    assert (monthly.minute, monthly.hour, monthly.day_of_month) == ("0", "6", "1")
    assert tasks["Quarterly strategic-alignment review"].crontab.month_of_year == "1,4,7,10"


def test_due_reviews():
    PortfolioFactory(code="april", fiscal_year_start_month=4)
    PortfolioFactory(code="january", fiscal_year_start_month=1)
    first_of_april = date(2027, 4, 1)
    assert services.due_reviews(kind="monthly", today=first_of_april) == [
        ("april", "2027-03"),
        ("january", "2027-03"),
    ]
    assert services.due_reviews(kind="quarterly", today=first_of_april)[0] == ("april", "2027-01")
    assert services.due_reviews(kind="annual", today=first_of_april) == [("april", "2027-04")]


def test_schedule_reviews_twice_gives_one_review_each(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from reporting.tasks import schedule_reviews

    portfolio = PortfolioFactory(code="retail")
    ProjectFactory(portfolio=portfolio)
    schedule_reviews.delay("monthly")
    schedule_reviews.delay("monthly")  # a duplicated beat tick
    assert PortfolioReview.objects.filter(portfolio=portfolio, kind="monthly").count() == 1


def test_run_review_command():
    portfolio = PortfolioFactory(code="retail")
    ProjectFactory(portfolio=portfolio)
    out = StringIO()
    call_command("run_review", portfolio="retail", kind="monthly", period="2026-10", stdout=out)
    assert "retail: Monthly portfolio review 2026-10-01–2026-10-31 complete, 1 project" in (
        out.getvalue()
    )
    with pytest.raises(CommandError):
        call_command("run_review", portfolio="nope", kind="monthly", period="2026-10")
