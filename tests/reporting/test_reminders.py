"""Status-report reminders: through a real SMTP server (aiosmtpd), once per project, period and
kind, stopped by submitting, by the portfolio's setting and by the signed unsubscribe link."""

import email
import socket
import threading
from datetime import date
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from reporting import reminders
from reporting.models import ReminderKind, ReminderOptOut, ReportReminder
from tests.factories import MembershipFactory, ProjectFactory, StatusReportFactory, UserFactory

pytestmark = pytest.mark.django_db
NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        self.messages.append(
            (envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"

    def take(self):
        """The messages received since the last take, as (recipient, subject, text, message)."""
        taken = [
            (to[0], message["Subject"].strip(), message.get_body(("plain",)).get_content(), message)
            for to, message in self.messages
        ]
        self.messages = []
        return taken


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings):
    port = _free_port()
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
def managed(portfolio):
    """Two projects of one manager, in a monthly portfolio reminding 3 days ahead, each with
    October submitted."""
    portfolio.reminder_lead_days = 3
    portfolio.save()
    manager = UserFactory(username="jordan", email="jordan@example.com")
    projects = [
        ProjectFactory(portfolio=portfolio, code=code, manager=manager) for code in ("A-1", "B-2")
    ]
    for project in projects:
        StatusReportFactory(
            project=project, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31)
        )
    return manager, projects


def _submit(project, start, end):
    StatusReportFactory(project=project, period_start=start, period_end=end, state="submitted")


def test_due_then_overdue_then_submitted_stops_the_reminders(smtp_inbox, managed):
    manager, (a, b) = managed
    assert reminders.send_report_reminders(today=date(2026, 11, 26)) == 0  # 4 days ahead
    assert smtp_inbox.take() == []

    assert reminders.send_report_reminders(today=date(2026, 11, 27)) == 2  # 3 days ahead
    mails = smtp_inbox.take()
    assert sorted(subject for _to, subject, _t, _m in mails) == [
        "A-1: status report for November 2026 due 30 Nov",
        "B-2: status report for November 2026 due 30 Nov",
    ]
    to, _subject, text, message = mails[0]
    assert to == "jordan@example.com"
    report_url = f"https://slate.example.com/projects/{a.pk}/reports/2026-11-01/"
    assert report_url in text and report_url in message.get_body(("html",)).get_content()
    assert "in 3 days" in text
    assert reminders.send_report_reminders(today=date(2026, 11, 28)) == 0  # once per kind
    assert smtp_inbox.take() == []

    _submit(b, NOV, date(2026, 11, 30))  # B reports; A does not
    assert reminders.send_report_reminders(today=date(2026, 12, 1)) == 1
    [(to, subject, text, _message)] = smtp_inbox.take()
    assert subject == "A-1: status report for November 2026 is overdue"
    assert "1 day late" in text
    assert reminders.send_report_reminders(today=date(2026, 12, 5)) == 0
    assert smtp_inbox.take() == []

    _submit(a, NOV, date(2026, 11, 30))  # late, but in: no more about November
    assert reminders.send_report_reminders(today=date(2026, 12, 20)) == 0
    assert smtp_inbox.take() == []
    kinds = sorted(ReportReminder.objects.values_list("project__code", "period_start", "kind"))
    assert kinds == [
        ("A-1", NOV, ReminderKind.DUE),
        ("A-1", NOV, ReminderKind.OVERDUE),
        ("B-2", NOV, ReminderKind.DUE),
    ]
    # The next period starts its own reminders.
    assert reminders.send_report_reminders(today=date(2026, 12, 28)) == 2
    assert {subject for _to, subject, _t, _m in smtp_inbox.take()} == {
        "A-1: status report for December 2026 due 31 Dec",
        "B-2: status report for December 2026 due 31 Dec",
    }


def test_a_duplicate_beat_tick_sends_nothing_twice(settings, smtp_inbox, managed):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from reporting.tasks import send_report_reminders

    today = date(2026, 12, 1)
    assert reminders.send_report_reminders(today=today) == 2  # both November reports overdue
    assert reminders.send_report_reminders(today=today) == 0  # the same tick again
    assert len(smtp_inbox.take()) == 2
    # Through Celery, twice (today is the real date: at most one send per duty, never two).
    first, second = send_report_reminders.delay().get(), send_report_reminders.delay().get()
    assert second == 0
    assert len(smtp_inbox.take()) == first


def test_a_row_claimed_by_another_worker_is_not_sent_again(smtp_inbox, managed):
    manager, (a, b) = managed
    ReportReminder.objects.create(
        kind=ReminderKind.DUE, portfolio=a.portfolio, project=a, period_start=NOV,
        recipient=manager, email=manager.email,
    )  # fmt: skip
    assert reminders.send_report_reminders(today=date(2026, 11, 29)) == 1
    assert [subject for _to, subject, _t, _m in smtp_inbox.take()] == [
        "B-2: status report for November 2026 due 30 Nov"
    ]


def test_a_failed_send_leaves_no_claim_and_the_next_tick_sends(settings, smtp_inbox, managed):
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = _free_port()  # nothing listens there
    assert reminders.send_report_reminders(today=date(2026, 11, 29)) == 0
    assert not ReportReminder.objects.exists()
    settings.EMAIL_PORT = working_port
    assert reminders.send_report_reminders(today=date(2026, 11, 29)) == 2
    assert len(smtp_inbox.take()) == 2


