"""Status report pages: the period's form, the watermelon confirmation, read-only reports,
reopening, who may write, and the PMO's missing-reports page."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.models import Project, StatusReport
from tests.factories import (
    CostEntryFactory,
    MembershipFactory,
    MilestoneFactory,
    ProjectFactory,
    StatusReportFactory,
    UserFactory,
)
from tests.permissions import (
    EDITORS,
    REFUSED_STATUS,
    check_write_access,
    each_role,
    rows,
    user_in_role,
)

pytestmark = pytest.mark.django_db

MARCH = "2026-03-01"
TODAY = date(2026, 3, 15)

# Nothing disagrees: all green, 25 % done where the plan expects 24.45 % by 31 March
# (straight line over 2026), the budget as forecast, no costs yet.
CLEAN = {
    **{
        f"{name}_rag": "green"
        for name in ("overall", "schedule", "budget", "scope", "quality", "risk")
    },
    "percent_complete": "25",
    "forecast_end": "2026-12-31",
    "forecast_cost": "100000",  # required to submit; the budget, and no costs to disagree
    "summary": "On track: design signed off.",
    "accomplishments": "Design review.",
    "next_steps": "Build.",
    "escalations": "",
}


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture
def manager():
    return UserFactory(username="manager", first_name="Maria", last_name="Manager")


@pytest.fixture
def managed(portfolio, manager):
    return ProjectFactory(portfolio=portfolio, manager=manager, code="ECOM-1")


def report_url(project, period=MARCH):
    return reverse("projects:report", args=[project.pk, period])


def post_report(client, project, action="save", period=MARCH, **changes):
    return client.post(report_url(project, period), {**CLEAN, "action": action, **changes})


def march_report(project):
    return StatusReport.objects.filter(project=project, period_start=date(2026, 3, 1)).first()


# The form ------------------------------------------------------------------------------------


def test_manager_sees_a_form_prefilled_from_the_previous_report(client, managed, manager):
    StatusReportFactory(
        project=managed,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        schedule_rag="amber",
        percent_complete=Decimal("17.5"),
        summary="Vendor chosen.",
        accomplishments="Not carried forward.",
    )
    client.force_login(manager)
    response = client.get(report_url(managed))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["schedule_rag"] == "amber"
    assert form.initial["percent_complete"] == Decimal("17.5")
    assert form.initial["summary"] == "Vendor chosen."
    assert form.initial["accomplishments"] == ""
    content = response.content.decode()
    assert 'name="action" value="submit"' in content
    assert 'value="amber" class="rag-choice" id="id_schedule_rag_1" required checked' in content
    # The figures beside the form are for March, with the pre-filled % complete.
    assert response.context["cross_check"].as_of == date(2026, 3, 31)
    assert "Computed for this period" in content
    assert "Previous report" in content and "Vendor chosen." in content
    assert not StatusReport.objects.filter(period_start=date(2026, 3, 1)).exists()


def test_any_day_of_the_period_leads_to_the_period_start(client, managed, manager):
    client.force_login(manager)
    response = client.get(report_url(managed, "2026-03-17"))
    assert response.status_code == 302
    assert response["Location"] == report_url(managed)


@pytest.mark.parametrize("period", ["march", "2026-13-01", "2026-02-30"])
def test_a_bad_period_is_404(client, managed, manager, period):
    client.force_login(manager)
    assert client.get(report_url(managed, period)).status_code == 404


def test_current_redirects_to_this_periods_report(client, managed, manager):
    client.force_login(manager)
    response = client.get(reverse("projects:report-current", args=[managed.pk]))
    assert response.status_code == 302
    assert response["Location"] == report_url(managed, "2026-03-01")


def test_weekly_portfolio_reports_by_week(client, managed, manager):
    managed.portfolio.reporting_period = "weekly"
    managed.portfolio.save()
    client.force_login(manager)
    response = client.get(reverse("projects:report-current", args=[managed.pk]))
    assert response["Location"] == report_url(managed, "2026-03-09")  # Monday of 15 March
    page = client.get(response["Location"])
    assert page.context["periods"].label == "Week of 09 Mar 2026"


def test_save_creates_a_draft_and_redirects_with_a_message(client, managed, manager):
    client.force_login(manager)
    response = post_report(client, managed, "save")
    assert response.status_code == 302
    assert response["Location"] == report_url(managed)
    report = march_report(managed)
    assert (report.state, report.percent_complete, report.created_by) == (
        "draft",
        Decimal("25"),
        manager,
    )
    page = client.get(response["Location"])
    assert "Draft saved for March 2026." in page.content.decode()
    assert page.context["form"].initial["version"] == 1


def test_saving_a_draft_again_claims_its_version(client, managed, manager):
    client.force_login(manager)
    post_report(client, managed, "save")
    response = post_report(client, managed, "save", version="1", summary="Second thoughts.")
    assert response.status_code == 302
    report = march_report(managed)
    assert (report.summary, report.version) == ("Second thoughts.", 2)


def test_submit_submits(client, managed, manager):
    client.force_login(manager)
    response = post_report(client, managed, "submit")
    assert response.status_code == 302
    report = march_report(managed)
    assert (report.state, report.submitted_by) == ("submitted", manager)
    page = client.get(response["Location"])
    assert "Status report for March 2026 submitted." in page.content.decode()
    assert page.context["read_only"] is True


def test_submit_without_a_summary_is_refused_with_the_input_kept(client, managed, manager):
    client.force_login(manager)
    response = post_report(client, managed, "submit", summary=" ", percent_complete="26")
    assert response.status_code == 200
    assert response.context["form"].errors["summary"] == ["Write a summary before submitting."]
    assert 'value="26"' in response.content.decode()
    assert march_report(managed) is None


def test_the_forecast_cost_starts_empty_with_last_periods_and_the_computed_eac_beside_it(
    client, managed, manager
):
    StatusReportFactory(
        project=managed,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        percent_complete=Decimal("20"),
        forecast_cost=Decimal("95000"),
    )
    CostEntryFactory(project=managed, date=date(2026, 3, 10), amount=Decimal("25000"))
    client.force_login(manager)
    response = client.get(report_url(managed))
    form = response.context["form"]
    assert form.initial["percent_complete"] == Decimal("20")  # carried forward
    assert form.initial["forecast_cost"] is None  # not silently carried forward
    assert 'name="forecast_cost"' in (html := response.content.decode())
    assert 'name="forecast_cost" value=' not in html
    # Beside it: last period's forecast and BAC ÷ CPI at 31 March with the 20 % shown:
    # 100,000 × 25,000 / 20,000 = 125,000.
    help_text = html[html.index('class="help forecast-help"') :].split("</small>")[0]
    assert "Last period's forecast (Feb 2026)" in help_text, help_text
    assert "95,000" in help_text
    assert response.context["cross_check"].earned_value.computed_estimate_at_completion == (
        Decimal("125000")
    )
    assert "Computed EAC (BAC ÷ CPI) at 31 Mar" in help_text and "125,000" in help_text


def test_submit_without_a_forecast_cost_is_refused_with_the_input_kept(client, managed, manager):
    client.force_login(manager)
    response = post_report(client, managed, "submit", forecast_cost="", summary="Kept.")
    assert response.status_code == 200
    assert response.context["form"].errors["forecast_cost"] == [
        "Give the forecast cost at completion before submitting."
    ]
    assert "Kept." in response.content.decode()
    assert march_report(managed) is None
    # A draft may be saved without one.
    assert post_report(client, managed, "save", forecast_cost="").status_code == 302


def test_a_forecast_far_below_the_computed_eac_asks_for_confirmation(client, managed, manager):
    CostEntryFactory(project=managed, date=date(2026, 3, 10), amount=Decimal("40000"))
    client.force_login(manager)
    # 25 % done for 40,000: CPI 0.625, computed EAC 160,000; a 100,000 forecast is 37.5 %
    # below it, more than the 15 % amber band.
    response = post_report(client, managed, "submit", overall_rag="red", budget_rag="red")
    assert response.status_code == 200
    assert march_report(managed) is None
    disagreements = {d.code: d.message for d in response.context["cross_check"].disagreements}
    assert set(disagreements) == {"forecast_optimistic"}
    assert "USD 160,000" in disagreements["forecast_optimistic"]
    assert response.context["cross_check"].forecast_optimistic
    ok = post_report(
        client, managed, "submit", overall_rag="red", budget_rag="red", forecast_cost="160000"
    )
    assert ok.status_code == 302


def test_submit_watermelon_asks_for_confirmation_first(client, managed, manager):
    client.force_login(manager)
    response = post_report(client, managed, "submit", schedule_rag="red", summary="All fine.")
    assert response.status_code == 200
    assert march_report(managed) is None
    content = response.content.decode()
    assert "Not submitted yet: this report disagrees with the figures." in content
    assert "Overall is Green while Schedule is Red." in content
    assert 'name="confirm_disagreement"' in content
    assert "All fine." in content  # the input is kept
    codes = [d.code for d in response.context["cross_check"].disagreements]
    assert codes == ["green_with_red"]

    response = post_report(
        client,
        managed,
        "submit",
        schedule_rag="red",
        summary="All fine.",
        confirm_disagreement="1",
    )
    assert response.status_code == 302
    report = march_report(managed)
    assert (report.state, report.schedule_rag) == ("submitted", "red")


def test_each_disagreement_is_named(client, managed, manager):
    client.force_login(manager)
    response = post_report(
        client,
        managed,
        "submit",
        percent_complete="5",
        forecast_cost="150000",
        budget_rag="green",
    )
    assert march_report(managed) is None
    disagreements = {d.code: d.message for d in response.context["cross_check"].disagreements}
    # SPI = 5,000 / 24,450 → red; reported green.
    assert set(disagreements) == {
        "better_than_computed",
        "percent_off_plan",
        "forecast_over_budget",
    }
    assert disagreements["percent_off_plan"].startswith("5% complete is 19.45 points behind")
    assert "USD 150,000" in disagreements["forecast_over_budget"]
    assert response.context["cross_check"].is_watermelon


def test_saving_a_draft_that_disagrees_needs_no_confirmation(client, managed, manager):
    client.force_login(manager)
    response = post_report(client, managed, "save", schedule_rag="red")
    assert response.status_code == 302
    assert march_report(managed).state == "draft"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"percent_complete": "120"}, "percent_complete", "less than or equal to 100"),
        ({"forecast_cost": "-5"}, "forecast_cost", "cannot be negative"),
        ({"overall_rag": "purple"}, "overall_rag", "Select a valid choice"),
        ({"forecast_end": "soon"}, "forecast_end", "Enter a valid date"),
    ],
)
def test_bad_input_is_refused_with_field_errors_and_kept(
    client, managed, manager, changes, field, message
):
    client.force_login(manager)
    response = post_report(client, managed, "save", summary="Typed by hand.", **changes)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    content = response.content.decode()
    assert "Typed by hand." in content
    assert "field-invalid" in content
    assert march_report(managed) is None
    # Refused numbers or RAGs are not used for the figures beside the form.
    assert response.context["figures_from_input"] is (field == "forecast_end")


def test_a_stale_version_shows_what_changed_and_keeps_the_input(
    client, managed, manager, member_of
):
    report = StatusReportFactory(
        project=managed, period_start=date(2026, 3, 1), state="draft", summary="First."
    )
    pmo = member_of(managed.portfolio, "pmo")
    services.status_report_save(
        report=report, data={"summary": "PMO's correction."}, expected_version=1, by=pmo
    )
    client.force_login(manager)
    response = post_report(client, managed, "save", version="1", summary="Mine.")
    assert response.status_code == 409
    content = response.content.decode()
    assert f"Not saved: {pmo.username} changed this" in content
    assert "<td>Summary</td><td>First.</td>" in content
    assert "PMO&#x27;s correction." in content  # the table of what they changed
    assert "Mine." in content  # the input is kept
    assert 'name="version" value="2"' in content  # saving again is deliberate
    report.refresh_from_db()
    assert (report.summary, report.version) == ("PMO's correction.", 2)


def test_a_missing_action_saves_nothing(client, managed, manager):
    client.force_login(manager)
    response = client.post(report_url(managed), CLEAN)
    assert response.status_code == 200
    assert "Choose Save draft or Submit." in response.content.decode()
    assert march_report(managed) is None


# Submitted reports and reopening ---------------------------------------------------------------


@pytest.fixture
def submitted(managed):
    return StatusReportFactory(
        project=managed,
        period_start=date(2026, 3, 1),
        summary="Submitted summary.",
        submitted_at=timezone.make_aware(datetime(2026, 3, 30, 16, 0)),
    )


def test_submitted_report_is_read_only_for_the_manager(client, submitted, manager):
    client.force_login(manager)
    response = client.get(report_url(submitted.project))
    assert response.status_code == 200
    assert response.context["read_only"] is True
    content = response.content.decode()
    assert 'name="action"' not in content
    assert "Submitted summary." in content
    assert "Reopen for editing" not in content


def test_forged_save_of_a_submitted_report_is_refused(client, submitted, manager):
    client.force_login(manager)
    response = post_report(client, submitted.project, "save", version="1", summary="Rewritten.")
    assert response.status_code == 200
    assert "submitted and read-only" in response.content.decode()
    submitted.refresh_from_db()
    assert (submitted.summary, submitted.state, submitted.version) == (
        "Submitted summary.",
        "submitted",
        1,
    )


def test_pmo_sees_and_uses_the_reopen_button(client, submitted, member_of):
    pmo = member_of(submitted.project.portfolio, "pmo")
    client.force_login(pmo)
    page = client.get(report_url(submitted.project))
    assert "Reopen for editing" in page.content.decode()
    reopen = reverse("projects:report-reopen", args=[submitted.project_id, MARCH])
    response = client.post(reopen, {"version": "1"})
    assert response.status_code == 302
    assert response["Location"] == report_url(submitted.project)
    submitted.refresh_from_db()
    assert (submitted.state, submitted.version) == ("draft", 2)
    assert "Report reopened" in client.get(response["Location"]).content.decode()


def test_reopen_is_post_only(client, submitted, member_of):
    client.force_login(member_of(submitted.project.portfolio, "pmo"))
    reopen = reverse("projects:report-reopen", args=[submitted.project_id, MARCH])
    assert client.get(reopen).status_code == 405


def test_reopen_with_a_stale_version_says_so(client, submitted, member_of):
    client.force_login(member_of(submitted.project.portfolio, "pmo"))
    reopen = reverse("projects:report-reopen", args=[submitted.project_id, MARCH])
    response = client.post(reopen, {"version": "7"}, follow=True)
    assert "saved a newer version" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.state == "submitted"


def test_reopen_of_a_period_without_a_report_is_404(client, managed, member_of):
    client.force_login(member_of(managed.portfolio, "pmo"))
    reopen = reverse("projects:report-reopen", args=[managed.pk, MARCH])
    assert client.post(reopen, {"version": "1"}).status_code == 404


# Who may write ---------------------------------------------------------------------------------


@each_role
@pytest.mark.parametrize("action", ["save", "submit"])
def test_who_may_save_or_submit_a_report(client, role, managed, action):
    check_write_access(
        client,
        role,
        project=managed,
        url=report_url(managed),
        data={**CLEAN, "action": action},
        snapshot=rows(StatusReport),
        success_url=report_url(managed),
    )
    if role in EDITORS:
        assert march_report(managed).state == ("submitted" if action == "submit" else "draft")


@pytest.mark.parametrize(("who", "expected"), [("pmo_admin", 302), ("sponsor", 403)])
def test_pmo_admin_may_and_sponsor_may_not_save(client, managed, pmo_admin, who, expected):
    user = pmo_admin if who == "pmo_admin" else UserFactory()
    Project.objects.filter(pk=managed.pk).update(sponsor=user)
    client.force_login(user)
    assert post_report(client, managed, "save").status_code == expected
    assert (march_report(managed) is not None) is (expected == 302)


@each_role
def test_who_may_reopen(client, role, submitted):
    """Reopening is the PMO's: the project manager is refused like a reader."""
    project = submitted.project
    user = user_in_role(role, project)
    if user is not None:
        client.force_login(user)
    reopen = reverse("projects:report-reopen", args=[project.pk, MARCH])
    response = client.post(reopen, {"version": "1"})
    submitted.refresh_from_db()
    if role in ("pmo", "portfolio_manager"):
        assert response.status_code == 302
        assert submitted.state == "draft"
    else:
        assert response.status_code == {**REFUSED_STATUS, "manager": 403}[role]
        assert (submitted.state, submitted.version) == ("submitted", 1)


