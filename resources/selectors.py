"""Reads for resources: capacity against demand per role and per person per month, in a
fixed number of queries whatever the number of people and allocations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least, Round

from core import access
from core.months import add_months, month_count, month_end, month_start, months_between
from portfolio.priority import priority_scores
from projects.models import Milestone, Project
from resources import capacity as formulas
from resources.capacity import CalendarRules
from resources.models import (
    Allocation,
    AllocationStatus,
    Calendar,
    CapacityAdjustment,
    ConflictResolution,
    Resource,
    Role,
    Skill,
)

DEFAULT_CALENDAR = formulas.CalendarRules()


@dataclass
class CapacityCell:
    capacity: Decimal = formulas.ZERO
    confirmed: Decimal = formulas.ZERO
    requested: Decimal = formulas.ZERO

    @property
    def utilisation(self) -> Decimal | None:
        return formulas.utilisation(self.confirmed, self.capacity)

    @property
    def is_conflict(self) -> bool:
        return self.confirmed > 0 and formulas.is_over_allocated(self.confirmed, self.capacity)


@dataclass
class CapacityRow:
    key: int
    label: str
    cells: list[CapacityCell] = field(default_factory=list)

    @property
    def conflict_count(self) -> int:
        return sum(cell.is_conflict for cell in self.cells)


@dataclass(frozen=True)
class CapacityGrid:
    months: list[date]
    rows: list[CapacityRow]
    # Per person grid: each row's working calendar, which converts FTE into their hours.
    calendars: dict[int, CalendarRules] = field(default_factory=dict)

    @property
    def conflicts(self) -> list[tuple[CapacityRow, date, CapacityCell]]:
        return [
            (row, month, cell)
            for row in self.rows
            for month, cell in zip(self.months, row.cells, strict=True)
            if cell.is_conflict
        ]


def calendar_rules(calendar_ids: Iterable[int] | None = None) -> dict[int | None, CalendarRules]:
    """Working-day rules by calendar id (None: the default calendar), in one query; all
    calendars, or only `calendar_ids`."""
    calendars = Calendar.objects.all()
    if calendar_ids is not None:
        calendars = calendars.filter(pk__in=[pk for pk in calendar_ids if pk is not None])
    hours_per_day, days_off = {}, defaultdict(set)
    for pk, hours, holiday in calendars.values_list("pk", "hours_per_day", "holidays__date"):
        hours_per_day[pk] = hours
        if holiday is not None:
            days_off[pk].add(holiday)
    rules = {
        pk: CalendarRules(hours_per_day=hours, holidays=frozenset(days_off[pk]))
        for pk, hours in hours_per_day.items()
    }
    rules[None] = DEFAULT_CALENDAR
    return rules


def _hundredths_sum(field: str) -> Sum:
    """The sum of a two-place decimal column in hundredths, an integer: exact on SQLite too,
    which keeps decimals as floats."""
    return Sum(Cast(Round(F(field) * 100), IntegerField()))


def _from_hundredths(total: int) -> Decimal:
    return Decimal(total).scaleb(-2)  # two places, as the column's own values


def _leave(resources, first: date, last: date) -> dict[int, list[formulas.Leave]]:
    """The leave of `resources` that overlaps the window, by resource id."""
    leave = defaultdict(list)
    for resource_id, start, end, hours in CapacityAdjustment.objects.filter(
        resource__in=resources.values("pk"), start_date__lte=last, end_date__gte=first
    ).values_list("resource_id", "start_date", "end_date", "hours_per_day"):
        leave[resource_id].append(formulas.Leave(start, end, hours))
    return leave


def _active(resources, first: date, last: date):
    return resources.filter(Q(end_date__isnull=True) | Q(end_date__gte=first), start_date__lte=last)


def _people(resources, calendars, first: date, last: date):
    """(resource id, role id, name, Person) for the resources active in the window."""
    leave = _leave(resources, first, last)
    return [
        (
            pk,
            role_id,
            name,
            formulas.Person(fte, start, end, calendars[calendar_id], tuple(leave[pk])),
        )
        for pk, role_id, name, fte, start, end, calendar_id in _active(
            resources, first, last
        ).values_list("pk", "role_id", "name", "fte", "start_date", "end_date", "calendar_id")
    ]


def _role_people(calendars, first: date, last: date) -> list[tuple[int, formulas.Person]]:
    """(role id, Person) whose capacities add up to each role's, in a few hundred rows
    whatever the number of people: those with leave in the window one by one, the others
    summed in SQL by role, calendar and active dates inside the window into one Person of
    their FTE added up (without leave, capacity is FTE × hours of the calendar's working
    days while active, so a group's is the sum of its members')."""
    leave = _leave(Resource.objects.all(), first, last)
    on_leave = CapacityAdjustment.objects.filter(
        resource=OuterRef("pk"), start_date__lte=last, end_date__gte=first
    )
    groups = (
        _active(Resource.objects.all(), first, last)
        .annotate(
            alone=Case(When(Exists(on_leave), then="pk")),
            active_from=Greatest("start_date", Value(first)),
            active_to=Least(Coalesce("end_date", Value(last)), Value(last)),
        )
        .order_by()
        .values("role_id", "calendar_id", "active_from", "active_to", "alone")
        .annotate(fte=_hundredths_sum("fte"))
        .values_list("role_id", "calendar_id", "active_from", "active_to", "alone", "fte")
    )
    return [
        (
            role_id,
            formulas.Person(
                _from_hundredths(fte),
                start,
                end,
                calendars[calendar_id],
                tuple(leave.get(alone, ())),
            ),
        )
        for role_id, calendar_id, start, end, alone, fte in groups
    ]


def _allocations(first: date, last: date, **filters):
    return Allocation.objects.filter(
        start_month__lte=last, end_month__gte=first, **filters
    ).exclude(status=AllocationStatus.REJECTED)


def _add_demand(cells_by_key, key, allocation_row, months, month_index, standard_hours):
    _pk, unit, amount, start, end, status = allocation_row
    for month in months[month_index.get(start, 0) :]:
        if month > end:
            break
        if month < start:
            continue
        hours = formulas.allocation_hours(unit, amount, standard_hours[month])
        cell = cells_by_key[key][month_index[month]]
        if status == AllocationStatus.CONFIRMED:
            cell.confirmed += hours
        else:
            cell.requested += hours


def _role_demand(first: date, last_month: date, last: date):
    """The allocations of the window summed in SQL by role, the calendar their FTE converts
    with (the named person's while active in the window, as `_people` reads them; None: the
    default), unit, status and the months they cover inside the window: rows for
    `_add_demand` (amount × standard hours, summed, is the sum of the products), a few
    hundred whatever the number of allocations."""
    person_active = Q(resource__start_date__lte=last) & (
        Q(resource__end_date__isnull=True) | Q(resource__end_date__gte=first)
    )
    return (
        _allocations(first, last)
        .annotate(
            calendar=Case(When(person_active, then="resource__calendar_id"), default=None),
            first_month=Greatest("start_month", Value(first)),
            last_month=Least("end_month", Value(last_month)),
        )
        .order_by()
        .values("role_id", "calendar", "unit", "status", "first_month", "last_month")
        .annotate(total=_hundredths_sum("amount"))
        .values_list("role_id", "calendar", "unit", "total", "first_month", "last_month", "status")
    )


def role_capacity_grid(*, first_month: date, month_count: int = 12) -> CapacityGrid:
    """Every role × month: capacity of its people, confirmed and requested demand."""
    months = [add_months(first_month, n) for n in range(month_count)]
    first, last = months[0], month_end(months[-1])
    month_index = {month: n for n, month in enumerate(months)}
    calendars = calendar_rules()
    roles = list(Role.objects.order_by("name").values_list("pk", "name"))
    cells = {pk: [CapacityCell() for _ in months] for pk, _ in roles}
    for role_id, person in _role_people(calendars, first, last):
        for n, month in enumerate(months):
            cells[role_id][n].capacity += formulas.person_capacity(person, month)
    # FTE demand converts with the named person's calendar, else the default calendar.
    standard = {
        id(rules): {month: rules.standard_hours(month) for month in months}
        for rules in calendars.values()
    }
    for role_id, calendar_id, unit, total, *months_and_status in _role_demand(
        first, months[-1], last
    ):
        row = (None, unit, _from_hundredths(total), *months_and_status)
        _add_demand(cells, role_id, row, months, month_index, standard[id(calendars[calendar_id])])
    return CapacityGrid(
        months=months, rows=[CapacityRow(pk, name, cells[pk]) for pk, name in roles]
    )


def person_capacity_grid(*, role: Role, first_month: date, month_count: int = 12) -> CapacityGrid:
    """The people of one role × month; demand is what is allocated to each person by name
    (a role-only request has no person yet and shows on the role's row only)."""
    months = [add_months(first_month, n) for n in range(month_count)]
    first, last = months[0], month_end(months[-1])
    month_index = {month: n for n, month in enumerate(months)}
    calendars = calendar_rules()
    people = _people(Resource.objects.filter(role=role), calendars, first, last)
    cells = {pk: [CapacityCell() for _ in months] for pk, *_ in people}
    for pk, _role, _name, person in people:
        for n, month in enumerate(months):
            cells[pk][n].capacity = formulas.person_capacity(person, month)
    standard = {
        pk: {m: person.calendar.standard_hours(m) for m in months} for pk, _r, _n, person in people
    }
    for resource_id, *row in _allocations(
        first, last, resource__in=[p[0] for p in people]
    ).values_list("resource_id", "pk", "unit", "amount", "start_month", "end_month", "status"):
        _add_demand(cells, resource_id, row, months, month_index, standard[resource_id])
    return CapacityGrid(
        months=months,
        rows=[
            CapacityRow(pk, name, cells[pk])
            for pk, _role, name, _p in sorted(people, key=lambda p: p[2])
        ],
        calendars={pk: person.calendar for pk, _role, _name, person in people},
    )


# ---- Capacity heat map drill-down and conflicts ---------------------------------------------
# Built on the grids above, so a conflict page and its resolution options show the heat
# map's numbers.

MAX_SHIFT_MONTHS = 6
# A conflict looks this far ahead at most for room to shift an allocation into.
CONFLICT_HORIZON_MONTHS = 60


@dataclass(frozen=True)
class RoleBreakdown:
    """One role × month: its people, the demand that no active person of the role carries
    (role-only requests and the like), and the role's total, equal to its row of
    `role_capacity_grid`."""

    months: list[date]
    total: CapacityRow
    people: list[CapacityRow]
    unassigned: CapacityRow
    calendars: dict[int, CalendarRules] = field(default_factory=dict)  # of `people`

    def index(self, month: date) -> int | None:
        first = self.months[0]
        n = month_count(first, month) - 1
        return n if 0 <= n < len(self.months) else None


def role_capacity_breakdown(
    *, role: Role, first_month: date, month_count: int = 12
) -> RoleBreakdown:
    grid = person_capacity_grid(role=role, first_month=first_month, month_count=month_count)
    months = grid.months
    first, last = months[0], month_end(months[-1])
    month_index = {month: n for n, month in enumerate(months)}
    people_ids = [row.key for row in grid.rows]
    unassigned = {0: [CapacityCell() for _ in months]}
    # Demand without an active person of the role converts FTE with the default calendar,
    # as role_capacity_grid does.
    standard = {month: DEFAULT_CALENDAR.standard_hours(month) for month in months}
    for row in (
        _allocations(first, last, role=role)
        .filter(Q(resource__isnull=True) | ~Q(resource__in=people_ids))
        .values_list("pk", "unit", "amount", "start_month", "end_month", "status")
    ):
        _add_demand(unassigned, 0, row, months, month_index, standard)
    total = [
        CapacityCell(
            capacity=formulas.sum_hours(row.cells[n].capacity for row in grid.rows),
            confirmed=unassigned[0][n].confirmed
            + formulas.sum_hours(row.cells[n].confirmed for row in grid.rows),
            requested=unassigned[0][n].requested
            + formulas.sum_hours(row.cells[n].requested for row in grid.rows),
        )
        for n in range(len(months))
    ]
    return RoleBreakdown(
        months=months,
        total=CapacityRow(role.pk, role.name, total),
        people=grid.rows,
        unassigned=CapacityRow(0, "Not assigned to a person", unassigned[0]),
        calendars=grid.calendars,
    )


def allocation_hours_in_month(*, allocation: Allocation, month: date) -> Decimal:
    """Hours `allocation` asks for in `month`, converted as the grids convert them."""
    rules = calendar_rules()[allocation.resource.calendar_id if allocation.resource_id else None]
    standard_hours = rules.standard_hours(month)
    return formulas.allocation_hours(allocation.unit, allocation.amount, standard_hours)


def over_allocation_in_month(*, allocation: Allocation, month: date) -> Decimal:
    """Hours by which the allocation's role, or its person, is over capacity in `month` (the
    larger of the two; 0 when neither is over)."""
    breakdown = role_capacity_breakdown(role=allocation.role, first_month=month, month_count=1)
    cells = [breakdown.total.cells[0]]
    cells += [row.cells[0] for row in breakdown.people if row.key == allocation.resource_id]
    return max(
        (cell.confirmed - cell.capacity for cell in cells if cell.is_conflict),
        default=formulas.ZERO,
    )


# ---- Confirming a request: its months against the person's (else the role's) capacity ------


@dataclass(frozen=True)
class PreviewMonth:
    month: date
    capacity: Decimal
    confirmed: Decimal  # confirmed demand there already
    request: Decimal  # what confirming adds

    @property
    def resulting(self) -> Decimal:
        return self.confirmed + self.request

    @property
    def after(self) -> CapacityCell:
        """The month once confirmed, judged by the heat map's own rules."""
        return CapacityCell(capacity=self.capacity, confirmed=self.resulting)

    @property
    def utilisation(self) -> Decimal | None:
        return self.after.utilisation

    @property
    def is_over(self) -> bool:
        return self.after.is_conflict


@dataclass(frozen=True)
class ConfirmationPreview:
    """What confirming a request would do, month by month, to the named person (to the role as
    a whole when nobody is named): only the months from this month on are confirmed; earlier
    ones have passed (`passed_from`–`passed_to`) and are left out (docs/formulas.md, "Capacity,
    demand, utilisation")."""

    label: str
    for_person: bool
    months: list[PreviewMonth]
    passed_from: date | None = None
    passed_to: date | None = None

    @property
    def over(self) -> list[PreviewMonth]:
        return [month for month in self.months if month.is_over]

    @property
    def first_month(self) -> date | None:
        return self.months[0].month if self.months else None


CONFIRMABLE_FIELDS = ("resource", "start_month", "end_month", "amount")


def confirmation_preview(
    *, allocation: Allocation, today: date, changes: dict | None = None
) -> ConfirmationPreview:
    """The preview of confirming `allocation` as it stands, or with `changes` (person, first
    and last month, amount) that are not saved. The allocation's own hours count as this
    request only: a request is no confirmed demand yet."""
    values = {name: getattr(allocation, name) for name in CONFIRMABLE_FIELDS}
    values.update({k: v for k, v in (changes or {}).items() if k in CONFIRMABLE_FIELDS})
    person, start, end = values["resource"], values["start_month"], values["end_month"]
    this_month = month_start(today)
    passed = (start, min(end, add_months(this_month, -1))) if start < this_month else (None, None)
    label = person.name if person else f"{allocation.role.name} (anyone of the role)"
    first = max(start, this_month)
    if first > end:
        return ConfirmationPreview(label, person is not None, [], *passed)
    count = month_count(first, end)
    if person is not None:
        grid = person_capacity_grid(role=person.role_id, first_month=first, month_count=count)
        row = next((row for row in grid.rows if row.key == person.pk), None)
        cells = row.cells if row else [CapacityCell() for _ in grid.months]
        months, rules = grid.months, grid.calendars.get(person.pk, DEFAULT_CALENDAR)
    else:
        breakdown = role_capacity_breakdown(
            role=allocation.role, first_month=first, month_count=count
        )
        cells, months, rules = breakdown.total.cells, breakdown.months, DEFAULT_CALENDAR
    return ConfirmationPreview(
        label=label,
        for_person=person is not None,
        months=[
            PreviewMonth(
                month=month,
                capacity=cell.capacity,
                confirmed=cell.confirmed,
                request=formulas.allocation_hours(
                    allocation.unit, values["amount"], rules.standard_hours(month)
                ),
            )
            for month, cell in zip(months, cells, strict=True)
        ],
        passed_from=passed[0],
        passed_to=passed[1],
    )


def shift_date(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when that month is shorter)."""
    first = add_months(day, months)
    return first.replace(day=min(day.day, month_end(first).day))


@dataclass(frozen=True)
class CompetingAllocation:
    allocation_id: int
    project_id: int
    project_code: str
    project_name: str
    portfolio_id: int
    portfolio_name: str
    project_visible: bool  # False: listed without naming the project
    person_id: int | None
    person_name: str  # blank: a role-only allocation
    calendar_id: int | None  # the calendar its FTE converts with (None: the default)
    start_month: date
    end_month: date
    unit: str
    amount: Decimal
    hours: Decimal  # in the conflict month
    priority: Decimal | None  # portfolio.priority; None: never scored


@dataclass(frozen=True)
class MilestoneMove:
    name: str
    baseline_date: date | None
    old_date: date  # the forecast date, else the baseline date
    new_date: date
    from_baseline: bool  # no forecast yet: it is the baseline date that would move


@dataclass(frozen=True)
class ShiftOption:
    months: int
    moved_from: date  # the first month that moves: the conflict month or the allocation's start
    new_start: date
    new_end: date
    keeps_earlier_months: bool  # months before the conflict month stay where they are
    milestones: list[MilestoneMove]


@dataclass(frozen=True)
class ReleaseOption:
    hours: Decimal  # taken in the conflict month: the over-allocation, at most all its hours
    remaining: Decimal  # the allocation's hours left that month
    still_over: Decimal  # over-allocation left afterwards (0: this resolves it)


@dataclass(frozen=True)
class ReassignCandidate:
    """Another person of the role, with their free hours (capacity − confirmed demand) and the
    hours the allocation would ask of them (FTE on their own calendar) in each month."""

    person_id: int
    name: str
    months: list[date]
    free: list[Decimal]
    needed: list[Decimal]

    @property
    def fits(self) -> bool:
        return all(free >= needed for free, needed in zip(self.free, self.needed, strict=True))

    @property
    def short_months(self) -> list[tuple[date, Decimal, Decimal]]:
        """(month, free, needed) where they lack the hours."""
        return [
            (month, free, needed)
            for month, free, needed in zip(self.months, self.free, self.needed, strict=True)
            if free < needed
        ]

    @property
    def spare(self) -> Decimal:
        """Hours left in their tightest month once they take it over."""
        return min(free - needed for free, needed in zip(self.free, self.needed, strict=True))

    @property
    def cells(self) -> list[tuple[date, Decimal, Decimal]]:
        return list(zip(self.months, self.free, self.needed, strict=True))


@dataclass(frozen=True)
class ReassignOption:
    """Hand the allocation's months from the conflict month on to a colleague of the same role
    who has the hours free in every one of them."""

    moved_from: date
    months: list[date]
    hours: list[Decimal]  # the allocation's hours in those months, as its person works them
    keeps_earlier_months: bool
    candidates: list[ReassignCandidate]  # fitting ones only, most room first
    still_over: Decimal  # the person's over-allocation left in the conflict month


def reassign_candidate(
    row: CapacityRow, *, rules: CalendarRules, unit: str, amount: Decimal, months, index
) -> ReassignCandidate:
    """`row`'s person against an allocation of `unit`/`amount` in `months` (`index` gives a
    month's position in the row's cells)."""
    cells = [row.cells[index(month)] for month in months]
    return ReassignCandidate(
        person_id=row.key,
        name=row.label,
        months=list(months),
        free=[cell.capacity - cell.confirmed for cell in cells],
        needed=[formulas.allocation_hours(unit, amount, rules.standard_hours(m)) for m in months],
    )


def reassignment_check(
    *, allocation: Allocation, to_person: Resource, from_month: date
) -> ReassignCandidate:
    """`to_person` against `allocation`'s months from `from_month` on, as they stand now."""
    moved = months_between(max(allocation.start_month, from_month), allocation.end_month)
    breakdown = role_capacity_breakdown(
        role=allocation.role, first_month=moved[0], month_count=len(moved)
    )
    row = next((row for row in breakdown.people if row.key == to_person.pk), None)
    if row is None:  # not active in any of these months
        row = CapacityRow(to_person.pk, to_person.name, [CapacityCell() for _ in moved])
    return reassign_candidate(
        row,
        rules=breakdown.calendars.get(to_person.pk, DEFAULT_CALENDAR),
        unit=allocation.unit,
        amount=allocation.amount,
        months=moved,
        index=breakdown.index,
    )


