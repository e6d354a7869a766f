"""Allocations: a project's allocations with its request form, withdrawing a request, and
the resource managers' queue with their decisions (confirm, confirm with changes, reject),
each confirmation shown first against the person's months, and undoing a confirmation.

Thin like the people views: look the object up through `visible_to` (404 when invisible),
let a form parse the input, call one service through `run_service`, then Post/Redirect/Get."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core import access, exports
from core.views import form_data, posted, run_service
from portfolio.models import Portfolio
from projects.imports.services import read_plan
from projects.models import PlanImport
from projects.shortcuts import visible_project
from resources import selectors, services
from resources.exports import allocation_table
from resources.forms import (
    AllocationChangeForm,
    AllocationConfirmForm,
    AllocationRejectForm,
    AllocationRequestForm,
    AllocationUndoForm,
    PlanRolesForm,
    month_from_query,
    plain_decimal,
)
from resources.models import Allocation, AllocationStatus
from resources.plan_allocations import plan_role_requests
from resources.views.people import people_section_page

# --- Allocations of a project --------------------------------------------------------------


@login_required
def plan_allocation_requests(request, import_pk):
    """After a plan is imported: the role each of its people is requested as (the user
    confirms the suggested mapping), then the allocation requests, all or none."""
    plan_import = get_object_or_404(
        PlanImport.objects.filter(
            portfolio__in=Portfolio.objects.visible_to(request.user), applied_at__isnull=False
        ),
        pk=import_pk,
    )
    access.require(
        plan_import.uploaded_by_id == request.user.pk,
        "Only the person who imported this plan may request its people.",
    )
    project = visible_project(request, plan_import.applied_project_id)
    access.require(access.can_edit_project(request.user, project))
    requests = plan_role_requests(plan=read_plan(plan_import), project=project)
    form = PlanRolesForm(posted(request), requests=requests)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.allocations_request_from_plan(
                project=project, requests=requests, roles=form.roles(), by=request.user
            ),
        )
        if saved is not None:
            messages.success(
                request,
                f"Requested {len(saved)} allocation{'s' if len(saved) != 1 else ''} from "
                f"{plan_import.file_name}.",
            )
            return redirect("resources:project-allocations", pk=project.pk)
    return render(
        request,
        "resources/plan_allocations.html",
        {
            "portfolio": project.portfolio,
            "project": project,
            "plan_import": plan_import,
            "can_edit": True,
            "tab": "allocations",
            "form": form,
        },
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
    today = timezone.localdate()
    people = selectors.people_for_choices(today=today) if can_edit else ()
    form = AllocationRequestForm(posted(request), people=people)
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
    allocations = selectors.project_allocations(
        project=project, user=request.user, first_month=month_from_query(request.GET), today=today
    )
    fmt = exports.requested_format(request)
    if fmt:
        table = allocation_table(
            [*allocations.confirmed, *allocations.requested, *allocations.rejected],
            filename=f"allocations-{project.code}",
            title=f"Allocations {project.code}",
            project=project,
        )
        return exports.table_response(table, fmt)
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
            "allocations": allocations,
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
    fmt = exports.requested_format(request)
    if fmt:
        table = allocation_table(
            selectors.allocation_requests(user=request.user),
            filename="allocation-requests",
            title="Allocation requests",
        )
        return exports.table_response(table, fmt)
    page = Paginator(
        selectors.allocation_requests(user=request.user), settings.SLATE_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    requests = list(page.object_list)
    people_by_role = defaultdict(list)
    for person in selectors.people_for_choices(
        today=timezone.localdate(), role_ids={a.role_id for a in requests}
    ):
        people_by_role[person.role_id].append(person)
    items = [
        QueueItem(
            allocation=a,
            change_form=AllocationChangeForm(
                allocation=a,
                people=people_by_role[a.role_id],
                with_override=False,
                auto_id=f"a{a.pk}-%s",
            ),
            reject_form=AllocationRejectForm(auto_id=f"r{a.pk}-%s"),
        )
        for a in requests
    ]
    return people_section_page(
        request,
        "resources/allocation_queue.html",
        page_obj=page,
        items=items,
        section="queue",
        can_manage=True,
    )


def _decision_page(request, allocation, *, action, form, preview=None):
    if preview is not None and not preview.over:
        form.drop_override()
    return people_section_page(
        request,
        "resources/allocation_decide.html",
        allocation=allocation,
        action=action,
        form=form,
        preview=preview,
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


def _still_pending(allocation) -> bool:
    return Allocation.objects.filter(pk=allocation.pk, status=AllocationStatus.REQUESTED).exists()


def _back_to_queue(request, form):
    """Someone decided or withdrew the request meanwhile: say so on the queue."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("resources:allocation-queue")