@pytest.mark.parametrize("role", ["executive", "viewer"])
def test_readers_see_the_report_read_only(client, submitted, role):
    client.force_login(MembershipFactory(portfolio=submitted.project.portfolio, role=role).user)
    response = client.get(report_url(submitted.project))
    assert response.status_code == 200
    assert response.context["read_only"] is True
    assert response.context["can_reopen"] is False
    assert 'name="action"' not in response.content.decode()


def test_readers_of_a_period_without_a_report_see_an_empty_state(client, managed):
    client.force_login(MembershipFactory(portfolio=managed.portfolio, role="viewer").user)
    response = client.get(report_url(managed))
    assert response.status_code == 200
    assert "No report for March 2026 yet." in response.content.decode()
    assert response.context["cross_check"] is None


def test_forged_submit_with_confirmation_by_a_reader_is_403(client, managed):
    client.force_login(MembershipFactory(portfolio=managed.portfolio, role="executive").user)
    response = post_report(client, managed, "submit", schedule_rag="red")  # would ask to confirm
    assert response.status_code == 403
    assert march_report(managed) is None


def test_outsider_gets_404_for_every_report_page(client, managed):
    client.force_login(UserFactory())
    assert client.get(report_url(managed)).status_code == 404
    assert client.get(reverse("projects:report-current", args=[managed.pk])).status_code == 404


