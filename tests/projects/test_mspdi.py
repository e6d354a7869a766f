"""The MS Project XML reader: small files built here, the real files in shared/, and the
files it must refuse (with what is wrong, in words)."""

from datetime import date
from decimal import Decimal

import pytest

from projects.imports.mspdi import read_mspdi
from projects.imports.plan import PlanFileError, ResourceKind
from tests.projects.mspdi_files import baseline, billing_plan, mspdi, project_file, task


def refusal(data: bytes) -> str:
    with pytest.raises(PlanFileError) as caught:
        read_mspdi(data)
    return " ".join(caught.value.problems)


# --- A plan built here --------------------------------------------------------------------


def test_reads_the_project_its_summary_row_and_milestones():
    plan = read_mspdi(billing_plan())

    assert plan.source == "mspdi"
    assert plan.external_id == "8E3C1A52-0000-4000-8000-00000000A001"  # braces dropped
    assert plan.name == "Billing replatform"
    assert (plan.start, plan.finish) == (date(2026, 1, 5), date(2026, 6, 30))
    assert (plan.status_date, plan.status_date_from) == (date(2026, 3, 31), "status date")
    assert plan.currency == "EUR"
    # Money is in hundredths in MSPDI.
    assert plan.cost == Decimal("100000.00")
    assert plan.actual_cost == Decimal("12000.00")
    assert plan.percent_complete == Decimal("40")
    assert plan.baseline.start == date(2026, 1, 5)
    assert plan.baseline.finish == date(2026, 6, 26)
    assert plan.baseline.cost == Decimal("90000.00")
    assert [t.name for t in plan.tasks] == ["Design", "Design signed off", "Build", "Go live"]
    signed_off, go_live = plan.milestones
    assert (signed_off.uid, signed_off.actual_finish) == ("2", date(2026, 2, 27))
    assert signed_off.percent_complete == 100
    assert (go_live.finish, go_live.baseline.finish) == (date(2026, 6, 30), date(2026, 6, 26))
    assert go_live.label == "Task 4 “Go live”"


def test_status_date_falls_back_to_the_current_date():
    data = billing_plan(status_date=None).replace(
        b"<Tasks>", b"<CurrentDate>2026-03-15T08:00:00</CurrentDate><Tasks>"
    )
    plan = read_mspdi(data)
    assert (plan.status_date, plan.status_date_from) == (date(2026, 3, 15), "current date")
    assert read_mspdi(billing_plan(status_date=None)).status_date is None


def test_without_a_summary_row_the_project_figures_are_rolled_up():
    data = mspdi(
        task(
            1,
            "Analyse",
            "2026-01-01",
            "2026-01-10",
            percent=100,
            cost=100_000,
            actual_cost=100_000,
            baselines=[baseline("2026-01-01", "2026-01-10", 90_000)],
        ),
        task(
            2,
            "Build",
            "2026-01-11",
            "2026-01-30",
            percent=25,
            cost=300_000,
            actual_cost=50_000,
            baselines=[baseline("2026-01-11", "2026-01-25", 200_000)],
        ),
        title="",
    )
    plan = read_mspdi(data)
    assert plan.name == "Imported plan"  # no title, no summary row, no file name
    assert plan.cost == Decimal("4000.00")
    assert plan.actual_cost == Decimal("1500.00")
    # Weighted by length: 10 days at 100 %, 20 days at 25 % → 50 %.
    assert plan.percent_complete == Decimal("50.00")
    assert plan.baseline.start == date(2026, 1, 1)
    assert plan.baseline.finish == date(2026, 1, 25)
    assert plan.baseline.cost == Decimal("2900.00")


def test_blank_rows_and_inactive_tasks_are_skipped_and_numbered_baselines_noted():
    data = mspdi(
        task(1, "Kept", "2026-01-01", "2026-01-02", baselines=[baseline("2026-01-01", number=3)]),
        "<Task><UID>2</UID><ID>2</ID><IsNull>1</IsNull></Task>",
        task(3, "Switched off", "2026-01-01", "2026-01-02", extra="<Active>0</Active>"),
    )
    plan = read_mspdi(data)
    assert [t.name for t in plan.tasks] == ["Kept"]
    assert plan.tasks[0].baseline is None  # baseline 3 is not baseline 0
    assert any("numbered 1–10" in note for note in plan.notes)
    assert any("1 inactive task was skipped" in note for note in plan.notes)