@dataclass(frozen=True)
class ConflictScope:
    """What is over capacity in the month (the role as a whole, or one person), the confirmed
    allocations competing for it (lowest priority first) and the options the data supports
    for the lowest-priority one."""

    kind: str  # "role" or "person"
    key: int
    label: str
    cell: CapacityCell
    over_hours: Decimal
    allocations: list[CompetingAllocation]
    target: CompetingAllocation | None
    shift: ShiftOption | None
    shift_blocked: str  # why there is no shift option
    release: ReleaseOption | None
    can_apply: bool
    reassign: ReassignOption | None = None  # only for a person over capacity
    reassign_blocked: str = ""  # why there is no colleague to offer

    @property
    def ident(self) -> str:
        return f"{self.kind}-{self.key}"


@dataclass(frozen=True)
class CapacityConflict:
    role: Role
    month: date
    cell: CapacityCell  # the role's total that month
    over_hours: Decimal
    allocations: list[CompetingAllocation]  # every confirmed allocation of the role that month
    scopes: list[ConflictScope]  # empty: nothing is over capacity that month
    resolutions: list  # the ConflictResolutions of the role and month the user may see

    @property
    def is_conflict(self) -> bool:
        return bool(self.scopes)


def _priority_order(allocation: CompetingAllocation):
    """Lowest priority first; a project nobody has scored counts as the lowest."""
    scored = allocation.priority is not None
    return (scored, allocation.priority or 0, -allocation.hours, allocation.allocation_id)