def test_anonymous_is_sent_to_log_in(client, managed):
    response = client.get(report_url(managed))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# Missing reports -------------------------------------------------------------------------------

FEB = (date(2026, 2, 1), date(2026, 2, 28))
MAR = (date(2026, 3, 1), date(2026, 3, 31))


def _report(project, period, state="submitted", **extra):
    return StatusReportFactory(
        project=project, period_start=period[0], period_end=period[1], state=state, **extra
    )


@pytest.fixture
def chase(portfolio, other_portfolio):
    """One project in each situation the page distinguishes."""
    pm = UserFactory(username="pat", first_name="Pat", last_name="Lee", email="pat@example.com")

    def make(code, **fields):
        return ProjectFactory(portfolio=portfolio, code=code, manager=pm, **fields)

    reported = make("A-REPORTED")
    _report(reported, FEB)
    _report(reported, MAR)
    drafting = make("B-DRAFT")
    _report(drafting, FEB, submitted_at=timezone.make_aware(datetime(2026, 3, 2, 9, 0)))
    _report(drafting, MAR, state="draft")
    silent = make("C-SILENT")
    only_late = make("D-LATE-ONLY")
    _report(only_late, MAR)
    _report(only_late, (date(2025, 12, 1), date(2025, 12, 31)))
    make("E-IDEA", stage="idea")
    make("F-CLOSED", stage="closed")
    new = make("G-NEW", start_date=date(2026, 3, 10))
    make("H-FUTURE", stage="approved", start_date=date(2026, 6, 1))
    ProjectFactory(portfolio=other_portfolio, code="Z-ELSEWHERE")
    return {"drafting": drafting, "silent": silent, "only_late": only_late, "new": new}