def _confirm_kwargs(form) -> dict:
    return {
        "reason": form.cleaned_data["reason"],
        "override": form.cleaned_data.get("override", False),
        "override_reason": form.cleaned_data.get("override_reason", ""),
    }


@login_required
def allocation_confirm(request, pk):
    """GET shows what confirming does to the person's months (their confirmed demand, this
    request, the resulting utilisation, over 100 % highlighted); POST confirms, refused
    without the override when it over-allocates (the page comes back with the message)."""
    allocation = _allocation(request, pk)
    _require_decider(request, allocation)
    today = timezone.localdate()
    form = AllocationConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        decided = run_service(
            form,
            lambda: services.allocation_confirm(
                allocation=allocation, by=request.user, today=today, **_confirm_kwargs(form)
            ),
        )
        if decided:
            return _decided(request, allocation)
        if not _still_pending(allocation):
            return _back_to_queue(request, form)
        allocation.refresh_from_db()
    preview = (
        selectors.confirmation_preview(allocation=allocation, today=today)
        if allocation.status == AllocationStatus.REQUESTED
        else None
    )
    return _decision_page(request, allocation, action="confirm", form=form, preview=preview)


@login_required
def allocation_change(request, pk):
    """Confirm with changes (person, months, amount) and a reason; the preview shows the
    request as it stands, or as changed once the changes were sent and refused."""
    allocation = _allocation(request, pk)
    _require_decider(request, allocation)
    today = timezone.localdate()
    people = selectors.people_for_choices(today=today, role_ids=[allocation.role_id])
    form = AllocationChangeForm(posted(request), allocation=allocation, people=people)
    changes = None
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.CHANGEABLE_FIELDS}
        decided = run_service(
            form,
            lambda: services.allocation_confirm(
                allocation=allocation,
                by=request.user,
                changes=changes,
                today=today,
                **_confirm_kwargs(form),
            ),
        )
        if decided:
            return _decided(request, allocation)
        if not _still_pending(allocation):
            return _back_to_queue(request, form)
        allocation.refresh_from_db()  # show the request as it stands, not half-changed
        if any(name in form.errors for name in services.CHANGEABLE_FIELDS):
            changes = None  # changes that cannot be confirmed have no preview
    preview = (
        selectors.confirmation_preview(allocation=allocation, today=today, changes=changes)
        if allocation.status == AllocationStatus.REQUESTED
        else None
    )
    return _decision_page(request, allocation, action="change", form=form, preview=preview)


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


@login_required
def allocation_undo(request, pk):
    """Undo a confirmation (with a reason): the allocation is a request again."""
    allocation = _allocation(request, pk)
    _require_decider(request, allocation)
    form = AllocationUndoForm(posted(request))
    if request.method == "POST" and form.is_valid():
        request_again = run_service(
            form,
            lambda: services.allocation_undo_confirmation(
                allocation=allocation,
                by=request.user,
                reason=form.cleaned_data["reason"],
                today=timezone.localdate(),
            ),
        )
        if request_again:
            messages.success(
                request,
                f"Undid the confirmation: {_describe(request_again)} is a request again.",
            )
            return redirect("resources:project-allocations", pk=allocation.project_id)
    return _decision_page(request, allocation, action="undo", form=form)