def _competing_allocations(*, role, month, user):
    """The confirmed allocations of the role in the month (model rows) and their priorities."""
    rows = list(
        Allocation.objects.filter(
            role=role,
            status=AllocationStatus.CONFIRMED,
            start_month__lte=month,
            end_month__gte=month,
        )
        .select_related("project__portfolio", "resource")
        .annotate(
            project_visible=Exists(
                Project.objects.visible_to(user).filter(pk=OuterRef("project_id"))
            )
        )
        .order_by("pk")
    )
    return rows, priority_scores(project_ids={row.project_id for row in rows})


def _competing(row, *, month, priority, active_people, calendars) -> CompetingAllocation:
    calendar_id = row.resource.calendar_id if row.resource_id in active_people else None
    return CompetingAllocation(
        allocation_id=row.pk,
        project_id=row.project_id,
        project_code=row.project.code,
        project_name=row.project.name,
        portfolio_id=row.project.portfolio_id,
        portfolio_name=row.project.portfolio.name,
        project_visible=row.project_visible,
        person_id=row.resource_id,
        person_name=row.resource.name if row.resource_id else "",
        calendar_id=calendar_id,
        start_month=row.start_month,
        end_month=row.end_month,
        unit=row.unit,
        amount=row.amount,
        hours=formulas.allocation_hours(
            row.unit, row.amount, calendars[calendar_id].standard_hours(month)
        ),
        priority=priority,
    )