def missing_url(portfolio):
    return reverse("portfolio:missing-reports", args=[portfolio.code])


def test_missing_reports_lists_what_to_chase(client, portfolio, chase, member_of):
    client.force_login(member_of(portfolio, "pmo"))
    response = client.get(missing_url(portfolio))
    assert response.status_code == 200
    rows = {row.project.code: row for row in response.context["rows"]}
    # Late ones first, then by code.
    assert list(rows) == ["C-SILENT", "D-LATE-ONLY", "B-DRAFT", "G-NEW"]
    assert [rows[code].project.is_late for code in rows] == [True, True, False, False]
    assert rows["B-DRAFT"].project.current_state == "draft"
    assert rows["B-DRAFT"].last_submitted_label == "February 2026"
    assert rows["B-DRAFT"].days_since_submitted == 13  # submitted 2 March
    assert rows["D-LATE-ONLY"].last_submitted_label == "March 2026"
    assert rows["C-SILENT"].last_submitted_label == ""
    assert rows["C-SILENT"].days_since_submitted is None
    content = response.content.decode()
    assert "mailto:pat@example.com" in content
    assert "Pat Lee" in content
    assert "Late" in content and "Draft" in content and "Never" in content


def test_missing_reports_empty_state(client, portfolio, member_of):
    done = ProjectFactory(portfolio=portfolio)
    _report(done, FEB)
    _report(done, MAR)
    client.force_login(member_of(portfolio, "portfolio_manager"))
    response = client.get(missing_url(portfolio))
    assert response.status_code == 200
    assert "Every active project has reported for March 2026." in response.content.decode()