def test_resources_and_assignments():
    resources = (
        "<Resource><UID>0</UID><Name>placeholder</Name></Resource>"
        "<Resource><UID>1</UID><Name>Ana Analyst</Name><Type>1</Type><Group>Analysts</Group>"
        "<MaxUnits>0.5</MaxUnits></Resource>"
        "<Resource><UID>2</UID><Name>Concrete</Name><Type>0</Type></Resource>"
    )
    assignments = (
        "<Assignment><UID>1</UID><TaskUID>1</TaskUID><ResourceUID>1</ResourceUID>"
        "<Units>0.5</Units><Start>2026-01-05T08:00:00</Start><Finish>2026-02-27T17:00:00</Finish>"
        "<Work>PT160H30M0S</Work></Assignment>"
        "<Assignment><UID>2</UID><TaskUID>1</TaskUID><ResourceUID>-65535</ResourceUID></Assignment>"
    )
    plan = read_mspdi(billing_plan(resources=resources, assignments=assignments))
    assert [(r.name, r.kind, r.group, r.max_units) for r in plan.resources] == [
        ("Ana Analyst", ResourceKind.WORK, "Analysts", Decimal("0.5")),
        ("Concrete", ResourceKind.MATERIAL, "", None),
    ]
    (assignment,) = plan.assignments  # the unassigned one is not an assignment
    assert (assignment.task_uid, assignment.resource_uid) == ("1", "1")
    assert assignment.units == Decimal("0.5")
    assert assignment.work_hours == Decimal("160.5")
    assert (assignment.start, assignment.finish) == (date(2026, 1, 5), date(2026, 2, 27))


def test_a_file_without_the_namespace_is_read_too():
    data = billing_plan().replace(b' xmlns="http://schemas.microsoft.com/project"', b"")
    assert read_mspdi(data).name == "Billing replatform"


# --- Files it refuses ---------------------------------------------------------------------


def test_refuses_an_empty_file():
    assert refusal(b"  \n") == "The file is empty."


def test_refuses_a_file_that_is_not_xml():
    assert refusal(b"project_code,date,amount\nPRJ-1,2026-01-01,10\n").startswith(
        "The file is not XML"
    )


def test_refuses_malformed_xml_saying_where():
    message = refusal(b'<?xml version="1.0"?>\n<Project><Tasks></Project>')
    assert message.startswith("The file is not well-formed XML")
    assert "line 2" in message


def test_refuses_an_xml_bomb_before_expanding_anything():
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE Project [\n<!ENTITY a "aaaaaaaaaa">\n'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n'.encode()
            for i in range(8)
        )
        + b"]>\n<Project><Title>&i;</Title></Project>"
    )
    assert "document type" in refusal(bomb)
    assert "XML bomb" in refusal(bomb)


def test_refuses_an_external_entity():
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<Project><Title>&x;</Title></Project>"
    )
    assert "document type" in refusal(data)