def _smallest_shift(target, *, kind, month, breakdown, person_row, rules):
    """The smallest N (1–6) such that moving the target's months from `month` on N months
    later leaves the scope within capacity in `month` and puts no month it moves into over
    capacity, neither for the role nor for the person: (N, "") or (None, why not)."""
    moved = months_between(max(target.start_month, month), target.end_month)
    scope_row = breakdown.total if kind == "role" else person_row
    rows = [breakdown.total] + ([person_row] if person_row else [])

    def hours(m):
        return formulas.allocation_hours(target.unit, target.amount, rules.standard_hours(m))

    for shift in range(1, MAX_SHIFT_MONTHS + 1):
        landing = [add_months(m, shift) for m in moved]
        if breakdown.index(landing[-1]) is None:
            return None, "the months it would move into are too far ahead to check"
        delta: dict[date, Decimal] = defaultdict(lambda: formulas.ZERO)
        for old, new in zip(moved, landing, strict=True):
            delta[old] -= hours(old)
            delta[new] += hours(new)

        def after(row, m, delta=delta):
            cell = row.cells[breakdown.index(m)]
            return CapacityCell(cell.capacity, cell.confirmed + delta[m], cell.requested)

        if after(scope_row, month).is_conflict:
            return None, "the other confirmed demand that month is over capacity on its own"
        if not any(after(row, m).is_conflict for row in rows for m in landing):
            return shift, ""
    return None, (
        f"a shift of 1–{MAX_SHIFT_MONTHS} months would land it in months that are already full"
    )


