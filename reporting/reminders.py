"""Status-report reminders by e-mail, sent by Celery beat (schedules: migration
0006_reminder_schedules): a project's manager is told N days before a report is due (the
portfolio's `reminder_lead_days`) and again once it is overdue; the portfolio's PMO and
portfolio managers get a weekly list of the reports missing. Portfolios turn them off with
`reminders_enabled`.

Each reminder is sent at most once per (project, period, kind), or per (portfolio, week,
recipient) for the list: the `ReportReminder` row is inserted, and the unique constraint
checked, in the same transaction that re-checks the report and sends the mail, so a duplicate
beat tick, a retry or a second worker sends nothing twice, and a failed send frees the claim
for the next tick. Same mail path as the review digests (`reporting.digests`): HTML and text,
absolute links on SITE_URL, a signed one-click unsubscribe."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import partial

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from core.access import EDITOR_ROLES
from portfolio.models import Portfolio, PortfolioMembership
from projects import selectors as project_selectors
from projects.models import Project, ReportState, StatusReport
from projects.periods import period_containing
from reporting.digests import absolute, unsubscribable_message
from reporting.models import ReminderKind, ReminderOptOut, ReminderTopic, ReportReminder

logger = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "slate.reminder.unsubscribe"
# The weekly list names this many projects, then links to the missing-reports page for more.
LIST_LIMIT = 25
TOPIC_OF = {
    ReminderKind.DUE: ReminderTopic.REPORTS,
    ReminderKind.OVERDUE: ReminderTopic.REPORTS,
    ReminderKind.MISSING_LIST: ReminderTopic.MISSING_LIST,
}


# --- Unsubscribe ---------------------------------------------------------------------------


def unsubscribe_token(user, topic: str) -> str:
    return signing.dumps([user.pk, topic], salt=UNSUBSCRIBE_SALT)


@dataclass(frozen=True)
class Unsubscribe:
    user: object
    topic: str

    @property
    def topic_label(self) -> str:
        return ReminderTopic(self.topic).label


def unsubscribe_from_token(token: str) -> Unsubscribe | None:
    try:
        pk, topic = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    user = get_user_model().objects.filter(pk=pk).first()
    if user is None or topic not in ReminderTopic.values:
        return None
    return Unsubscribe(user=user, topic=topic)


def opt_out(*, user, topic: str) -> None:
    ReminderOptOut.objects.get_or_create(user=user, topic=topic)


def _wants(topic: str):
    """Users who have not unsubscribed from `topic` and can receive mail."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .exclude(reminder_opt_outs__topic=topic)
    )


# --- Messages ------------------------------------------------------------------------------


def _message(*, user, topic: str, subject: str, template: str, context: dict):
    unsubscribe_url = absolute(
        reverse("reporting:reminder-unsubscribe", args=[unsubscribe_token(user, topic)])
    )
    context = {
        **context,
        "user": user,
        "topic_label": ReminderTopic(topic).label.lower(),
        "my_work_url": absolute(reverse("reporting:my-work")),
        "unsubscribe_url": unsubscribe_url,
    }
    return unsubscribable_message(
        to=user.email,
        subject=subject,
        text=render_to_string(f"reporting/email/{template}.txt", context),
        html=render_to_string(f"reporting/email/{template}.html", context),
        unsubscribe_url=unsubscribe_url,
    )


def report_reminder_message(duty: project_selectors.ReportDuty, kind: str):
    project = duty.project
    when = (
        f"was due on {duty.due_on:%d %b %Y}"
        if duty.is_late
        else f"is due on {duty.due_on:%d %b %Y}"
    )
    subject = f"{project.code}: status report for {duty.period_label} " + (
        "is overdue" if kind == ReminderKind.OVERDUE else f"due {duty.due_on:%d %b}"
    )
    return _message(
        user=project.manager,
        topic=ReminderTopic.REPORTS,
        subject=subject,
        template="report_reminder",
        context={
            "duty": duty,
            "project": project,
            "overdue": kind == ReminderKind.OVERDUE,
            "when": when,
            "report_url": absolute(
                reverse("projects:report", args=[project.pk, duty.period_start.isoformat()])
            ),
        },
    )


