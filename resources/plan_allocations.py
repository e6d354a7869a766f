"""What a project plan's people ask for, as allocation requests: one per work resource that
has assignments, for the role the user maps it to (docs/decisions.md, "Allocation requests
from a plan"). It spans the months of its assignments; its FTE is its planned work over the
standard hours of those months (the default calendar), so that the request's demand
(FTE × standard hours, docs/formulas.md) adds up to the plan's work."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from core.months import month_start, months_between
from projects.imports.plan import ParsedPlan, PlanResource, ResourceKind
from resources.capacity import CalendarRules
from resources.models import ROLE_REQUEST_MAX_FTE, Allocation, AllocationUnit, Resource, Role

STANDARD_CALENDAR = CalendarRules()
CENT = Decimal("0.01")


def plan_resource_key(uid: str) -> str:
    """Allocation.external_id of a request made for a plan's resource."""
    return f"plan-resource:{uid}"


@dataclass(frozen=True)
class PlanRoleRequest:
    resource: PlanResource
    first_month: date
    last_month: date
    work_hours: Decimal
    fte: Decimal
    unit: str  # FTE, or hours per month when the plan asks for more than one person's time
    amount: Decimal
    suggested_role: Role | None
    suggested_by: str  # "role name", "group", "person" or ""
    existing: Allocation | None  # the request made for it before

    @property
    def key(self) -> str:
        return plan_resource_key(self.resource.uid)

    @property
    def is_decided(self) -> bool:
        return self.existing is not None and self.existing.status != "requested"


def work_fte(work_hours: Decimal, first_month: date, last_month: date) -> Decimal:
    """The FTE that gives `work_hours` over the months, at the standard hours of each;
    at least 0.01 and at most a role request's bound."""
    months = months_between(first_month, last_month)
    standard = sum((STANDARD_CALENDAR.standard_hours(month) for month in months), Decimal("0"))
    if not standard:
        return CENT
    fte = (work_hours / standard).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(max(fte, CENT), ROLE_REQUEST_MAX_FTE)


def plan_role_requests(*, plan: ParsedPlan, project) -> list[PlanRoleRequest]:
    """The requests a plan's people make for `project`, in the plan's resource order, each
    with a suggested role: the role named like the resource, else like its group, else the
    role of the person of that name. Three queries."""
    work = {r.uid: r for r in plan.resources if r.kind == ResourceKind.WORK}
    assignments = defaultdict(list)
    for assignment in plan.assignments:
        if assignment.resource_uid in work and assignment.start and assignment.finish:
            assignments[assignment.resource_uid].append(assignment)
    if not assignments:
        return []
    roles = {role.name.casefold(): role for role in Role.objects.all()}
    names = [work[uid].name for uid in assignments]
    people = {
        person.name.casefold(): person.role
        for person in Resource.objects.filter(name__in=names).select_related("role")
    }
    existing = {
        allocation.external_id: allocation
        for allocation in Allocation.objects.filter(project=project)
        .exclude(external_id="")
        .select_related("role")
    }
    requests = []
    for uid, resource in work.items():
        if uid not in assignments:
            continue
        first = month_start(min(a.start for a in assignments[uid]))
        last = month_start(max(a.finish for a in assignments[uid]))
        hours = sum((a.work_hours or Decimal("0") for a in assignments[uid]), Decimal("0"))
        before = existing.get(plan_resource_key(uid))
        role, how = (
            (before.role, "earlier request") if before else _suggestion(resource, roles, people)
        )
        fte = work_fte(hours, first, last)
        if fte <= 1:
            unit, amount = AllocationUnit.FTE, fte
        else:  # a team's work: hours per month, as a person gives at most 1 FTE
            months = len(months_between(first, last))
            unit, amount = AllocationUnit.HOURS, (hours / months).quantize(CENT)
        requests.append(
            PlanRoleRequest(
                resource=resource,
                first_month=first,
                last_month=last,
                work_hours=hours,
                fte=fte,
                unit=unit,
                amount=amount,
                suggested_role=role,
                suggested_by=how,
                existing=before,
            )
        )
    return requests


def _suggestion(resource: PlanResource, roles: dict, people: dict) -> tuple[Role | None, str]:
    if resource.name.casefold() in roles:
        return roles[resource.name.casefold()], "role name"
    if resource.group and resource.group.casefold() in roles:
        return roles[resource.group.casefold()], "group"
    if resource.name.casefold() in people:
        return people[resource.name.casefold()], "person"
    return None, ""