def _milestone_moves(milestones, target, moved_from: date, shift: int) -> list[MilestoneMove]:
    """Milestones dated (forecast, else baseline) within the months that move."""
    last_day = month_end(target.end_month)
    moves = []
    for milestone in milestones:
        day = milestone.forecast_date or milestone.baseline_date
        if day is None or not moved_from <= day <= last_day:
            continue
        moves.append(
            MilestoneMove(
                name=milestone.name,
                baseline_date=milestone.baseline_date,
                old_date=day,
                new_date=shift_date(day, shift),
                from_baseline=milestone.forecast_date is None,
            )
        )
    return moves


def _reassign_option(target, *, month, over, breakdown, rules):
    """(option, "") with the colleagues of the role who have the target's hours free in every
    month from the conflict month on, or (None, why not)."""
    moved = months_between(max(target.start_month, month), target.end_month)
    if breakdown.index(moved[-1]) is None:
        return None, "its months run too far ahead to check"
    candidates = [
        reassign_candidate(
            row,
            rules=breakdown.calendars.get(row.key, DEFAULT_CALENDAR),
            unit=target.unit,
            amount=target.amount,
            months=moved,
            index=breakdown.index,
        )
        for row in breakdown.people
        if row.key != target.person_id
    ]
    fitting = sorted(
        (candidate for candidate in candidates if candidate.fits),
        key=lambda candidate: (-candidate.spare, candidate.name, candidate.person_id),
    )
    if not fitting:
        return None, (
            "nobody else of the role has these hours free in every one of its months"
            if candidates
            else "nobody else holds the role"
        )
    return ReassignOption(
        moved_from=moved[0],
        months=moved,
        hours=[
            formulas.allocation_hours(target.unit, target.amount, rules.standard_hours(m))
            for m in moved
        ],
        keeps_earlier_months=target.start_month < month,
        candidates=fitting,
        still_over=max(over - target.hours, formulas.ZERO),
    ), ""