def missing_list_message(*, user, portfolio: Portfolio, missing, rows, more: int):
    count = len(rows) + more
    return _message(
        user=user,
        topic=ReminderTopic.MISSING_LIST,
        subject=f"{portfolio.name}: {count} status report{'' if count == 1 else 's'} missing",
        template="missing_reports",
        context={
            "portfolio": portfolio,
            "missing": missing,
            "rows": [
                (row, absolute(reverse("projects:detail", args=[row.project.pk]))) for row in rows
            ],
            "more": more,
            "missing_url": absolute(reverse("portfolio:missing-reports", args=[portfolio.code])),
        },
    )


# --- Sending once --------------------------------------------------------------------------


def _send_once(claim: dict, build_message, still_needed=lambda: True) -> bool:
    """Claim the reminder row, check it is still needed, send, all in one transaction: a
    duplicate claim (the unique constraint; on PostgreSQL a concurrent one waits for ours to
    commit) sends nothing, and a failed send rolls the claim back for the next tick."""
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    ReportReminder.objects.create(**claim)
            except IntegrityError:
                return False  # sent already, or being sent by another worker now
            if not still_needed():
                transaction.set_rollback(True)
                return False
            build_message().send()
    except Exception:  # noqa: BLE001 - logged; the claim rolled back, the next tick retries
        logger.exception("reminder failed %s", {k: getattr(v, "pk", v) for k, v in claim.items()})
        return False
    return True


def _not_submitted(duty) -> bool:
    return not StatusReport.objects.filter(
        project=duty.project, period_start=duty.period_start, state=ReportState.SUBMITTED
    ).exists()


def send_report_reminders(*, today: date) -> int:
    """Remind each active project's manager of the current period's report from
    `reminder_lead_days` before its end, and of the previous period's once it is late; returns
    how many were sent now."""
    projects = (
        Project.objects.active()
        .filter(portfolio__reminders_enabled=True, manager__in=_wants(ReminderTopic.REPORTS))
        .select_related("manager")
    )
    sent = 0
    for duty in project_selectors.report_duties(projects=projects, today=today, older_drafts=False):
        if duty.is_late:
            kind = ReminderKind.OVERDUE
        elif duty.days <= duty.project.portfolio.reminder_lead_days:
            kind = ReminderKind.DUE
        else:
            continue
        manager = duty.project.manager
        claim = {
            "kind": kind,
            "portfolio": duty.project.portfolio,
            "project": duty.project,
            "period_start": duty.period_start,
            "recipient": manager,
            "email": manager.email,
        }
        sent += _send_once(
            claim, partial(report_reminder_message, duty, kind), partial(_not_submitted, duty)
        )
    return sent


def send_missing_report_lists(*, today: date) -> int:
    """Send each portfolio's PMO and portfolio managers the list of its missing status reports
    (as on the missing-reports page), once a week; returns how many were sent now. Portfolios
    with nothing missing send nothing."""
    week_start, _ = period_containing("weekly", today)
    recipients: dict[int, list] = {}
    for membership in (
        PortfolioMembership.objects.filter(
            role__in=EDITOR_ROLES,
            portfolio__reminders_enabled=True,
            user__in=_wants(ReminderTopic.MISSING_LIST),
        )
        .select_related("user")
        .order_by("portfolio_id", "user_id")
    ):
        recipients.setdefault(membership.portfolio_id, []).append(membership.user)
    sent = 0
    for portfolio in Portfolio.objects.filter(pk__in=list(recipients)).order_by("code"):
        missing = project_selectors.missing_reports(portfolio=portfolio, today=today)
        projects = list(missing.projects[: LIST_LIMIT + 1])
        if not projects:
            continue
        more = 0
        if len(projects) > LIST_LIMIT:
            more = missing.projects.count() - LIST_LIMIT
            projects = projects[:LIST_LIMIT]
        rows = project_selectors.missing_report_rows(
            projects, kind=portfolio.reporting_period, today=today
        )
        for user in recipients[portfolio.pk]:
            claim = {
                "kind": ReminderKind.MISSING_LIST,
                "portfolio": portfolio,
                "project": None,
                "period_start": week_start,
                "recipient": user,
                "email": user.email,
            }
            sent += _send_once(
                claim,
                partial(
                    missing_list_message,
                    user=user,
                    portfolio=portfolio,
                    missing=missing,
                    rows=rows,
                    more=more,
                ),  # fmt: skip
            )
    return sent
