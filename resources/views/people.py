"""People, their capacity adjustments, and roles.

Thin like the project views: look the object up through `visible_to` (404 when invisible),
let a form parse the input, call one service through `run_service` (its refusals become form
errors; its PermissionDenied is the 403), then Post/Redirect/Get. Pages that only show an
edit form check the same right before rendering, so a reader gets the 403 on GET too."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from core import access
from core.months import month_start
from core.views import form_data, posted, run_service
from resources import selectors, services
from resources.forms import (
    CapacityAdjustmentForm,
    PeopleFilter,
    PersonForm,
    RoleForm,
    month_from_query,
    plain_decimal,
)
from resources.models import Resource, Role


def people_section_page(request, template, **context):
    """Render a page of the people section (people, roles, allocation requests);
    `can_manage` (edit buttons, the requests tab) is asked of the access module unless the
    view already checked it."""
    if "can_manage" not in context:
        context["can_manage"] = access.can_manage_resources(request.user)
    # Hourly cost rates are for those who keep people (resource managers, the PMO, PMO
    # admins: the same rule as can_manage); everyone else sees no cost-rate column.
    context.setdefault("sees_cost_rates", context["can_manage"])
    return render(request, template, {"section": "people", **context})


# --- People --------------------------------------------------------------------------------


@login_required
def people_list(request):
    people = PeopleFilter(request.GET, queryset=selectors.people_directory(user=request.user)).qs
    page = Paginator(people, settings.SLATE_PAGE_SIZE).get_page(request.GET.get("page"))
    return people_section_page(
        request,
        "resources/people_list.html",
        page_obj=page,
        roles=selectors.role_choices(),
        skills=selectors.skill_choices(),
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


@login_required
def person_detail(request, pk):
    resource = _person(request, pk)
    first_month = month_from_query(request.GET) or month_start(timezone.localdate())
    plan = selectors.person_plan(resource=resource, user=request.user, first_month=first_month)
    adjustments = selectors.person_adjustments(resource=resource, since=plan.months[0])
    return people_section_page(
        request,
        "resources/person_detail.html",
        person=resource,
        plan=plan,
        adjustments=adjustments.current,
        earlier_adjustments=adjustments.earlier_count,
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
    return people_section_page(request, "resources/person_form.html", form=form, can_manage=True)


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
    return people_section_page(
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
    return people_section_page(
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
    return people_section_page(
        request,
        "resources/person_adjustment_confirm_delete.html",
        person=resource,
        adjustment=adjustment,
        can_manage=True,
    )


# --- Roles ---------------------------------------------------------------------------------


@login_required
def role_list(request):
    roles = selectors.roles_with_headcount(user=request.user, today=timezone.localdate())
    page = Paginator(roles, settings.SLATE_PAGE_SIZE).get_page(request.GET.get("page"))
    return people_section_page(request, "resources/role_list.html", page_obj=page, section="roles")


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
    return people_section_page(
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
    return people_section_page(
        request,
        "resources/role_form.html",
        form=form,
        role=role,
        section="roles",
        can_manage=True,
    )