def capacity_conflict(*, role: Role, month: date, user) -> CapacityConflict:
    """The over-allocation of `role` in `month`: the role's numbers; the confirmed allocations
    competing for it with their projects' priority scores; each over-allocated scope (the
    role as a whole, each person over 100 %) with the options the data supports for its
    lowest-priority allocation; and the resolutions already recorded. A fixed number of
    queries, however many allocations compete."""
    month = month_start(month)
    calendars = calendar_rules()
    rows, priorities = _competing_allocations(role=role, month=month, user=user)
    last = max([row.end_month for row in rows] + [month])
    month_count = min(len(months_between(month, last)) + MAX_SHIFT_MONTHS, CONFLICT_HORIZON_MONTHS)
    breakdown = role_capacity_breakdown(role=role, first_month=month, month_count=month_count)
    person_rows = {row.key: row for row in breakdown.people}
    allocations = sorted(
        (
            _competing(
                row,
                month=month,
                priority=priorities[row.project_id],
                active_people=person_rows,
                calendars=calendars,
            )
            for row in rows
        ),
        key=_priority_order,
    )
    role_cell = breakdown.total.cells[0]

    over_people = {row.key for row in breakdown.people if row.cells[0].is_conflict}
    over_scopes = []
    if role_cell.is_conflict:
        # Only what makes the role over may yield: the allocations of people over capacity
        # that month and demand no active person of the role carries (role-only requests).
        # Moving work off someone within capacity would leave them idle and the others over.
        yielding = [
            a for a in allocations if a.person_id in over_people or a.person_id not in person_rows
        ]
        over_scopes.append(("role", role.pk, role.name, role_cell, yielding))
    for row in sorted(breakdown.people, key=lambda r: r.cells[0].capacity - r.cells[0].confirmed):
        if row.cells[0].is_conflict:
            own = [a for a in allocations if a.person_id == row.key]
            over_scopes.append(("person", row.key, row.label, row.cells[0], own))

    targets = {own[0].project_id for *_, own in over_scopes if own}
    milestones = defaultdict(list)
    for milestone in Milestone.objects.filter(
        project_id__in=targets, actual_date__isnull=True
    ).order_by("project_id", "sequence", "baseline_date", "pk"):
        milestones[milestone.project_id].append(milestone)
    may_apply: dict[int, bool] = {}

    scopes = []
    for kind, key, label, cell, own in over_scopes:
        over = cell.confirmed - cell.capacity
        target = own[0] if own else None
        shift = release = reassign = None
        blocked = reassign_blocked = "there is no confirmed allocation to move"
        if target:
            months, blocked = _smallest_shift(
                target,
                kind=kind,
                month=month,
                breakdown=breakdown,
                person_row=person_rows.get(target.person_id),
                rules=calendars[target.calendar_id],
            )
            if months:
                moved_from = max(target.start_month, month)
                shift = ShiftOption(
                    months=months,
                    moved_from=moved_from,
                    new_start=add_months(moved_from, months),
                    new_end=add_months(target.end_month, months),
                    keeps_earlier_months=target.start_month < month,
                    milestones=_milestone_moves(
                        milestones[target.project_id], target, moved_from, months
                    ),
                )
            if kind == "person":
                reassign, reassign_blocked = _reassign_option(
                    target,
                    month=month,
                    over=over,
                    breakdown=breakdown,
                    rules=calendars[target.calendar_id],
                )
            released = min(over, target.hours)
            release = ReleaseOption(
                hours=released, remaining=target.hours - released, still_over=over - released
            )
            if target.portfolio_id not in may_apply:
                may_apply[target.portfolio_id] = access.can_manage_resources(
                    user, target.portfolio_id
                )
        scopes.append(
            ConflictScope(
                kind=kind,
                key=key,
                label=label,
                cell=cell,
                over_hours=over,
                allocations=own,
                target=target,
                shift=shift,
                shift_blocked=blocked,
                release=release,
                can_apply=bool(target) and may_apply[target.portfolio_id],
                reassign=reassign,
                reassign_blocked=reassign_blocked,
            )
        )

    resolutions = list(
        ConflictResolution.objects.visible_to(user)
        .filter(role=role, month=month)
        .select_related("project", "decided_by")
        .order_by("-decided_at", "-pk")
    )
    return CapacityConflict(
        role=role,
        month=month,
        cell=role_cell,
        over_hours=max(role_cell.confirmed - role_cell.capacity, formulas.ZERO),
        allocations=allocations,
        scopes=scopes,
        resolutions=resolutions,
    )


