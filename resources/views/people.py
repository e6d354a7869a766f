"""People, roles, capacity adjustments and allocations (issue 8).

Thin like the project views: look the object up through `visible_to` (404 when invisible),
let a form parse the input, call one service through `run_service` (its refusals become form
errors; its PermissionDenied is the 403), then Post/Redirect/Get. Pages that only show an
edit form check the same right before rendering, so a reader gets the 403 on GET too.

The read helpers below build the pages' tables in a fixed number of queries.
TODO(selectors): move them to resources.selectors once that file is free to edit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core import access
from core.months import add_months, month_start, months_between
from core.views import form_data, posted, run_service
from projects.shortcuts import visible_project
from resources import capacity, selectors, services
from resources.forms import (
    AllocationChangeForm,
    AllocationConfirmForm,
    AllocationRejectForm,
    AllocationRequestForm,
    CapacityAdjustmentForm,
    MonthField,
    PeopleFilter,
    PersonForm,
    RoleForm,
    plain_decimal,
)
from resources.models import (
    Allocation,
    AllocationStatus,
    Resource,
    Role,
    Skill,
)

WINDOW_MONTHS = 12


# --- Reads ---------------------------------------------------------------------------------


def _month_param(request) -> date | None:
    """`?from=YYYY-MM`: the first month of a 12-month window (None when absent or invalid)."""
    raw = request.GET.get("from")
    if not raw:
        return None
    try:
        return MonthField().clean(raw)
    except ValidationError:  # a bad bookmark falls back to the default window
        return None


def _this_month() -> date:
    return month_start(timezone.localdate())


def _window(first: date) -> list[date]:
    return [add_months(first, n) for n in range(WINDOW_MONTHS)]


def _monthly_hours(allocation: Allocation, months: list[date], rules) -> list[Decimal]:
    """Hours the allocation asks for in each month of the window (0 outside its range);
    FTE converts with the named person's calendar, else the default one (as the capacity
    grids do)."""
    calendar = rules[allocation.resource.calendar_id if allocation.resource_id else None]
    return [
        capacity.allocation_hours(
            allocation.unit, allocation.amount, calendar.standard_hours(month)
        )
        if allocation.start_month <= month <= allocation.end_month
        else capacity.ZERO
        for month in months
    ]


def _column_totals(rows: Iterable[list[Decimal]], width: int) -> list[Decimal]:
    totals = [capacity.ZERO] * width
    for hours in rows:
        totals = [a + b for a, b in zip(totals, hours, strict=True)]
    return totals


def _people_for_choices(*, role_ids: Iterable[int] | None = None) -> list[Resource]:
    """People one may still name on a request (of these roles): not gone before this month."""
    people = Resource.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=_this_month())
    ).select_related("role")
    if role_ids is not None:
        people = people.filter(role__in=list(role_ids))
    return list(people.order_by("name", "pk"))


# --- People --------------------------------------------------------------------------------


def _people_page(request, template, **context):
    """Render a people page; `can_manage` (edit buttons, the requests tab) is asked of the
    access module unless the view already checked it."""
    if "can_manage" not in context:
        context["can_manage"] = access.can_manage_resources(request.user)
    return render(request, template, {"section": "people", **context})


@login_required
def people_list(request):
    people = PeopleFilter(
        request.GET,
        queryset=Resource.objects.visible_to(request.user)
        .select_related("role")
        .prefetch_related("skills")
        .order_by("name", "pk"),
    ).qs
    page = Paginator(people, settings.SLATE_PAGE_SIZE).get_page(request.GET.get("page"))
    return _people_page(
        request,
        "resources/people_list.html",
        page_obj=page,
        roles=list(Role.objects.order_by("name").values_list("pk", "name")),
        skills=list(Skill.objects.order_by("name").values_list("pk", "name")),
        filters={name: request.GET.get(name, "") for name in ("q", "role", "skill")},
        today=timezone.localdate(),
    )


def _person(request, pk) -> Resource:
    return get_object_or_404(
        Resource.objects.visible_to(request.user)
        .select_related("role", "calendar")
        .prefetch_related("skills"),
        pk=pk,
    )


@dataclass(frozen=True)
class AllocationLine:
    allocation: Allocation | None  # None: the hours of projects the reader cannot see
    hours: list[Decimal]


@dataclass
class PersonPlan:
    months: list[date]
    capacity_row: selectors.CapacityRow | None
    confirmed: list[AllocationLine] = field(default_factory=list)
    requested: list[AllocationLine] = field(default_factory=list)

    @property
    def previous(self) -> date:
        return add_months(self.months[0], -WINDOW_MONTHS)

    @property
    def next(self) -> date:
        return add_months(self.months[0], WINDOW_MONTHS)


def _person_plan(resource: Resource, user, first: date) -> PersonPlan:
    """The person's 12 months: capacity against confirmed and requested demand (the
    capacity grid's figures) and the allocations behind them, by project. Allocations of
    projects the reader may not see count in the totals as one anonymous line."""
    grid = selectors.person_capacity_grid(role=resource.role, first_month=first)
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
    rules = selectors.calendar_rules([resource.calendar_id])
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


@login_required
def person_detail(request, pk):
    resource = _person(request, pk)
    plan = _person_plan(resource, request.user, _month_param(request) or _this_month())
    adjustments = resource.capacity_adjustments.filter(end_date__gte=plan.months[0]).order_by(
        "start_date", "pk"
    )
    return _people_page(
        request,
        "resources/person_detail.html",
        person=resource,
        plan=plan,
        adjustments=list(adjustments),
        earlier_adjustments=resource.capacity_adjustments.filter(
            end_date__lt=plan.months[0]
        ).count(),
        adjustment_form=CapacityAdjustmentForm(),
        today=timezone.localdate(),
    )


def _require_manager(request):
    access.require(
        access.can_manage_resources(request.user),
        "Only resource managers and the PMO may change people and roles.",
    )


@login_required
def person_create(request):
    _require_manager(request)
    form = PersonForm(posted(request))
    if request.method == "POST" and form.is_valid():
        person = run_service(
            form, lambda: services.resource_create(data=form_data(form), by=request.user)
        )
        if person:
            messages.success(request, f"{person.name} added.")
            return redirect("resources:person", pk=person.pk)
    return _people_page(request, "resources/person_form.html", form=form, can_manage=True)


def _initial(resource: Resource) -> dict:
    return {
        **{name: getattr(resource, name) for name in services.RESOURCE_FIELDS},
        "fte": plain_decimal(resource.fte),
        "cost_rate": plain_decimal(resource.cost_rate),
        "skills": list(resource.skills.all()),
    }


@login_required
def person_edit(request, pk):
    resource = _person(request, pk)
    _require_manager(request)
    form = PersonForm(posted(request), initial=_initial(resource))
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.resource_update(
                resource=resource, data=form_data(form), by=request.user
            ),
        )
        if saved:
            messages.success(request, f"{saved.name} saved.")
            return redirect("resources:person", pk=resource.pk)
        resource.refresh_from_db()  # the page header shows what is saved
    return _people_page(
        request, "resources/person_form.html", form=form, person=resource, can_manage=True
    )


@login_required
def adjustment_create(request, pk):
    """The person page carries the add form; an error re-renders it on its own page."""
    resource = _person(request, pk)
    _require_manager(request)
    form = CapacityAdjustmentForm(posted(request))
    if request.method == "POST" and form.is_valid():
        adjustment = run_service(
            form,
            lambda: services.capacity_adjustment_create(
                resource=resource, data=form_data(form), by=request.user
            ),
        )
        if adjustment:
            messages.success(
                request,
                f"{adjustment.get_kind_display()} of {resource.name} from "
                f"{adjustment.start_date:%Y-%m-%d} to {adjustment.end_date:%Y-%m-%d} added.",
            )
            return redirect("resources:person", pk=resource.pk)
    return _people_page(
        request,
        "resources/person_adjustment_form.html",
        form=form,
        person=resource,
        can_manage=True,
    )


@login_required
def adjustment_delete(request, pk, adjustment_pk):
    """GET asks for confirmation (works without JavaScript); POST deletes."""
    resource = _person(request, pk)
    adjustment = get_object_or_404(resource.capacity_adjustments, pk=adjustment_pk)
    adjustment.resource = resource
    _require_manager(request)
    if request.method == "POST":
        services.capacity_adjustment_delete(adjustment=adjustment, by=request.user)
        messages.success(
            request,
            f"{adjustment.get_kind_display()} of {resource.name} from "
            f"{adjustment.start_date:%Y-%m-%d} to {adjustment.end_date:%Y-%m-%d} deleted.",
        )
        return redirect("resources:person", pk=resource.pk)
    return _people_page(
        request,
        "resources/person_adjustment_confirm_delete.html",
        person=resource,
        adjustment=adjustment,
        can_manage=True,
    )


# --- Roles ---------------------------------------------------------------------------------


@login_required
def role_list(request):
    roles = (
        Role.objects.visible_to(request.user)
        .annotate(
            people=Count("resources", distinct=True),
            active_people=Count(
                "resources",
                filter=Q(resources__end_date__isnull=True)
                | Q(resources__end_date__gte=timezone.localdate()),
                distinct=True,
            ),
        )
        .order_by("name", "pk")
    )
    page = Paginator(roles, settings.SLATE_PAGE_SIZE).get_page(request.GET.get("page"))
    return _people_page(request, "resources/role_list.html", page_obj=page, section="roles")


@login_required
def role_create(request):
    _require_manager(request)
    form = RoleForm(posted(request))
    if request.method == "POST" and form.is_valid():
        role = run_service(
            form, lambda: services.role_create(data=form_data(form), by=request.user)
        )
        if role:
            messages.success(request, f"Role “{role.name}” added.")
            return redirect("resources:roles")
    return _people_page(
        request, "resources/role_form.html", form=form, section="roles", can_manage=True
    )


@login_required
def role_edit(request, pk):
    role = get_object_or_404(Role.objects.visible_to(request.user), pk=pk)
    _require_manager(request)
    initial = {
        **{name: getattr(role, name) for name in services.ROLE_FIELDS},
        "default_cost_rate": plain_decimal(role.default_cost_rate),
    }
    form = RoleForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form, lambda: services.role_update(role=role, data=form_data(form), by=request.user)
        )
        if saved:
            messages.success(request, f"Role “{saved.name}” saved.")
            return redirect("resources:roles")
        role.refresh_from_db()
    return _people_page(
        request,
        "resources/role_form.html",
        form=form,
        role=role,
        section="roles",
        can_manage=True,
    )


# --- Allocations of a project --------------------------------------------------------------


@dataclass(frozen=True)
class ProjectAllocations:
    confirmed: list[Allocation]
    requested: list[Allocation]
    rejected: list[Allocation]
    months: list[date]
    confirmed_hours: list[Decimal]
    requested_hours: list[Decimal]

    @property
    def previous(self) -> date:
        return add_months(self.months[0], -WINDOW_MONTHS)

    @property
    def next(self) -> date:
        return add_months(self.months[0], WINDOW_MONTHS)

    @property
    def confirmed_total(self) -> Decimal:
        return sum(self.confirmed_hours, capacity.ZERO)

    @property
    def requested_total(self) -> Decimal:
        return sum(self.requested_hours, capacity.ZERO)


def _default_first_month(allocations: list[Allocation]) -> date:
    """The whole span when it fits in the window, else the window around this month."""
    this_month = _this_month()
    if not allocations:
        return this_month
    earliest = min(a.start_month for a in allocations)
    latest = max(a.end_month for a in allocations)
    if len(months_between(earliest, latest)) <= WINDOW_MONTHS:
        return earliest
    near_now = min(add_months(this_month, -2), add_months(latest, -11))
    return max(earliest, near_now)


def _project_allocations(project, first: date | None) -> ProjectAllocations:
    allocations = list(
        project.allocations.select_related(
            "role", "resource__calendar", "requested_by", "decided_by"
        ).order_by("start_month", "role__name", "pk")
    )
    by_status = defaultdict(list)
    for allocation in allocations:
        by_status[allocation.status].append(allocation)
    open_allocations = [a for a in allocations if a.status != AllocationStatus.REJECTED]
    months = _window(first or _default_first_month(open_allocations))
    rules = selectors.calendar_rules(
        a.resource.calendar_id for a in open_allocations if a.resource_id
    )

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


def _warn(request, allocation):
    for warning in services.allocation_warnings(allocation):
        messages.warning(request, warning)


@login_required
def project_allocations(request, pk):
    """GET lists the project's allocations with a request form for its editors; POST
    requests one (an error re-renders the page with the input kept)."""
    project = visible_project(request, pk)
    can_edit = access.can_edit_project(request.user, project)
    if request.method == "POST":
        access.require(can_edit)
    form = AllocationRequestForm(posted(request), people=_people_for_choices() if can_edit else ())
    if request.method == "POST" and form.is_valid():
        allocation = run_service(
            form,
            lambda: services.allocation_request(
                project=project, data=form_data(form), by=request.user
            ),
        )
        if allocation:
            messages.success(request, f"Requested {_describe(allocation)}.")
            _warn(request, allocation)
            return redirect("resources:project-allocations", pk=project.pk)
    return render(
        request,
        "resources/allocation_project.html",
        {
            "portfolio": project.portfolio,
            "project": project,
            "can_edit": can_edit,
            "can_decide": access.can_manage_resources(request.user, project.portfolio_id),
            "tab": "allocations",
            "form": form,
            "allocations": _project_allocations(project, _month_param(request)),
            "closed": project.stage in services.CLOSED_STAGES,
        },
    )


def _describe(allocation: Allocation) -> str:
    who = allocation.resource.name if allocation.resource_id else f"any {allocation.role}"
    unit = "FTE" if allocation.unit == "fte" else "h/month"
    months = (
        f"{allocation.start_month:%b %Y}"
        if allocation.start_month == allocation.end_month
        else f"{allocation.start_month:%b %Y}–{allocation.end_month:%b %Y}"
    )
    amount = plain_decimal(allocation.amount)
    return f"{who} at {amount} {unit}, {months}, on {allocation.project.code}"


def _allocation(request, pk) -> Allocation:
    return get_object_or_404(
        Allocation.objects.visible_to(request.user).select_related(
            "project__portfolio", "role", "resource__role", "requested_by", "decided_by"
        ),
        pk=pk,
    )


@require_POST
@login_required
def allocation_withdraw(request, pk):
    allocation = _allocation(request, pk)
    carrier = forms.Form(request.POST)  # no input: it only carries a refusal back
    carrier.is_valid()
    run_service(
        carrier, lambda: services.allocation_withdraw(allocation=allocation, by=request.user)
    )
    if carrier.errors:
        for error in carrier.non_field_errors():
            messages.error(request, error)
    else:
        messages.success(request, f"Withdrew the request for {_describe(allocation)}.")
    return redirect("resources:project-allocations", pk=allocation.project_id)


# --- The resource managers' queue ----------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    allocation: Allocation
    change_form: AllocationChangeForm
    reject_form: AllocationRejectForm


@login_required
def allocation_queue(request):
    access.require(
        access.can_manage_resources(request.user),
        "The allocation requests are for resource managers and the PMO.",
    )
    pending = access.filter_resource_managed(
        Allocation.objects.filter(status=AllocationStatus.REQUESTED),
        request.user,
        portfolio_field="project__portfolio",
    ).select_related("project__portfolio", "role", "resource__role", "requested_by")
    page = Paginator(pending.order_by("pk"), settings.SLATE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    requests = list(page.object_list)
    people_by_role = defaultdict(list)
    for person in _people_for_choices(role_ids={a.role_id for a in requests}):
        people_by_role[person.role_id].append(person)
    items = [
        QueueItem(
            allocation=a,
            change_form=AllocationChangeForm(
                allocation=a, people=people_by_role[a.role_id], auto_id=f"a{a.pk}-%s"
            ),
            reject_form=AllocationRejectForm(auto_id=f"r{a.pk}-%s"),
        )
        for a in requests
    ]
    return _people_page(
        request,
        "resources/allocation_queue.html",
        page_obj=page,
        items=items,
        section="queue",
        can_manage=True,
    )


def _decision_page(request, allocation, *, action, form):
    return _people_page(
        request,
        "resources/allocation_decide.html",
        allocation=allocation,
        action=action,
        form=form,
        section="queue",
        can_manage=True,
    )


def _decided(request, allocation):
    verb = allocation.get_status_display().lower()
    messages.success(request, f"{verb.capitalize()} {_describe(allocation)}.")
    if allocation.status == AllocationStatus.CONFIRMED:
        _warn(request, allocation)
    return redirect("resources:allocation-queue")


def _require_decider(request, allocation):
    access.require(
        access.can_manage_resources(request.user, allocation.project.portfolio_id),
        "Only the resource managers of this portfolio and the PMO may decide allocations.",
    )


@require_POST
@login_required
def allocation_confirm(request, pk):
    allocation = _allocation(request, pk)
    form = AllocationConfirmForm(request.POST)
    if form.is_valid() and run_service(
        form,
        lambda: services.allocation_confirm(
            allocation=allocation, by=request.user, reason=form.cleaned_data["reason"]
        ),
    ):
        return _decided(request, allocation)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("resources:allocation-queue")


@login_required
def allocation_change(request, pk):
    """Confirm with changes (person, months, amount) and a reason."""
    allocation = _allocation(request, pk)
    _require_decider(request, allocation)
    people = _people_for_choices(role_ids=[allocation.role_id])
    form = AllocationChangeForm(posted(request), allocation=allocation, people=people)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.CHANGEABLE_FIELDS}
        decided = run_service(
            form,
            lambda: services.allocation_confirm(
                allocation=allocation,
                by=request.user,
                reason=form.cleaned_data["reason"],
                changes=changes,
            ),
        )
        if decided:
            return _decided(request, allocation)
        allocation.refresh_from_db()  # show the request as it stands, not half-changed
    return _decision_page(request, allocation, action="change", form=form)


@login_required
def allocation_reject(request, pk):
    allocation = _allocation(request, pk)
    _require_decider(request, allocation)
    form = AllocationRejectForm(posted(request))
    if request.method == "POST" and form.is_valid():
        decided = run_service(
            form,
            lambda: services.allocation_reject(
                allocation=allocation, by=request.user, reason=form.cleaned_data["reason"]
            ),
        )
        if decided:
            return _decided(request, allocation)
    return _decision_page(request, allocation, action="reject", form=form)
