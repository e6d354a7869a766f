"""Capacity against demand: the role × month heat map with its table and CSV, the
drill-down into the people of one role, and the conflict page with the resolution options
the data supports (shift, release, reassign to a colleague with free hours). Anyone holding
a role somewhere may read them (people are organisation-wide, docs/decisions.md §3), everyone
else gets a 403; projects named on a conflict page follow their own visibility. Applying an
option is the portfolio's resource managers' and the PMO's (the services check it again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from charts.capacity import HeatCell, HeatRow, capacity_heat_map
from core import access, exports
from core.bounds import parse_month_param
from core.months import add_months
from core.views import run_service
from resources import conflicts, selectors
from resources.forms import ReassignForm, ReleaseForm, ShiftForm
from resources.models import Allocation, AllocationStatus, Resource, Role

DEFAULT_MONTHS = 12
MAX_MONTHS = 24
MONTH_CHOICES = (3, 6, 12, 18, 24)


# Input -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    first_month: date
    month_count: int

    @property
    def query(self) -> str:
        return urlencode({"from": f"{self.first_month:%Y-%m}", "months": self.month_count})

    @property
    def earlier(self) -> str:
        return self._moved(-self.month_count)

    @property
    def later(self) -> str:
        return self._moved(self.month_count)

    def _moved(self, months: int) -> str:
        first = add_months(self.first_month, months)
        return urlencode({"from": f"{first:%Y-%m}", "months": self.month_count})


def _window(query) -> Window:
    """`?from=YYYY-MM` (default this month) and `?months=` (default 12, at most 24); what
    cannot be read falls back to the default."""
    first = parse_month_param(query.get("from", "")) or timezone.localdate().replace(day=1)
    try:
        count = int(query.get("months", DEFAULT_MONTHS))
    except ValueError:
        count = DEFAULT_MONTHS
    return Window(first, max(1, min(count, MAX_MONTHS)))


def _month_in_path(value: str) -> date:
    month = parse_month_param(value)
    if month is None:
        raise Http404("Not a month (YYYY-MM).")
    return month


def _readable_role(request, pk) -> Role:
    """Capacity is for anyone with a role somewhere: 403 for everyone else, then 404 for a
    role that does not exist."""
    access.require(access.has_any_role(request.user))
    return get_object_or_404(Role.objects.visible_to(request.user), pk=pk)


# Output ------------------------------------------------------------------------------------


def _conflict_url(role_id: int, month: date) -> str:
    return reverse("resources:conflict", args=[role_id, f"{month:%Y-%m}"])


def _heat_row(row, months, *, role_id: int, url: str, cell_url) -> HeatRow:
    return HeatRow(
        key=row.key,
        label=row.label,
        url=url,
        cells=[
            HeatCell(month, cell, _conflict_url(role_id, month) if cell.is_conflict else cell_url)
            for month, cell in zip(months, row.cells, strict=True)
        ],
    )


def _table(filename: str, labels: list[str], labelled_rows, months) -> exports.Table:
    """The heat map's numbers, one line per row and month, as the page shows them."""
    columns = [
        *(exports.Column(label) for label in labels),
        exports.Column("month", exports.MONTH),
        exports.Column("capacity_hours", exports.NUMBER),
        exports.Column("confirmed_hours", exports.NUMBER),
        exports.Column("requested_hours", exports.NUMBER),
        exports.Column("utilisation_percent", exports.PERCENT),
    ]
    rows = (
        [*row_labels, month, cell.capacity, cell.confirmed, cell.requested, cell.utilisation]
        for row_labels, row in labelled_rows
        for month, cell in zip(months, row.cells, strict=True)
    )
    return exports.Table(filename, "Capacity", columns, rows)


def _totals(cells) -> selectors.CapacityCell:
    total = selectors.CapacityCell()
    for cell in cells:
        total.capacity += cell.capacity
        total.confirmed += cell.confirmed
        total.requested += cell.requested
    return total


# Pages -------------------------------------------------------------------------------------


@login_required
def capacity_heat_map_page(request):
    access.require(access.has_any_role(request.user))
    window = _window(request.GET)
    grid = selectors.role_capacity_grid(
        first_month=window.first_month, month_count=window.month_count
    )
    fmt = exports.requested_format(request)
    if fmt:
        table = _table(
            f"capacity-{window.first_month:%Y-%m}-{window.month_count}-months",
            ["role"],
            (([row.label], row) for row in grid.rows),
            grid.months,
        )
        return exports.table_response(table, fmt)
    rows = []
    for row in grid.rows:
        role_url = f"{reverse('resources:capacity-role', args=[row.key])}?{window.query}"
        rows.append(_heat_row(row, grid.months, role_id=row.key, url=role_url, cell_url=role_url))
    conflicts = grid.conflicts
    return render(
        request,
        "resources/capacity_heat_map.html",
        {
            "window": window,
            "month_choices": MONTH_CHOICES,
            "months": grid.months,
            "rows": rows,
            "total": _totals(cell for row in grid.rows for cell in row.cells),
            "conflict_count": len(conflicts),
            "roles_in_conflict": len({row.key for row, _month, _cell in conflicts}),
            "chart": capacity_heat_map(
                rows,
                grid.months,
                title="Utilisation by role: confirmed demand ÷ capacity",
                element_id="chart-capacity",
            ),
        },
    )