def test_missing_reports_is_paginated(client, portfolio, member_of, settings):
    settings.SLATE_PAGE_SIZE = 2
    for number in range(5):
        ProjectFactory(portfolio=portfolio, code=f"P-{number}")
    client.force_login(member_of(portfolio, "pmo"))
    response = client.get(missing_url(portfolio), {"page": 3})
    assert [row.project.code for row in response.context["rows"]] == ["P-4"]
    assert response.context["page_obj"].paginator.count == 5


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("pmo", 200),
        ("portfolio_manager", 200),
        ("pmo_admin", 200),
        ("executive", 403),
        ("viewer", 403),
        ("resource_manager", 403),
        ("project_manager", 403),
        ("outsider", 404),
    ],
)
def test_who_sees_missing_reports(client, portfolio, pmo_admin, who, expected):
    if who == "pmo_admin":
        user = pmo_admin
    elif who == "project_manager":  # sees the portfolio through their project only
        user = UserFactory()
        ProjectFactory(portfolio=portfolio, manager=user)
    elif who == "outsider":
        user = MembershipFactory(role="pmo").user
    else:
        user = MembershipFactory(portfolio=portfolio, role=who).user
    client.force_login(user)
    assert client.get(missing_url(portfolio)).status_code == expected


def test_missing_reports_of_an_unknown_portfolio_is_404(client, pmo_admin):
    client.force_login(pmo_admin)
    assert client.get(reverse("portfolio:missing-reports", args=["nope"])).status_code == 404