def test_unsubscribed_users_get_nothing(client, smtp_inbox, managed):
    manager, _projects = managed
    assert reminders.send_report_reminders(today=date(2026, 11, 27)) == 2
    _to, _subject, text, message = smtp_inbox.take()[0]
    unsubscribe_url = message["List-Unsubscribe"].strip().strip("<>")
    assert message["List-Unsubscribe-Post"].strip() == "List-Unsubscribe=One-Click"
    assert unsubscribe_url in text
    path = unsubscribe_url.removeprefix("https://slate.example.com")
    assert client.get(path).status_code == 200
    assert not ReminderOptOut.objects.exists()  # GET changes nothing
    assert client.post(path).status_code == 200  # the mail client's one click, no session
    assert ReminderOptOut.objects.filter(user=manager, topic="reports").exists()

    assert reminders.send_report_reminders(today=date(2026, 12, 1)) == 0  # overdue: silent
    assert smtp_inbox.take() == []
    forged = reverse("reporting:reminder-unsubscribe", args=["forged"])
    assert client.post(forged).status_code == 200
    assert ReminderOptOut.objects.count() == 1


def test_portfolio_setting_turns_reminders_off(smtp_inbox, managed, portfolio):
    portfolio.reminders_enabled = False
    portfolio.save()
    assert reminders.send_report_reminders(today=date(2026, 11, 27)) == 0
    assert reminders.send_missing_report_lists(today=date(2026, 11, 30)) == 0
    assert smtp_inbox.take() == []


def test_weekly_missing_list_goes_to_the_pmo_once_a_week(client, smtp_inbox, managed, portfolio):
    _manager, (a, b) = managed
    hidden_elsewhere = ProjectFactory(code="ELSE-1")  # another portfolio's: never listed
    StatusReportFactory(project=hidden_elsewhere, period_start=NOV, period_end=date(2026, 11, 30))
    pmo = MembershipFactory(portfolio=portfolio, role="pmo", user__email="pmo@example.com").user
    manager_of = MembershipFactory(
        portfolio=portfolio, role="portfolio_manager", user__email="pm@example.com"
    ).user
    MembershipFactory(portfolio=portfolio, role="executive", user__email="exec@example.com")
    MembershipFactory(portfolio=portfolio, role="viewer", user__email="viewer@example.com")
    _submit(b, NOV, date(2026, 11, 30))

    monday = date(2026, 11, 30)
    assert reminders.send_missing_report_lists(today=monday) == 2
    mails = smtp_inbox.take()
    assert sorted(to for to, *_ in mails) == ["pm@example.com", "pmo@example.com"]
    _to, subject, text, message = mails[0]
    assert subject == f"{portfolio.name}: 1 status report missing"
    assert "A-1" in text and "B-2" not in text and "ELSE-1" not in text
    missing_url = f"https://slate.example.com/portfolios/{portfolio.code}/missing-reports/"
    assert missing_url in text and missing_url in message.get_body(("html",)).get_content()
    # A duplicate tick, and any later day of the same week: nothing.
    assert reminders.send_missing_report_lists(today=monday) == 0
    assert reminders.send_missing_report_lists(today=date(2026, 12, 3)) == 0
    assert smtp_inbox.take() == []

    # The portfolio manager unsubscribes; next week only the PMO gets the list.
    path = message["List-Unsubscribe"].strip().strip("<>")
    path = path.removeprefix("https://slate.example.com")
    assert client.post(path).status_code == 200
    recipient = ReminderOptOut.objects.get().user
    assert recipient in (pmo, manager_of)
    assert reminders.send_missing_report_lists(today=date(2026, 12, 7)) == 1
    [(to, *_rest)] = smtp_inbox.take()
    assert to != recipient.email


def test_nothing_missing_sends_no_list(smtp_inbox, managed, portfolio):
    _manager, (a, b) = managed
    MembershipFactory(portfolio=portfolio, role="pmo", user__email="pmo@example.com")
    for project in (a, b):
        _submit(project, NOV, date(2026, 11, 30))
    assert reminders.send_missing_report_lists(today=date(2026, 11, 2)) == 0
    assert smtp_inbox.take() == []


def test_migration_creates_the_reminder_schedules():
    tasks = {
        task.task: task for task in PeriodicTask.objects.filter(task__startswith="reporting.send_")
    }
    assert set(tasks) == {"reporting.send_report_reminders", "reporting.send_missing_report_lists"}
    assert tasks["reporting.send_missing_report_lists"].crontab.day_of_week == "1"
    assert all(task.enabled for task in tasks.values())


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_send_each_reminder_once(smtp_inbox, portfolio):
    """Two beat ticks running at the same moment in two connections (on PostgreSQL the second
    claim waits for the first to commit, then hits the unique constraint)."""
    portfolio.reminder_lead_days = 3
    portfolio.save()
    for n in range(6):
        manager = UserFactory(email=f"pm{n}@example.com")
        ProjectFactory(portfolio=portfolio, manager=manager, start_date=date(2026, 11, 1))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def tick():
        try:
            barrier.wait(timeout=10)
            results.append(reminders.send_report_reminders(today=date(2026, 11, 28)))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(results) == 6
    assert sorted(to for to, *_ in smtp_inbox.take()) == [f"pm{n}@example.com" for n in range(6)]
    assert ReportReminder.objects.count() == 6
