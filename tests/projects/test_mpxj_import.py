"""Plan files MPXJ reads (.mpp, Primavera P6 XER, PMXML…), read by the worker's task: every
file in shared/fixtures/project-files/ imported (the MS Project XML ones through their own
path), re-imported without duplicates; a corrupted file and a file without project data
refused with the reason, nothing written.

The expected figures are the files' own: for the .mpp files, what MS Project wrote in the
XML saved from the same plan (sample.xml) or in the MSPDI MPXJ's own converter writes
(`MpxjConvert`), read by Slate's MS Project XML reader, not by the code tested here; for the
XER, its TASK table (target dates, remaining and target hours, physical %)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from projects.imports.services import plan_import_apply, plan_import_current_preview
from projects.models import (
    Baseline,
    ChangeRequest,
    CostEntry,
    Milestone,
    PlanImport,
    Project,
    StatusReport,
)
from tests.factories import PortfolioFactory
from tests.permissions import rows
from tests.projects.mpxj_support import require_java, upload
from tests.projects.mspdi_files import PROJECT_FILES, project_file

pytestmark = pytest.mark.django_db

PLAN_ROWS = rows(Project, Milestone, StatusReport, CostEntry, ChangeRequest, Baseline)


@pytest.fixture(autouse=True)
def java_and_eager_tasks(settings):
    require_java()
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def portfolio():
    return PortfolioFactory(code="ops", currency="EUR")


@pytest.fixture
def pmo(portfolio, member_of):
    return member_of(portfolio, "pmo")


@dataclass(frozen=True)
class Expected:
    reader: str  # the PlanImport's source once read
    tasks: int  # every task but the project's summary row
    summaries: int
    milestones: list[str]
    start: date
    finish: date
    cost: Decimal | None  # cost at completion
    actual_cost: Decimal | None
    baseline_cost: Decimal | None  # baseline 0's, the project's
    budget: Decimal  # the BAC the import gives a new project
    status_date: date | None
    external_id: str = ""
    extra: dict = field(default_factory=dict)


D = Decimal
REAL_FILES: dict[str, Expected] = {
    # sample.mpp is the plan of sample1.xml (MS Project's XML: 22 tasks, 4 summaries, cost
    # 4,171.25); it stores no status date (MPXJ's "current date" is then today: not taken).
    "sample.mpp": Expected(
        "mpp", 22, 4, ["Third task"], date(2003, 1, 7), date(2003, 3, 18),
        D("4171.25"), D("0.00"), None, D("4171.25"), None,
        "000E003E-0002-1E00-1115-1A100F7B035A",
    ),
    "sample1.mpp": Expected(
        "mpp", 4, 0, [], date(2003, 12, 9), date(2003, 12, 23),
        D("0.00"), D("0.00"), None, D("0.00"), None,
        "000E503E-0002-1E00-1115-1A100F646047",
    ),
    # Baseline 0 of the project summary row: 24 Aug – 13 Sep 2006 (the plan now ends 14 Sep).
    "mpp12baseline.mpp": Expected(
        "mpp", 14, 5, ["Complete"], date(2006, 8, 24), date(2006, 9, 14),
        D("0.00"), D("0.00"), D("0.00"), D("0.00"), None,
        "0EAF8C73-137A-40F2-ABC5-A2AA3C9D30DC",
        extra={"percent_complete": D("50.00"), "currency": "GBP"},
    ),
    # 12 activities under the project's WBS node; target dates 24 Feb – 13 Jul 2015, data
    # date 24 Feb 2015, no costs (no resource assignments). The project GUID is the PROJECT
    # row's guid (CFaGQJjaNUe8oPgT8ZvCBg, base64 of the GUID's bytes).
    "percent-complete-8.4.xer": Expected(
        "p6", 13, 1, [], date(2015, 2, 24), date(2015, 7, 13),
        None, None, None, D("0"), date(2015, 2, 24),
        "40865608-DA98-4735-BCA0-F813F19BC206",
        extra={"name": "Percent Complete Test"},
    ),
    # MS Project XML: read in the request by Slate's own reader (tests/projects/test_mspdi.py).
    "sample.xml": Expected(
        "mspdi", 19, 3, ["Third task"], date(2003, 1, 7), date(2003, 3, 18),
        D("3526.25"), D("0.00"), None, D("3526.25"), date(2003, 2, 19),
    ),
    "sample1.xml": Expected(
        "mspdi", 22, 4, ["Third task"], date(2003, 1, 7), date(2003, 3, 18),
        D("4171.25"), None, None, D("4171.25"), date(2003, 12, 1),
    ),
    "baselines.xml": Expected(
        "mspdi", 1, 0, [], date(2008, 1, 30), date(2008, 1, 31),
        D("0.00"), D("0.00"), None, D("0.00"), date(2008, 2, 1),
    ),
    "task-costs-project2016-mspdi.xml": Expected(
        "mspdi", 10, 0, [], date(2016, 2, 8), date(2016, 2, 8),
        D("0.00"), D("0.00"), None, D("0.00"), date(2016, 2, 8),
    ),
    "task-dates-project2019-mspdi.xml": Expected(
        "mspdi", 10, 0, [], date(2018, 10, 18), date(2018, 10, 18),
        D("0.00"), D("0.00"), None, D("0.00"), date(2018, 10, 18),
        "5BE6F9DB-DAD2-E811-AC3F-4CEDDE6E5B57",
    ),
}  # fmt: skip
REFUSED_FILES = {"README.md": "does not recognise this file as a project plan"}


def test_every_file_in_the_fixtures_folder_is_covered():
    project_file("README.md")  # skips when shared/ is absent
    names = {path.name for path in PROJECT_FILES.iterdir()}
    assert names == set(REAL_FILES) | set(REFUSED_FILES)


def _summary_line(name: str, plan_import: PlanImport, plan) -> str:
    return (
        f"{name:34} {plan_import.get_source_display():26} tasks {len(plan.tasks):3} "
        f"(summaries {plan.summary_task_count}, milestones {len(plan.milestones)}) "
        f"{plan.start}–{plan.finish} status {plan.status_date} cost {plan.cost} "
        f"actual {plan.actual_cost} baseline {plan.baseline and plan.baseline.cost}"
    )


@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_each_real_file_imports_and_reimports_without_duplicates(
    name, portfolio, pmo, django_capture_on_commit_callbacks
):
    expected = REAL_FILES[name]
    data = project_file(name).read_bytes()

    plan_import = upload(
        django_capture_on_commit_callbacks, pmo, data, portfolio=portfolio, file_name=name,
        code="REAL-1",
    )  # fmt: skip

    assert (plan_import.state, plan_import.problems) == ("ready", [])
    assert plan_import.source == expected.reader
    preview = plan_import_current_preview(plan_import=plan_import, by=pmo)
    plan = preview.plan
    print(_summary_line(name, plan_import, plan))
    assert len(plan.tasks) == expected.tasks
    assert plan.summary_task_count == expected.summaries
    assert [task.name for task in plan.milestones] == expected.milestones
    assert (plan.start, plan.finish) == (expected.start, expected.finish)
    assert (plan.cost, plan.actual_cost) == (expected.cost, expected.actual_cost)
    assert (plan.baseline and plan.baseline.cost) == expected.baseline_cost
    assert plan.status_date == expected.status_date
    assert plan.external_id == expected.external_id
    for attribute, value in expected.extra.items():
        assert getattr(plan, attribute) == value, attribute

    plan_import_apply(plan_import=plan_import, fingerprint=preview.fingerprint, by=pmo)

    project = Project.objects.get(portfolio=portfolio, code="REAL-1")
    assert (project.start_date, project.end_date) == (expected.start, expected.finish)
    assert project.budget == expected.budget
    assert sorted(project.milestones.values_list("name", flat=True)) == sorted(expected.milestones)
    before = PLAN_ROWS()

    again = upload(
        django_capture_on_commit_callbacks, pmo, data, portfolio=portfolio, file_name=name,
        code="REAL-1",
    )  # fmt: skip
    preview = plan_import_current_preview(plan_import=again, by=pmo)
    assert preview.project.action == "update"
    assert {step.action for step in preview.milestones} <= {"unchanged"}
    plan_import_apply(plan_import=again, fingerprint=preview.fingerprint, by=pmo)

    after = PLAN_ROWS()
    assert [len(table) for table in after] == [len(table) for table in before]
    assert Project.objects.filter(portfolio=portfolio).count() == 1


@pytest.mark.parametrize("name", sorted(REFUSED_FILES))
def test_a_file_without_project_data_is_refused_with_the_reason(
    name, portfolio, pmo, django_capture_on_commit_callbacks
):
    before = PLAN_ROWS()
    plan_import = upload(
        django_capture_on_commit_callbacks,
        pmo,
        project_file(name).read_bytes(),
        portfolio=portfolio,
        file_name=name,
        code="NOPE",
    )
    assert plan_import.state == "failed"
    assert REFUSED_FILES[name] in " ".join(plan_import.problems)
    assert bytes(plan_import.content) == b""  # a refused file is not kept
    assert PLAN_ROWS() == before


# --- Files built here (Java needed, shared/ not) --------------------------------------------


def xer(*tables) -> bytes:
    """A Primavera P6 export: its header, (table, fields, rows) tables, and its end line."""
    lines = ["ERMHDR\t8.4\t2026-03-31\tProject\tadmin\tadmin\tdbxDatabaseNoName\tPM\tEUR"]
    for name, names, records in tables:
        lines += [f"%T\t{name}", "%F\t" + "\t".join(names)]
        lines += ["%R\t" + "\t".join(record) for record in records]
    return ("\r\n".join([*lines, "%E"]) + "\r\n").encode()


PROJECT = (
    "PROJECT",
    ["proj_id", "proj_short_name", "plan_start_date", "last_recalc_date", "guid"],
    [["7", "BUILD", "2026-01-05 00:00", "2026-03-31 00:00", "CFaGQJjaNUe8oPgT8ZvCBg"]],
)
WBS = (
    "PROJWBS",
    ["wbs_id", "proj_id", "proj_node_flag", "wbs_short_name", "wbs_name", "parent_wbs_id"],
    [["70", "7", "Y", "BUILD", "Warehouse build", ""]],
)
ACTIVITY_FIELDS = [
    "task_id", "proj_id", "wbs_id", "task_code", "task_name", "task_type",
    "complete_pct_type", "phys_complete_pct", "status_code", "target_start_date",
    "target_end_date", "act_start_date", "remain_drtn_hr_cnt", "target_drtn_hr_cnt",
]  # fmt: skip
ACTIVITIES = (
    "TASK",
    ACTIVITY_FIELDS,
    [
        ["1", "7", "70", "A1000", "Foundations", "TT_Task", "CP_Phys", "40", "TK_Active",
         "2026-01-05 08:00", "2026-05-29 16:00", "2026-01-05 08:00", "480", "800"],
        ["2", "7", "70", "A1010", "Handover", "TT_FinMile", "CP_Drtn", "0", "TK_NotStart",
         "2026-05-29 16:00", "2026-05-29 16:00", "", "0", "0"],
    ],
)  # fmt: skip


def test_a_small_xer_becomes_a_project_with_its_milestone(
    portfolio, pmo, django_capture_on_commit_callbacks
):
    plan_import = upload(
        django_capture_on_commit_callbacks, pmo, xer(PROJECT, WBS, ACTIVITIES),
        portfolio=portfolio, file_name="build.xer", code="WH-1",
    )  # fmt: skip
    assert (plan_import.state, plan_import.source) == ("ready", "p6")
    preview = plan_import_current_preview(plan_import=plan_import, by=pmo)
    plan = preview.plan
    assert plan.name == "Warehouse build"
    assert plan.external_id == "40865608-DA98-4735-BCA0-F813F19BC206"
    assert [(t.name, t.is_summary, t.is_milestone) for t in plan.tasks] == [
        ("Warehouse build", True, False),  # the WBS node
        ("Foundations", False, False),
        ("Handover", False, True),
    ]
    assert [t.percent_complete for t in plan.tasks[1:]] == [D("40.00"), D("0.00")]  # physical
    assert (plan.start, plan.finish, plan.status_date) == (
        date(2026, 1, 5), date(2026, 5, 29), date(2026, 3, 31),
    )  # fmt: skip
    assert any("Primavera P6: baseline 0 is the activities' planned dates" in w
               for w in preview.warnings)  # fmt: skip

    plan_import_apply(plan_import=plan_import, fingerprint=preview.fingerprint, by=pmo)

    project = Project.objects.get(code="WH-1")
    (handover,) = project.milestones.all()
    assert (handover.name, handover.forecast_date, handover.external_id) == (
        "Handover", date(2026, 5, 29), "2",
    )  # fmt: skip
    assert (project.baseline_start, project.baseline_end) == (date(2026, 1, 5), date(2026, 5, 29))
    report = project.status_reports.get()
    assert (report.period_start, report.state) == (date(2026, 3, 1), "draft")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (xer(PROJECT), "Primavera P6 export (XER) but holds no project data"),
        (xer(PROJECT, WBS), "Primavera P6 export (XER) but holds no project data"),
        (xer(PROJECT, WBS, ACTIVITIES)[:-40], "cut short: it does not end with the “%E” line"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "Microsoft Office container"),
        (b"Name,Start,Finish\nBuild,2026-01-05,2026-05-29\n", "does not recognise this file"),
    ],
    ids=["xer-project-only", "xer-no-activities", "xer-cut-short", "ole2-empty", "csv"],
)
def test_files_without_project_data_are_refused_with_the_reason(
    data, reason, portfolio, pmo, django_capture_on_commit_callbacks
):
    before = PLAN_ROWS()
    plan_import = upload(
        django_capture_on_commit_callbacks, pmo, data, portfolio=portfolio, file_name="plan.xer",
        code="NOPE",
    )  # fmt: skip
    assert plan_import.state == "failed"
    assert reason in " ".join(plan_import.problems)
    assert PLAN_ROWS() == before


# --- Corrupted real files -------------------------------------------------------------------


def _garbled(data: bytes) -> bytes:
    return data[:2048] + b"\xff" * 4000 + data[6048:]


@pytest.mark.parametrize(
    ("name", "damage", "reason"),
    [
        ("sample.mpp", lambda data: data[: len(data) // 2], "it is damaged or cut short"),
        ("sample.mpp", _garbled, "damaged or cut short (the reader says: Invalid file format)"),
        ("mpp12baseline.mpp", _garbled, "the reader says: Invalid file format"),
        ("percent-complete-8.4.xer", lambda data: data[: len(data) // 2], "XER) cut short"),
        ("percent-complete-8.4.xer", _garbled, "the reader says: Error reading file"),
    ],
    ids=["mpp-cut", "mpp-garbled", "mpp12-garbled", "xer-cut", "xer-garbled"],
)
def test_a_corrupted_file_writes_nothing_and_names_the_problem(
    name, damage, reason, portfolio, pmo, django_capture_on_commit_callbacks
):
    data = project_file(name).read_bytes()
    # The project exists, imported from the sound file: a damaged one changes none of it.
    imported = upload(
        django_capture_on_commit_callbacks, pmo, data, portfolio=portfolio, file_name=name,
        code="REAL-1",
    )  # fmt: skip
    preview = plan_import_current_preview(plan_import=imported, by=pmo)
    plan_import_apply(plan_import=imported, fingerprint=preview.fingerprint, by=pmo)
    before = PLAN_ROWS()

    plan_import = upload(
        django_capture_on_commit_callbacks, pmo, damage(data), portfolio=portfolio,
        file_name=name, code="REAL-1",
    )  # fmt: skip

    assert plan_import.state == "failed"
    assert reason in " ".join(plan_import.problems)
    assert (plan_import.plan, bytes(plan_import.content)) == (None, b"")
    assert PLAN_ROWS() == before


def test_the_xer_percent_complete_follows_each_activity_type(
    portfolio, pmo, django_capture_on_commit_callbacks
):
    """The file's activities are named for their type and % complete, and its TASK table
    agrees: duration % = 1 − remain_drtn_hr_cnt ÷ target_drtn_hr_cnt, physical % =
    phys_complete_pct, units % = act_work_qty ÷ (act_work_qty + remain_work_qty)."""
    plan_import = upload(
        django_capture_on_commit_callbacks, pmo,
        project_file("percent-complete-8.4.xer").read_bytes(), portfolio=portfolio,
        file_name="percent-complete-8.4.xer", code="PCT",
    )  # fmt: skip
    plan = plan_import_current_preview(plan_import=plan_import, by=pmo).plan
    assert [(t.name, t.percent_complete) for t in plan.tasks if not t.is_summary] == [
        (f"{kind} {percent}%", D(percent))
        for kind in ("Duration", "Physical", "Units")
        for percent in (0, 25, 75, 100)
    ]


def test_an_mpp_and_the_xml_saved_from_it_are_one_plan(
    portfolio, pmo, django_capture_on_commit_callbacks, tmp_path
):
    """Same GUID: the XML (MS Project XML, read in the request) finds the project the .mpp
    was imported as, whatever code is given."""
    from org.mpxj.sample import MpxjConvert  # the JVM runs: the .mpp was read first

    data = project_file("mpp12baseline.mpp").read_bytes()
    imported = upload(
        django_capture_on_commit_callbacks, pmo, data, portfolio=portfolio,
        file_name="plan.mpp", code="BASE",
    )  # fmt: skip
    preview = plan_import_current_preview(plan_import=imported, by=pmo)
    plan_import_apply(plan_import=imported, fingerprint=preview.fingerprint, by=pmo)
    saved_as_xml = tmp_path / "plan.xml"
    MpxjConvert().process(str(project_file("mpp12baseline.mpp")), str(saved_as_xml))

    again = upload(
        django_capture_on_commit_callbacks, pmo, saved_as_xml.read_bytes(), portfolio=portfolio,
        file_name="plan.xml", code="OTHER",
    )  # fmt: skip

    assert again.source == "mspdi"
    preview = plan_import_current_preview(plan_import=again, by=pmo)
    assert (preview.project.matched_by, preview.project.code) == ("plan id", "BASE")
    assert not preview.problems
