"""What a portfolio review finds (docs/formulas.md, "Review cadence and periods"): the review
period, KPIs as of its end and the findings of each kind of review. Set-based reads: no query per
project."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Sum

from core.months import add_months, month_end
from portfolio.models import ObjectiveContribution, Portfolio, StrategicObjective
from portfolio.priority import priority_scores
from portfolio.strategy import strategic_alignment
from projects.models import CostEntry, Project, ProjectDependency, ReportState, StatusReport
from projects.periods import period_containing
from reporting import kpis
from reporting.models import PortfolioReview, ReviewKind, ReviewStatus
from resources.models import Allocation
from resources.selectors import role_capacity_grid
from risks.models import Risk

SLIP_THRESHOLD_DAYS = 30
ZERO, CENT, INDEX = Decimal("0"), Decimal("0.01"), Decimal("0.001")
KPI_FIELDS = (
    "project_count", "budget", "actual_cost", "earned_value", "planned_value",
    "estimate_at_completion", "expected_benefit", "risk_exposure", "watermelons",
    "late_milestones", "late_dependencies",
)  # fmt: skip
EVM_MONEY_FIELDS = ("actual_cost", "earned_value", "planned_value", "estimate_at_completion")


def review_period(portfolio: Portfolio, kind: str, period: str | date) -> tuple[date, date]:
    """The period a review covers. `period` is "2026-10" (monthly), "2026-Q3" or any month of
    the quarter (quarterly), "2027" (annual: the fiscal year starting in that year, per the
    portfolio's fiscal_year_start_month), or a date inside the period."""
    if isinstance(period, str):
        text = period.strip().upper()
        if kind == ReviewKind.ANNUAL and len(text) == 4:
            day = date(int(text), portfolio.fiscal_year_start_month, 1)
        elif "-Q" in text:
            year, quarter = text.split("-Q")
            day = date(int(year), (int(quarter) - 1) * 3 + 1, 1)
        else:
            day = datetime.strptime(text[:7], "%Y-%m").date()
    else:
        day = period
    if kind == ReviewKind.MONTHLY:
        return period_containing("monthly", day)
    if kind == ReviewKind.QUARTERLY:
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return start, month_end(add_months(start, 2))
    start_month = portfolio.fiscal_year_start_month
    year = day.year if day.month >= start_month else day.year - 1
    start = date(year, start_month, 1)
    return start, month_end(add_months(start, 11))


def period_label(kind: str, start: date) -> str:
    if kind == ReviewKind.MONTHLY:
        return f"{start:%B %Y}"
    if kind == ReviewKind.QUARTERLY:
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return f"Fiscal year {start:%b %Y}"


def _number(value):
    return str(value) if isinstance(value, Decimal) else value


def _rounded(value, places: Decimal):
    """A stored figure: the KPIs are exact, a review stores them as shown (money to the cent,
    indices to 0.001)."""
    return _number(value.quantize(places)) if isinstance(value, Decimal) else value


def rollup_as_json(total: kpis.KpiRollup) -> dict:
    data = {name: _number(getattr(total, name)) for name in KPI_FIELDS}
    for name in EVM_MONEY_FIELDS:
        data[name] = _rounded(getattr(total, name), CENT)
    data["cost_performance_index"] = _rounded(total.cost_performance_index, INDEX)
    data["schedule_performance_index"] = _rounded(total.schedule_performance_index, INDEX)
    data["computed_health"] = total.computed_health_counts
    data["reported_health"] = total.reported_health_counts
    data["stages"] = total.stage_counts
    return data


def kpi_changes(current: dict, previous: dict | None) -> dict:
    """Change of each numeric KPI since the previous review (None when there is none)."""
    if not previous:
        return {}
    changes = {}
    for name in (*KPI_FIELDS, "cost_performance_index", "schedule_performance_index"):
        now, before = current.get(name), previous.get(name)
        if now is None or before is None:
            continue
        changes[name] = _number(Decimal(str(now)) - Decimal(str(before)))
    return changes


def _project_item(row: kpis.ProjectKpis, detail: str) -> dict:
    return {"project_id": row.project.pk, "code": row.project.code,
            "name": row.project.name, "detail": detail}  # fmt: skip


def monthly_findings(
    *, portfolio: Portfolio, rows: list[kpis.ProjectKpis], start: date, end: date
) -> dict:
    projects = Project.objects.filter(portfolio=portfolio)
    red = [_project_item(r, "computed red") for r in rows if r.computed_health == "red"]
    watermelons = [
        _project_item(r, f"reports {r.reported_health}, computes {r.computed_health or 'n/a'}")
        for r in rows
        if r.is_watermelon
    ]
    slipping = [
        _project_item(r, f"milestone {r.worst_milestone_slip_days} days late")
        for r in rows
        if r.worst_milestone_slip_days > SLIP_THRESHOLD_DAYS
    ]
    overspend = [
        _project_item(
            r, f"EAC {r.earned_value.estimate_at_completion:,.0f} over BAC {r.project.budget:,.0f}"
        )
        for r in rows
        if r.forecast_over_budget
    ]
    risks = [
        {"risk_id": pk, "title": title, "project_code": code or "", "detail": detail}
        for pk, title, code, created, escalated in Risk.objects.filter(portfolio=portfolio)
        .filter(Q(created_at__date__range=(start, end)) | Q(escalated_at__date__range=(start, end)))
        .order_by("pk")
        .values_list("pk", "title", "project__code", "created_at", "escalated_at")
        for detail in ["escalated" if escalated and start <= escalated.date() <= end else "new"]
    ]
    late_dependencies = [
        {"successor": s, "predecessor": p, "deliverable": d, "needed_by": n, "expected_on": e}
        for s, p, d, n, e in ProjectDependency.objects.filter(successor__in=projects)
        .late()
        .order_by("needed_by")
        .values_list(
            "successor__code", "predecessor__code", "deliverable", "needed_by", "expected_on"
        )
    ]
    used_roles = set(
        Allocation.objects.filter(project__in=projects, start_month__lte=end, end_month__gte=start)
        .order_by()
        .values_list("role_id", flat=True)
        .distinct()
    )
    over_allocated = [
        {"role_id": row.key, "role": row.label, "utilisation": _number(cell.utilisation)}
        for row, _month, cell in role_capacity_grid(first_month=start, month_count=1).conflicts
        if row.key in used_roles
    ]
    reported = StatusReport.objects.filter(
        project=OuterRef("pk"), state=ReportState.SUBMITTED, period_start__range=(start, end)
    )
    missing = [
        {"project_id": pk, "code": code, "name": name, "detail": "no submitted report"}
        for pk, code, name in projects.active()
        .filter(start_date__lte=end)
        .exclude(Exists(reported))
        .order_by("code")
        .values_list("pk", "code", "name")
    ]
    return {
        "red_projects": red,
        "watermelons": watermelons,
        "slipping_milestones": slipping,
        "overspend_forecasts": overspend,
        "new_or_escalated_risks": risks,
        "over_allocated_roles": over_allocated,
        "late_dependencies": late_dependencies,
        "missing_reports": missing,
    }


def quarterly_findings(
    *, portfolio: Portfolio, rows: list[kpis.ProjectKpis], start: date, end: date
) -> dict:
    """Spend and expected value per active objective against its weight (strategic drift).
    A project's spend and value are shared among the objectives it serves in proportion to
    its contribution levels (0–3)."""
    objectives = list(
        StrategicObjective.objects.filter(portfolio=portfolio, active_from__lte=end)
        .filter(Q(active_until__isnull=True) | Q(active_until__gte=start))
        .values_list("pk", "name", "weight")
    )
    contributions: dict[int, dict[int, int]] = {}
    for project_id, objective_id, level in ObjectiveContribution.objects.filter(
        objective__in=[pk for pk, _, _ in objectives], contribution__gt=0
    ).values_list("project_id", "objective_id", "contribution"):
        contributions.setdefault(project_id, {})[objective_id] = level
    spend = dict(
        CostEntry.objects.filter(project__portfolio=portfolio, date__range=(start, end))
        .values("project")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("project", "total")
    )
    by_objective = {pk: {"spend": Decimal("0"), "value": Decimal("0")} for pk, _, _ in objectives}
    unaligned = []
    for row in rows:
        shares = contributions.get(row.project.pk)
        if not shares:
            if row.project.stage not in ("closed", "cancelled"):
                unaligned.append(_project_item(row, "contributes to no active objective"))
            continue
        levels = sum(shares.values())
        for objective_id, level in shares.items():
            part = Decimal(level) / levels
            by_objective[objective_id]["spend"] += spend.get(row.project.pk, 0) * part
            by_objective[objective_id]["value"] += row.project.expected_benefit * part
    total_spend = sum((o["spend"] for o in by_objective.values()), Decimal("0"))
    total_value = sum((o["value"] for o in by_objective.values()), Decimal("0"))
    drift = []
    for pk, name, weight in objectives:
        spend_share = by_objective[pk]["spend"] * 100 / total_spend if total_spend else None
        value_share = by_objective[pk]["value"] * 100 / total_value if total_value else None
        drift.append({
            "objective_id": pk, "objective": name, "weight": _number(weight),
            "spend": _number(by_objective[pk]["spend"].quantize(Decimal("0.01"))),
            "spend_share": _number(spend_share and spend_share.quantize(Decimal("0.1"))),
            "value_share": _number(value_share and value_share.quantize(Decimal("0.1"))),
            "drift_points": _number(
                spend_share and (spend_share - weight).quantize(Decimal("0.1"))
            ),
        })  # fmt: skip
    served = {objective_id for shares in contributions.values() for objective_id in shares}
    return {
        "objectives": drift,
        "unaligned_projects": unaligned,
        "unserved_objectives": [
            {"objective_id": pk, "objective": name}
            for pk, name, _ in objectives
            if pk not in served
        ],
    }


def annual_findings(
    *, portfolio: Portfolio, rows: list[kpis.ProjectKpis], start: date, end: date
) -> dict:
    """Candidate and active projects ranked by priority score and strategic alignment, with
    budget totals against the portfolio's envelope."""
    pipeline = [
        r
        for r in rows
        if r.project.stage in ("idea", "candidate", "approved", "in_progress", "on_hold")
    ]
    ids = [r.project.pk for r in pipeline]
    priority = priority_scores(project_ids=ids)
    alignment = strategic_alignment(project_ids=ids, as_of=start)

    def rank_key(row):
        score = priority.get(row.project.pk)
        align = alignment.get(row.project.pk)
        return (
            -(score if score is not None else -1),
            -(align if align is not None else -1),
            row.project.code,
        )

    ranked = [
        {
            "project_id": r.project.pk, "code": r.project.code, "name": r.project.name,
            "stage": r.project.stage, "priority": _number(priority.get(r.project.pk)),
            "alignment": _number(alignment.get(r.project.pk)), "budget": _number(r.project.budget),
        }
        for r in sorted(pipeline, key=rank_key)
    ]  # fmt: skip
    committed = sum(
        (r.project.budget for r in pipeline if r.project.stage not in ("idea", "candidate")),
        Decimal("0"),
    )
    candidates = sum(
        (r.project.budget for r in pipeline if r.project.stage in ("idea", "candidate")),
        Decimal("0"),
    )
    return {
        "ranked": ranked,
        "envelope": _number(portfolio.budget_envelope),
        "committed_budget": _number(committed),
        "candidate_budget": _number(candidates),
        "headroom": _number(portfolio.budget_envelope - committed),
    }


FINDINGS = {
    ReviewKind.MONTHLY: monthly_findings,
    ReviewKind.QUARTERLY: quarterly_findings,
    ReviewKind.ANNUAL: annual_findings,
}


def previous_review(review: PortfolioReview) -> PortfolioReview | None:
    return (
        PortfolioReview.objects.filter(
            portfolio=review.portfolio, kind=review.kind, status=ReviewStatus.COMPLETE,
            period_start__lt=review.period_start,
        )
        .order_by("-period_start")
        .first()
    )  # fmt: skip


def _cents(value: Decimal | None) -> Decimal:
    """A snapshot amount: to the cent; 0 for a figure a project without a status date lacks."""
    return (value or ZERO).quantize(CENT)


def snapshot_values(row: kpis.ProjectKpis) -> dict:
    figures = row.earned_value
    eac = figures.estimate_at_completion
    return {
        "project_id": row.project.pk,
        "program_id": row.project.program_id,
        "stage": row.project.stage,
        "budget": row.project.budget,
        "actual_cost": _cents(figures.actual_cost),
        "earned_value": _cents(figures.earned_value),
        "planned_value": _cents(figures.planned_value),
        "estimate_at_completion": None if eac is None else _cents(eac),
        "percent_complete": row.percent_complete or ZERO,
        "reported_health": row.reported_health,
        "computed_health": row.computed_health,
        "is_watermelon": row.is_watermelon,
        "risk_exposure": row.risk_exposure,
        "expected_benefit": row.project.expected_benefit,
    }