def test_refuses_xml_that_is_not_a_project():
    message = refusal(b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>')
    assert "not Microsoft Project XML" in message
    assert "<rss>" in message
    other_namespace = b'<Project xmlns="http://example.com/other"><Tasks/></Project>'
    assert "in the namespace “http://example.com/other”" in refusal(other_namespace)


def test_refuses_a_project_without_tasks():
    no_list = b'<Project xmlns="http://schemas.microsoft.com/project"><Title>x</Title></Project>'
    assert refusal(no_list) == "The plan has no tasks: the file has no <Tasks> list."
    only_summary = mspdi(task(0, "Summary", "2026-01-01", "2026-02-01", level=0, summary=True))
    assert refusal(only_summary).startswith("The plan has no tasks")


def test_names_every_unreadable_value_with_its_task():
    data = mspdi(
        task(1, "Design", "2026-01-05", "2026-13-01"),
        task(2, "Build", "2026-01-05", "2026-02-01", cost="lots", percent=140),
    )
    with pytest.raises(PlanFileError) as caught:
        read_mspdi(data)
    assert caught.value.problems == [
        "Task 1 “Design”: <Finish> “2026-13-01T17:00:00” is not a date.",
        "Task 2 “Build”: <PercentComplete> “140” is not a percentage between 0 and 100.",
        "Task 2 “Build”: <Cost> “lots” is not an amount.",
    ]


def test_refuses_binary_project_and_p6_files_with_what_to_do():
    assert "File › Save As" in refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert "Primavera P6" in refusal(b"ERMHDR\t8.4\t2015-01-01\n")


# --- The real files in shared/ ------------------------------------------------------------


def read(name):
    return read_mspdi(project_file(name).read_bytes())


def test_sample_xml():
    plan = read("sample.xml")
    assert plan.name == "sample"
    assert plan.external_id == ""  # MS Project 2003 wrote no project GUID
    assert (plan.start, plan.finish) == (date(2003, 1, 7), date(2003, 3, 18))
    assert (plan.status_date, plan.status_date_from) == (date(2003, 2, 19), "current date")
    assert len(plan.tasks) == 19
    assert plan.summary_task_count == 3
    assert [(m.name, m.finish) for m in plan.milestones] == [("Third task", date(2003, 1, 7))]
    assert plan.cost == Decimal("3526.25")
    assert plan.actual_cost == Decimal("0.00")
    assert plan.percent_complete == 0
    assert plan.baseline is None
    assert [r.name for r in plan.resources] == ["First Resource", "Second Resource"]
    assert [(a.task_uid, a.resource_uid, a.units) for a in plan.assignments] == [
        ("2", "1", Decimal("0.5")),
        ("2", "2", Decimal("0.75")),
    ]
    assert any("6 links between tasks" in note for note in plan.notes)


def test_sample1_xml():
    plan = read("sample1.xml")
    assert plan.name == "MPXJ Sample"
    assert (plan.start, plan.finish) == (date(2003, 1, 7), date(2003, 3, 18))
    assert plan.status_date == date(2003, 12, 1)
    assert len(plan.tasks) == 22
    assert plan.summary_task_count == 4
    assert [m.name for m in plan.milestones] == ["Third task"]
    assert plan.cost == Decimal("4171.25")
    assert plan.actual_cost is None  # this file writes no <ActualCost>
    assert len(plan.assignments) == 4


def test_baselines_xml_has_no_baseline_0():
    plan = read("baselines.xml")
    assert plan.name == "project1"
    assert (plan.start, plan.finish) == (date(2008, 1, 30), date(2008, 1, 31))
    assert [t.name for t in plan.tasks] == ["Task One"]
    assert plan.tasks[0].baseline is None
    assert plan.baseline is None
    assert plan.notes == (
        "The file also holds 10 task baselines numbered 1–10; Slate reads baseline 0 "
        "(“Baseline”) only.",
    )


def test_task_costs_project2016():
    plan = read("task-costs-project2016-mspdi.xml")
    assert plan.name == "task-costs-project2016-mspdi"  # no title: the file name
    assert plan.currency == "GBP"
    assert [t.name for t in plan.tasks] == [f"Cost{n}" for n in range(1, 11)]
    assert plan.milestones == ()
    # Its costs are custom fields (Cost1…Cost10), which Slate does not read.
    assert plan.cost == Decimal("0.00")
    assert (plan.start, plan.finish) == (date(2016, 2, 8), date(2016, 2, 8))


def test_task_dates_project2019():
    plan = read("task-dates-project2019-mspdi.xml")
    assert plan.external_id == "5BE6F9DB-DAD2-E811-AC3F-4CEDDE6E5B57"
    assert [t.name for t in plan.tasks] == [f"Date{n}" for n in range(1, 11)]
    assert (plan.start, plan.finish, plan.status_date) == (date(2018, 10, 18),) * 3


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("sample.mpp", "binary Microsoft Project file"),
        ("mpp12baseline.mpp", "binary Microsoft Project file"),
        ("percent-complete-8.4.xer", "Primavera P6"),
        ("README.md", "not XML"),
    ],
)
def test_the_other_shared_files_are_refused_with_a_reason(name, reason):
    assert reason in refusal(project_file(name).read_bytes())