@login_required
def capacity_role_page(request, pk):
    role = _readable_role(request, pk)
    window = _window(request.GET)
    breakdown = selectors.role_capacity_breakdown(
        role=role, first_month=window.first_month, month_count=window.month_count
    )
    months = breakdown.months
    fmt = exports.requested_format(request)
    if fmt:
        labelled = [([role.name, row.label], row) for row in breakdown.people]
        labelled.append(([role.name, ""], breakdown.unassigned))
        table = _table(
            f"capacity-{window.first_month:%Y-%m}-{window.month_count}-months-role-{role.pk}",
            ["role", "person"],
            labelled,
            months,
        )
        return exports.table_response(table, fmt)
    people = [
        _heat_row(row, months, role_id=role.pk, url="", cell_url="") for row in breakdown.people
    ]
    unassigned = _heat_row(breakdown.unassigned, months, role_id=role.pk, url="", cell_url="")
    has_unassigned = any(c.confirmed or c.requested for c in breakdown.unassigned.cells)
    return render(
        request,
        "resources/capacity_role.html",
        {
            "role": role,
            "window": window,
            "month_choices": MONTH_CHOICES,
            "months": months,
            "rows": people + ([unassigned] if has_unassigned else []),
            "total_row": _heat_row(breakdown.total, months, role_id=role.pk, url="", cell_url=""),
            "total": _totals(breakdown.total.cells),
            "people_count": len(people),
            "people_conflict_count": sum(row.conflict_count for row in people),
            "chart": capacity_heat_map(
                people,
                months,
                title=f"{role.name}: utilisation by person",
                element_id="chart-capacity-role",
            ),
        },
    )


def _conflict_page(request, role, month, *, failed=None, status=200):
    conflict = selectors.capacity_conflict(role=role, month=month, user=request.user)
    return render(
        request,
        "resources/conflict_detail.html",
        {
            "role": role,
            "month": month,
            "conflict": conflict,
            "failed": failed,
            "back_query": Window(add_months(month, -1), DEFAULT_MONTHS).query,
        },
        status=status,
    )


@login_required
def conflict_page(request, pk, month):
    role = _readable_role(request, pk)
    return _conflict_page(request, role, _month_in_path(month))


def _yielding_allocation(request, role) -> Allocation:
    """The allocation named in the POST: 404 unless it is a confirmed allocation of the role
    that the user can see, 403 unless the user may decide for its portfolio."""
    try:
        pk = int(request.POST.get("allocation", ""))
    except ValueError:
        raise Http404("No such allocation.") from None
    allocation = get_object_or_404(
        Allocation.objects.visible_to(request.user).select_related("project__portfolio"),
        pk=pk,
        role=role,
        status=AllocationStatus.CONFIRMED,
    )
    access.require(access.can_manage_resources(request.user, allocation.project.portfolio))
    return allocation


def _applied(request, role, month, form, action, call):
    resolution = run_service(form, call)
    if resolution is None:
        failed = {"action": action, "scope": form.data.get("scope", ""), "form": form}
        return _conflict_page(request, role, month, failed=failed, status=400)
    messages.success(
        request,
        f"{resolution.get_action_display()}: {resolution.project.code}, {role.name}, "
        f"{month:%B %Y}. The decision and your reason are recorded.",
    )
    return redirect("resources:conflict", pk=role.pk, month=f"{month:%Y-%m}")


@require_POST
@login_required
def conflict_shift(request, pk, month):
    role = _readable_role(request, pk)
    month = _month_in_path(month)
    allocation = _yielding_allocation(request, role)
    form = ShiftForm(request.POST)
    if not form.is_valid():
        return _applied(request, role, month, form, "shift", lambda: None)
    return _applied(
        request,
        role,
        month,
        form,
        "shift",
        lambda: conflicts.conflict_shift_allocation(
            allocation=allocation,
            months=form.cleaned_data["months"],
            from_month=month,
            by=request.user,
            reason=form.cleaned_data["reason"],
        ),
    )


@require_POST
@login_required
def conflict_release(request, pk, month):
    role = _readable_role(request, pk)
    month = _month_in_path(month)
    allocation = _yielding_allocation(request, role)
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        return _applied(request, role, month, form, "release", lambda: None)
    reduce = form.cleaned_data["release"] == "reduce"
    return _applied(
        request,
        role,
        month,
        form,
        "release",
        lambda: conflicts.conflict_release_allocation(
            allocation=allocation,
            hours_or_none=form.cleaned_data["hours"] if reduce else None,
            month=month,
            by=request.user,
            reason=form.cleaned_data["reason"],
        ),
    )


@require_POST
@login_required
def conflict_reassign(request, pk, month):
    role = _readable_role(request, pk)
    month = _month_in_path(month)
    allocation = _yielding_allocation(request, role)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        return _applied(request, role, month, form, "reassign", lambda: None)
    colleague = Resource.objects.filter(pk=form.cleaned_data["person"], role=role).first()
    if colleague is None:
        form.add_error("person", f"Choose someone who holds the role {role.name}.")
        return _applied(request, role, month, form, "reassign", lambda: None)
    return _applied(
        request,
        role,
        month,
        form,
        "reassign",
        lambda: conflicts.conflict_reassign_allocation(
            allocation=allocation,
            to_person=colleague,
            month=month,
            by=request.user,
            reason=form.cleaned_data["reason"],
        ),
    )
