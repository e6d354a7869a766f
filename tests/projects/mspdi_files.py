"""Small MS Project XML files built in the test, and the real ones in shared/ (the MPXJ test
files: ../shared/fixtures/project-files/ beside the checkout, as in CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_FILES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "project-files"


def project_file(name: str) -> Path:
    """A real file from shared/; the test is skipped when shared/ is not beside the repo."""
    path = PROJECT_FILES / name
    if not PROJECT_FILES.is_dir():
        pytest.skip(f"{PROJECT_FILES} is absent (shared/ is not beside the checkout)")
    assert path.is_file(), f"{path} is missing from the shared fixtures"
    return path


def baseline(start=None, finish=None, cost=None, number=0) -> str:
    parts = [f"<Number>{number}</Number>"]
    if start:
        parts.append(f"<Start>{start}T08:00:00</Start>")
    if finish:
        parts.append(f"<Finish>{finish}T17:00:00</Finish>")
    if cost is not None:
        parts.append(f"<Cost>{cost}</Cost>")
    return f"<Baseline>{''.join(parts)}</Baseline>"


def task(
    uid,
    name,
    start,
    finish,
    *,
    level=1,
    summary=False,
    milestone=False,
    percent=0,
    cost=None,
    actual_cost=None,
    actual_finish=None,
    baselines=(),
    extra="",
) -> str:
    parts = [
        f"<UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name>",
        f"<OutlineLevel>{level}</OutlineLevel>",
        f"<Summary>{int(summary)}</Summary><Milestone>{int(milestone)}</Milestone>",
        f"<Start>{start}T08:00:00</Start><Finish>{finish}T17:00:00</Finish>",
        f"<PercentComplete>{percent}</PercentComplete>",
    ]
    if cost is not None:
        parts.append(f"<Cost>{cost}</Cost>")
    if actual_cost is not None:
        parts.append(f"<ActualCost>{actual_cost}</ActualCost>")
    if actual_finish:
        parts.append(f"<ActualFinish>{actual_finish}T17:00:00</ActualFinish>")
    parts.extend(baselines)
    parts.append(extra)
    return f"<Task>{''.join(parts)}</Task>"


def mspdi(
    *tasks: str,
    title="Billing replatform",
    start="2026-01-05",
    finish="2026-06-30",
    status_date="2026-03-31",
    guid="{8E3C1A52-0000-4000-8000-00000000A001}",
    currency="EUR",
    resources="",
    assignments="",
) -> bytes:
    header = [f"<Title>{title}</Title>"] if title else []
    if guid:
        header.append(f"<GUID>{guid}</GUID>")
    header.append(f"<StartDate>{start}T08:00:00</StartDate>")
    header.append(f"<FinishDate>{finish}T17:00:00</FinishDate>")
    if status_date:
        header.append(f"<StatusDate>{status_date}T17:00:00</StatusDate>")
    if currency:
        header.append(f"<CurrencyCode>{currency}</CurrencyCode>")
    body = "".join(header) + f"<Tasks>{''.join(tasks)}</Tasks>"
    if resources:
        body += f"<Resources>{resources}</Resources>"
    if assignments:
        body += f"<Assignments>{assignments}</Assignments>"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Project xmlns="http://schemas.microsoft.com/project">{body}</Project>'
    ).encode()


def billing_plan(**changes) -> bytes:
    """A plan with a summary row (40 % done, 12,000.00 spent of 100,000.00 at completion,
    baseline 0 of 90,000.00 from 5 Jan to 26 Jun 2026), two work tasks and two milestones:
    "Design signed off" (done 27 Feb, baseline 27 Feb) and "Go live" (forecast 30 Jun,
    baseline 26 Jun)."""
    summary = task(
        0,
        "Billing replatform",
        "2026-01-05",
        "2026-06-30",
        level=0,
        summary=True,
        percent=changes.pop("percent", 40),
        cost=changes.pop("cost", 10_000_000),
        actual_cost=changes.pop("actual_cost", 1_200_000),
        baselines=[baseline("2026-01-05", "2026-06-26", changes.pop("baseline_cost", 9_000_000))],
    )
    tasks = [
        summary,
        task(1, "Design", "2026-01-05", "2026-02-27", percent=100, cost=3_000_000),
        task(
            2,
            "Design signed off",
            "2026-02-27",
            "2026-02-27",
            milestone=True,
            percent=100,
            actual_finish="2026-02-27",
            baselines=[baseline("2026-02-27", "2026-02-27")],
        ),
        task(3, "Build", "2026-03-02", "2026-06-26", percent=20, cost=7_000_000),
        task(
            4,
            "Go live",
            "2026-06-30",
            "2026-06-30",
            milestone=True,
            baselines=[baseline("2026-06-26", changes.pop("go_live_baseline", "2026-06-26"))],
        ),
    ]
    return mspdi(*tasks, **changes)