# --- People, roles and allocation pages ---------------------------------------------------------

WINDOW_MONTHS = 12  # the people and allocation pages show a year at a time


def _window_months(first: date) -> list[date]:
    return [add_months(first, n) for n in range(WINDOW_MONTHS)]


def _monthly_hours(allocation: Allocation, months: list[date], rules) -> list[Decimal]:
    """Hours the allocation asks for in each month of the window (0 outside its range);
    FTE converts with the named person's calendar, else the default one (as the capacity
    grids do)."""
    calendar = rules[allocation.resource.calendar_id if allocation.resource_id else None]
    return [
        formulas.allocation_hours(
            allocation.unit, allocation.amount, calendar.standard_hours(month)
        )
        if allocation.start_month <= month <= allocation.end_month
        else formulas.ZERO
        for month in months
    ]


def _column_totals(rows: Iterable[list[Decimal]], width: int) -> list[Decimal]:
    totals = [formulas.ZERO] * width
    for hours in rows:
        totals = [a + b for a, b in zip(totals, hours, strict=True)]
    return totals


def people_directory(*, user) -> QuerySet[Resource]:
    """The people the user sees (everyone, for anyone holding a role), with role and skills."""
    return (
        Resource.objects.visible_to(user)
        .select_related("role")
        .prefetch_related("skills")
        .order_by("name", "pk")
    )


def role_choices() -> list[tuple[int, str]]:
    return list(Role.objects.order_by("name").values_list("pk", "name"))


def skill_choices() -> list[tuple[int, str]]:
    return list(Skill.objects.order_by("name").values_list("pk", "name"))


def people_for_choices(*, today: date, role_ids: Iterable[int] | None = None) -> list[Resource]:
    """People one may still name on a request (of these roles): not gone before this month.
    People are shared across portfolios, so this takes no user: the pages that offer them
    have checked that their user may request or decide."""
    people = Resource.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=month_start(today))
    ).select_related("role")
    if role_ids is not None:
        people = people.filter(role__in=list(role_ids))
    return list(people.order_by("name", "pk"))


def roles_with_headcount(*, user, today: date) -> QuerySet[Role]:
    """The roles the user sees, with their number of people (`people`) and of people not
    gone by today (`active_people`)."""
    return (
        Role.objects.visible_to(user)
        .annotate(
            people=Count("resources", distinct=True),
            active_people=Count(
                "resources",
                filter=Q(resources__end_date__isnull=True) | Q(resources__end_date__gte=today),
                distinct=True,
            ),
        )
        .order_by("name", "pk")
    )


@dataclass(frozen=True)
class AllocationLine:
    allocation: Allocation | None  # None: the hours of projects the reader cannot see
    hours: list[Decimal]


class _YearWindow:
    """The first months of the windows before and after `months` (the pages' arrows)."""

    months: list[date]

    @property
    def previous(self) -> date:
        return add_months(self.months[0], -WINDOW_MONTHS)

    @property
    def next(self) -> date:
        return add_months(self.months[0], WINDOW_MONTHS)