# Session, user, the user's and their groups' permissions (is_pmo_admin), portfolio, membership
# role (can_manage_portfolio), page count, page rows.
MISSING_REPORTS_QUERIES = 8


@pytest.mark.parametrize("count", [5, 50])
def test_missing_reports_query_count_is_constant(
    client, portfolio, member_of, django_assert_max_num_queries, settings, count
):
    settings.SLATE_PAGE_SIZE = 100
    managers = UserFactory.create_batch(3)
    projects = Project.objects.bulk_create(
        ProjectFactory.build(portfolio=portfolio, manager=managers[n % 3]) for n in range(count)
    )
    StatusReport.objects.bulk_create(
        StatusReportFactory.build(
            project=project, period_start=FEB[0], period_end=FEB[1], state=state
        )
        for project, state in zip(projects, ["submitted", "draft"] * count, strict=False)
    )
    client.force_login(member_of(portfolio, "pmo"))
    with django_assert_max_num_queries(MISSING_REPORTS_QUERIES):
        response = client.get(missing_url(portfolio))
    assert len(response.context["rows"]) == count
    assert response.context["rows"][0].project.manager.email


# Session, user, the user's and their groups' permissions, project (with portfolio, program,
# manager, sponsor), this period's report, the previous one to pre-fill from, actual cost,
# milestone weights, the previous report for reference. (The manager's right to edit needs
# no query; a PMO's adds their membership role.)
REPORT_PAGE_QUERIES = 10


@pytest.mark.parametrize("months", [2, 12])
def test_report_page_query_count_is_constant(
    client, managed, manager, django_assert_num_queries, months
):
    for number in range(months):
        year, month = divmod(2026 * 12 + 2 - number - 1, 12)
        start = date(year, month + 1, 1)
        _report(managed, (start, start.replace(day=28)))
        CostEntryFactory(project=managed, date=start)
        MilestoneFactory(project=managed, weight=Decimal("1"))
    client.force_login(manager)
    client.get(report_url(managed))  # a first request fills caches the others reuse
    with django_assert_num_queries(REPORT_PAGE_QUERIES):
        response = client.get(report_url(managed))
    assert response.context["previous_report"].period_start == date(2026, 2, 1)
