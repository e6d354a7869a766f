"""Importing a plan: what the preview says, what the import writes (all or nothing), that a
re-import updates rather than duplicates, and that a changed baseline becomes a change
request. Small plans are built here; the real files in shared/ are imported at the end."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects.imports import services as import_services
from projects.imports.plan import PlanFileError
from projects.imports.services import plan_import_apply, plan_import_stage
from projects.models import (
    Baseline,
    ChangeRequest,
    CostEntry,
    Milestone,
    PlanImport,
    Project,
    StatusReport,
)
from tests.factories import (
    MilestoneFactory,
    PortfolioFactory,
    ProjectFactory,
    StatusReportFactory,
    UserFactory,
)
from tests.permissions import rows
from tests.projects.mspdi_files import billing_plan, project_file

pytestmark = pytest.mark.django_db

EVERYTHING = rows(Project, Milestone, StatusReport, CostEntry, ChangeRequest, Baseline, PlanImport)


@pytest.fixture
def portfolio():
    return PortfolioFactory(code="ops", currency="EUR")


@pytest.fixture
def pmo(portfolio, member_of):
    return member_of(portfolio, "pmo")


def stage(by, data, *, portfolio, project=None, code="", name="", file_name="billing.xml"):
    return plan_import_stage(
        portfolio=portfolio,
        project=project,
        file_name=file_name,
        content=data,
        code=code,
        name=name,
        by=by,
    )


def import_plan(by, data, **options):
    plan_import, preview = stage(by, data, **options)
    plan_import_apply(plan_import=plan_import, fingerprint=preview.fingerprint, by=by)
    return preview


# --- A new project from the portfolio -----------------------------------------------------


def test_a_new_project_is_created_with_its_baseline_milestones_report_and_cost(portfolio, pmo):
    manager = UserFactory()
    plan_import, preview = stage(pmo, billing_plan(), portfolio=portfolio, code="BILL-9")
    plan_import.manager = manager
    plan_import.save()

    assert preview.project.action == "create"
    assert [step.action for step in preview.milestones] == ["create", "create"]
    assert preview.baseline.action == "set"
    assert (preview.report.action, preview.report.period) == ("create", "March 2026")
    assert (preview.cost.action, preview.cost.amount) == ("create", Decimal("12000.00"))
    assert not Project.objects.filter(code="BILL-9").exists()  # a preview writes nothing

    plan_import_apply(plan_import=plan_import, fingerprint=preview.fingerprint, by=pmo)

    project = Project.objects.get(portfolio=portfolio, code="BILL-9")
    assert project.name == "Billing replatform"
    assert project.stage == "candidate"
    assert project.manager == manager
    assert (project.start_date, project.end_date) == (date(2026, 1, 5), date(2026, 6, 30))
    assert (project.external_source, project.external_id) == (
        "mspdi",
        "8E3C1A52-0000-4000-8000-00000000A001",
    )
    # Baseline 0 of the plan is the project's first baseline.
    assert project.budget == Decimal("90000.00")
    assert (project.baseline_start, project.baseline_end) == (date(2026, 1, 5), date(2026, 6, 26))
    assert project.baseline_version == 0
    original = Baseline.objects.get(project=project)
    assert (original.version, original.budget) == (0, Decimal("90000.00"))
    signed_off, go_live = project.milestones.order_by("sequence")
    assert (signed_off.name, signed_off.external_id) == ("Design signed off", "2")
    assert (signed_off.status, signed_off.actual_date) == ("done", date(2026, 2, 27))
    assert signed_off.baseline_date == date(2026, 2, 27)
    assert (go_live.status, go_live.forecast_date) == ("planned", date(2026, 6, 30))
    assert go_live.baseline_date == date(2026, 6, 26)
    assert original.milestone_dates == {
        str(signed_off.pk): "2026-02-27",
        str(go_live.pk): "2026-06-26",
    }
    report = StatusReport.objects.get(project=project)
    assert (report.state, report.period_start) == ("draft", date(2026, 3, 1))
    assert report.percent_complete == Decimal("40.00")
    assert report.forecast_end == date(2026, 6, 30)
    assert report.forecast_cost == Decimal("100000.00")
    cost = CostEntry.objects.get(project=project)
    assert (cost.date, cost.amount, cost.category) == (
        date(2026, 3, 31),
        Decimal("12000.00"),
        "other",
    )
    assert cost.external_id == "plan-actual-cost:2026-03-31"
    plan_import.refresh_from_db()
    assert plan_import.applied_project == project
    assert not ChangeRequest.objects.exists()


def test_importing_the_same_file_again_updates_and_duplicates_nothing(portfolio, pmo):
    import_plan(pmo, billing_plan(), portfolio=portfolio, code="BILL-9")
    before = EVERYTHING()

    # The second time without a code: the plan's id finds the project.
    preview = import_plan(pmo, billing_plan(), portfolio=portfolio)

    assert (preview.project.action, preview.project.matched_by) == ("update", "plan id")
    assert preview.project.changes == ()
    assert [step.action for step in preview.milestones] == ["unchanged", "unchanged"]
    assert preview.baseline.action == "unchanged"
    assert preview.report.action == "unchanged"
    assert preview.cost.action == "unchanged"
    after = EVERYTHING()
    assert after[:-1] == before[:-1]  # only the kept upload is new
    assert Project.objects.count() == 1
    assert Milestone.objects.count() == 2
    assert CostEntry.objects.count() == 1
    assert StatusReport.objects.count() == 1


def test_a_changed_baseline_becomes_one_change_request(portfolio, pmo):
    import_plan(pmo, billing_plan(), portfolio=portfolio, code="BILL-9")
    project = Project.objects.get(code="BILL-9")
    go_live = project.milestones.get(name="Go live")
    replanned = billing_plan(baseline_cost=9_500_000, go_live_baseline="2026-07-03")

    preview = import_plan(pmo, replanned, portfolio=portfolio)

    assert preview.baseline.action == "propose"
    change = ChangeRequest.objects.get(project=project)
    assert change.status == "proposed"
    assert change.budget == Decimal("95000.00")
    assert (change.baseline_start, change.baseline_end) == (None, None)  # unchanged
    assert change.milestone_dates == {str(go_live.pk): "2026-07-03"}
    assert "billing.xml" in change.reason
    project.refresh_from_db()
    go_live.refresh_from_db()
    assert project.budget == Decimal("90000.00")  # not a silent edit
    assert go_live.baseline_date == date(2026, 6, 26)

    again = import_plan(pmo, replanned, portfolio=portfolio)
    assert (again.baseline.action, again.baseline.pending) == ("pending", change)
    assert ChangeRequest.objects.count() == 1


def test_a_later_status_date_adds_the_cost_since_and_an_older_file_adds_none(portfolio, pmo):
    import_plan(pmo, billing_plan(), portfolio=portfolio, code="BILL-9")
    april = billing_plan(status_date="2026-04-30", actual_cost=2_000_000, percent=55)

    preview = import_plan(pmo, april, portfolio=portfolio)

    assert (preview.cost.imported_before, preview.cost.amount) == (
        Decimal("12000"),
        Decimal("8000"),
    )
    amounts = list(CostEntry.objects.order_by("date").values_list("date", "amount"))
    assert amounts == [(date(2026, 3, 31), Decimal("12000")), (date(2026, 4, 30), Decimal("8000"))]
    assert StatusReport.objects.filter(percent_complete=Decimal("55")).count() == 1  # April's

    march_again = import_plan(pmo, billing_plan(), portfolio=portfolio)
    assert march_again.cost.action == "skipped"
    assert any("later status date (2026-04-30)" in w for w in march_again.warnings)
    assert CostEntry.objects.count() == 2


def test_a_project_managers_import_into_his_project_links_milestones_by_name(portfolio):
    manager = UserFactory()
    project = ProjectFactory(
        portfolio=portfolio, manager=manager, baseline_start=None, baseline_end=None
    )
    typed = MilestoneFactory(project=project, name="go live", weight=Decimal("30"))

    preview = import_plan(manager, billing_plan(), portfolio=portfolio, project=project)

    assert preview.project.matched_by == "this project"
    go_live_step = preview.milestones[1]
    assert (go_live_step.action, go_live_step.matched_by) == ("update", "name")
    typed.refresh_from_db()
    assert (typed.external_id, typed.name, typed.weight) == ("4", "Go live", Decimal("30"))
    assert project.milestones.count() == 2
    project.refresh_from_db()
    assert project.external_id == "8E3C1A52-0000-4000-8000-00000000A001"
    assert project.baseline_start == date(2026, 1, 5)  # it had none: the plan's is the first


def test_a_submitted_report_is_kept_as_it_is(portfolio, pmo):
    project = ProjectFactory(portfolio=portfolio, code="BILL-9")
    submitted = StatusReportFactory(project=project, percent_complete=Decimal("35"))

    preview = import_plan(pmo, billing_plan(), portfolio=portfolio, code="BILL-9")

    assert (preview.project.matched_by, preview.report.action) == ("code", "submitted")
    assert any("March 2026 report is already submitted" in w for w in preview.warnings)
    submitted.refresh_from_db()
    assert submitted.percent_complete == Decimal("35")


# --- Refusals: nothing is written ---------------------------------------------------------


def test_a_corrupted_file_writes_nothing(portfolio, pmo):
    before = EVERYTHING()
    truncated = billing_plan()[:700]
    with pytest.raises(PlanFileError) as caught:
        stage(pmo, truncated, portfolio=portfolio, code="BILL-9")
    assert "not well-formed XML" in caught.value.problems[0]
    assert EVERYTHING() == before


def test_a_new_project_needs_a_code(portfolio, pmo):
    with pytest.raises(ValidationError) as caught:
        stage(pmo, billing_plan(), portfolio=portfolio)
    assert "give the new project a code" in caught.value.message_dict["code"][0]
    assert not PlanImport.objects.exists()


def test_a_status_date_after_today_is_refused(portfolio, pmo):
    with pytest.raises(PlanFileError) as caught:
        stage(pmo, billing_plan(status_date="2099-01-01"), portfolio=portfolio, code="X-1")
    assert "status date (2099-01-01) is after today" in caught.value.problems[0]


def test_a_plan_of_another_project_is_refused(portfolio, pmo):
    import_plan(pmo, billing_plan(), portfolio=portfolio, code="BILL-9")
    other = ProjectFactory(portfolio=portfolio, code="OTHER")
    with pytest.raises(PlanFileError) as caught:
        stage(pmo, billing_plan(), portfolio=portfolio, project=other)
    assert caught.value.problems == [
        "This plan was imported as BILL-9 “Billing replatform”: import it there, not here."
    ]
    another_plan = billing_plan(guid="{00000000-0000-4000-8000-00000000BBBB}")
    with pytest.raises(PlanFileError) as caught:
        stage(pmo, another_plan, portfolio=portfolio, code="BILL-9")
    assert "BILL-9 was imported from another plan" in caught.value.problems[0]


def test_a_preview_gone_stale_is_refused(portfolio, pmo):
    import_plan(pmo, billing_plan(), portfolio=portfolio, code="BILL-9")
    plan_import, preview = stage(pmo, billing_plan(percent=60), portfolio=portfolio)
    report = StatusReport.objects.get()
    report.percent_complete = Decimal("45")  # the manager edits the draft meanwhile
    report.save()
    before = EVERYTHING()

    with pytest.raises(ValidationError) as caught:
        plan_import_apply(plan_import=plan_import, fingerprint=preview.fingerprint, by=pmo)

    assert caught.value.messages == [import_services.STALE_PREVIEW]
    assert EVERYTHING() == before


def test_a_failure_half_way_rolls_everything_back(portfolio, pmo, monkeypatch):
    plan_import, preview = stage(pmo, billing_plan(), portfolio=portfolio, code="BILL-9")
    before = EVERYTHING()

    def refuse(**kwargs):
        raise ValidationError("The report cannot be saved.")

    monkeypatch.setattr(import_services.services, "status_report_save", refuse)
    with pytest.raises(ValidationError):
        plan_import_apply(plan_import=plan_import, fingerprint=preview.fingerprint, by=pmo)
    assert EVERYTHING() == before  # no project, milestone or baseline was left behind


def test_an_import_is_applied_once(portfolio, pmo):
    plan_import, preview = stage(pmo, billing_plan(), portfolio=portfolio, code="BILL-9")
    plan_import_apply(plan_import=plan_import, fingerprint=preview.fingerprint, by=pmo)
    with pytest.raises(ValidationError, match="already imported"):
        plan_import_apply(plan_import=plan_import, fingerprint=preview.fingerprint, by=pmo)
    assert Project.objects.count() == 1


def test_who_may_import(portfolio, pmo, member_of):
    project = ProjectFactory(portfolio=portfolio, manager=UserFactory())
    for role in ("executive", "viewer", "resource_manager"):
        reader = member_of(portfolio, role)
        with pytest.raises(PermissionDenied):
            stage(reader, billing_plan(), portfolio=portfolio, code="NEW-1")
        with pytest.raises(PermissionDenied):
            stage(reader, billing_plan(), portfolio=portfolio, project=project)
    # A project's manager imports into his project, not new projects into the portfolio.
    with pytest.raises(PermissionDenied):
        stage(project.manager, billing_plan(), portfolio=portfolio, code="NEW-1")
    stage(project.manager, billing_plan(), portfolio=portfolio, project=project)
    # Only the person who uploaded a file imports it.
    plan_import, preview = stage(pmo, billing_plan(), portfolio=portfolio, code="NEW-1")
    other_pmo = member_of(portfolio, "pmo")
    with pytest.raises(PermissionDenied):
        plan_import_apply(plan_import=plan_import, fingerprint=preview.fingerprint, by=other_pmo)
    assert not Project.objects.filter(code="NEW-1").exists()


# --- The real files in shared/ ------------------------------------------------------------

REAL_FILES = {
    # file: (milestones, BAC, the draft report's period, actual-cost entries)
    "sample.xml": (["Third task"], Decimal("3526.25"), date(2003, 2, 1), 0),
    "sample1.xml": (["Third task"], Decimal("4171.25"), date(2003, 12, 1), 0),
    "baselines.xml": ([], Decimal("0.00"), date(2008, 2, 1), 0),
    "task-costs-project2016-mspdi.xml": ([], Decimal("0.00"), date(2016, 2, 1), 0),
    "task-dates-project2019-mspdi.xml": ([], Decimal("0.00"), date(2018, 10, 1), 0),
}


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_each_real_file_imports_and_reimports_without_duplicates(name, portfolio, pmo):
    milestones, budget, period_start, cost_entries = REAL_FILES[name]
    data = project_file(name).read_bytes()

    import_plan(pmo, data, portfolio=portfolio, code="REAL-1", file_name=name)

    project = Project.objects.get(portfolio=portfolio, code="REAL-1")
    assert list(project.milestones.values_list("name", flat=True)) == milestones
    assert project.budget == budget
    assert project.baseline_start is None  # none of them has a baseline 0
    report = StatusReport.objects.get(project=project)
    assert (report.state, report.period_start, report.percent_complete) == (
        "draft",
        period_start,
        Decimal("0"),
    )
    assert project.cost_entries.count() == cost_entries
    before = EVERYTHING()

    again = import_plan(pmo, data, portfolio=portfolio, code="REAL-1", file_name=name)

    assert again.project.action == "update"
    assert EVERYTHING()[:-1] == before[:-1]


def test_a_corrupted_real_file_writes_nothing(portfolio, pmo):
    data = project_file("sample.xml").read_bytes()
    corrupted = data[: len(data) // 2]  # cut off mid-transfer
    before = EVERYTHING()
    with pytest.raises(PlanFileError) as caught:
        stage(pmo, corrupted, portfolio=portfolio, code="SMP", file_name="sample.xml")
    assert caught.value.problems[0].startswith("The file is not well-formed XML")
    assert EVERYTHING() == before


def test_sample_xml_in_detail(portfolio, pmo):
    preview = import_plan(
        pmo, project_file("sample.xml").read_bytes(), portfolio=portfolio, code="SMP"
    )
    project = Project.objects.get(code="SMP")
    assert (project.name, project.start_date, project.end_date) == (
        "sample",
        date(2003, 1, 7),
        date(2003, 3, 18),
    )
    (third,) = project.milestones.all()
    assert (third.forecast_date, third.baseline_date, third.external_id) == (
        date(2003, 1, 7),
        None,
        "3",
    )
    report = project.status_reports.get()
    assert (report.forecast_end, report.forecast_cost) == (date(2003, 3, 18), Decimal("3526.25"))
    assert preview.baseline.action == "absent"
    assert preview.cost.action == "none"  # nothing spent yet
    assert any("other 18 tasks" in warning for warning in preview.warnings)
    assert any("current date (2003-02-19)" in warning for warning in preview.warnings)


def test_a_file_with_a_plan_id_is_found_again_whatever_code_is_given(portfolio, pmo):
    data = project_file("task-dates-project2019-mspdi.xml").read_bytes()
    import_plan(pmo, data, portfolio=portfolio, code="DATES")
    preview = import_plan(pmo, data, portfolio=portfolio, code="SOMETHING-ELSE")
    assert (preview.project.matched_by, preview.project.code) == ("plan id", "DATES")
    assert Project.objects.count() == 1