@dataclass
class PersonPlan(_YearWindow):
    months: list[date]
    capacity_row: CapacityRow | None
    confirmed: list[AllocationLine] = field(default_factory=list)
    requested: list[AllocationLine] = field(default_factory=list)


def person_plan(*, resource: Resource, user, first_month: date) -> PersonPlan:
    """The person's 12 months: capacity against confirmed and requested demand (the
    capacity grid's figures) and the allocations behind them, by project. Allocations of
    projects the reader may not see count in the totals as one anonymous line."""
    grid = person_capacity_grid(role=resource.role, first_month=first_month)
    row = next((row for row in grid.rows if row.key == resource.pk), None)
    months = grid.months
    allocations = list(
        Allocation.objects.visible_to(user)
        .filter(resource=resource, start_month__lte=months[-1], end_month__gte=months[0])
        .exclude(status=AllocationStatus.REJECTED)
        .select_related("project", "role")
        .order_by("project__code", "start_month", "pk")
    )
    for allocation in allocations:
        allocation.resource = resource  # already loaded, with its calendar
    rules = calendar_rules([resource.calendar_id])
    plan = PersonPlan(months=months, capacity_row=row)
    for allocation in allocations:
        line = AllocationLine(allocation, _monthly_hours(allocation, months, rules))
        if allocation.status == AllocationStatus.CONFIRMED:
            plan.confirmed.append(line)
        else:
            plan.requested.append(line)
    if row is not None:
        for lines, of_grid in ((plan.confirmed, "confirmed"), (plan.requested, "requested")):
            seen = _column_totals((line.hours for line in lines), len(months))
            hidden = [getattr(cell, of_grid) - s for cell, s in zip(row.cells, seen, strict=True)]
            if any(hidden):
                lines.append(AllocationLine(None, hidden))
    return plan


@dataclass(frozen=True)
class PersonAdjustments:
    current: list[CapacityAdjustment]  # ending in or after the first month shown
    earlier_count: int


def person_adjustments(*, resource: Resource, since: date) -> PersonAdjustments:
    adjustments = resource.capacity_adjustments
    return PersonAdjustments(
        current=list(adjustments.filter(end_date__gte=since).order_by("start_date", "pk")),
        earlier_count=adjustments.filter(end_date__lt=since).count(),
    )


@dataclass(frozen=True)
class ProjectAllocations(_YearWindow):
    confirmed: list[Allocation]
    requested: list[Allocation]
    rejected: list[Allocation]
    months: list[date]
    confirmed_hours: list[Decimal]
    requested_hours: list[Decimal]

    @property
    def confirmed_total(self) -> Decimal:
        return sum(self.confirmed_hours, formulas.ZERO)

    @property
    def requested_total(self) -> Decimal:
        return sum(self.requested_hours, formulas.ZERO)


def _default_first_month(allocations: list[Allocation], this_month: date) -> date:
    """The whole span when it fits in the window, else the window around this month."""
    if not allocations:
        return this_month
    earliest = min(a.start_month for a in allocations)
    latest = max(a.end_month for a in allocations)
    if len(months_between(earliest, latest)) <= WINDOW_MONTHS:
        return earliest
    near_now = min(add_months(this_month, -2), add_months(latest, -11))
    return max(earliest, near_now)


def project_allocations(
    *, project, user, first_month: date | None, today: date
) -> ProjectAllocations:
    """The project's allocations by status and their hours per month over a 12-month window
    (from `first_month`, else the one `_default_first_month` picks)."""
    allocations = list(
        project.allocations.visible_to(user)
        .select_related("role", "resource__calendar", "requested_by", "decided_by")
        .order_by("start_month", "role__name", "pk")
    )
    by_status = defaultdict(list)
    for allocation in allocations:
        by_status[allocation.status].append(allocation)
    open_allocations = [a for a in allocations if a.status != AllocationStatus.REJECTED]
    months = _window_months(
        first_month or _default_first_month(open_allocations, month_start(today))
    )
    rules = calendar_rules(a.resource.calendar_id for a in open_allocations if a.resource_id)

    def totals(status):
        return _column_totals(
            (_monthly_hours(a, months, rules) for a in by_status[status]), len(months)
        )

    return ProjectAllocations(
        confirmed=by_status[AllocationStatus.CONFIRMED],
        requested=by_status[AllocationStatus.REQUESTED],
        rejected=by_status[AllocationStatus.REJECTED],
        months=months,
        confirmed_hours=totals(AllocationStatus.CONFIRMED),
        requested_hours=totals(AllocationStatus.REQUESTED),
    )


def allocation_requests(*, user) -> QuerySet[Allocation]:
    """The requests waiting for a decision that the user may take (a resource manager of the
    project's portfolio, or the PMO), oldest first."""
    return (
        access.filter_resource_managed(
            Allocation.objects.filter(status=AllocationStatus.REQUESTED),
            user,
            portfolio_field="project__portfolio",
        )
        .select_related("project__portfolio", "role", "resource__role", "requested_by")
        .order_by("pk")
    )
