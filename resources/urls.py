from django.urls import path

from resources.views import allocations, capacity, people

app_name = "resources"
urlpatterns = [
    # People, roles and allocations
    path("people/", people.people_list, name="people"),
    path("people/new/", people.person_create, name="person-create"),
    path("people/<int:pk>/", people.person_detail, name="person"),
    path("people/<int:pk>/edit/", people.person_edit, name="person-edit"),
    path("people/<int:pk>/adjustments/new/", people.adjustment_create, name="adjustment-create"),
    path(
        "people/<int:pk>/adjustments/<int:adjustment_pk>/delete/",
        people.adjustment_delete,
        name="adjustment-delete",
    ),
    path("people/roles/", people.role_list, name="roles"),
    path("people/roles/new/", people.role_create, name="role-create"),
    path("people/roles/<int:pk>/edit/", people.role_edit, name="role-edit"),
    path(
        "projects/<int:pk>/allocations/",
        allocations.project_allocations,
        name="project-allocations",
    ),
    path(
        "projects/imports/<int:import_pk>/people/",
        allocations.plan_allocation_requests,
        name="plan-allocations",
    ),
    path("allocations/requests/", allocations.allocation_queue, name="allocation-queue"),
    path(
        "allocations/<int:pk>/confirm/", allocations.allocation_confirm, name="allocation-confirm"
    ),
    path("allocations/<int:pk>/change/", allocations.allocation_change, name="allocation-change"),
    path("allocations/<int:pk>/reject/", allocations.allocation_reject, name="allocation-reject"),
    path("allocations/<int:pk>/undo/", allocations.allocation_undo, name="allocation-undo"),
    path(
        "allocations/<int:pk>/withdraw/",
        allocations.allocation_withdraw,
        name="allocation-withdraw",
    ),
    # Capacity (heat map, conflicts)
    path("resources/capacity/", capacity.capacity_heat_map_page, name="capacity"),
    path(
        "resources/capacity/roles/<int:pk>/",
        capacity.capacity_role_page,
        name="capacity-role",
    ),
    path(
        "resources/capacity/roles/<int:pk>/<str:month>/",
        capacity.conflict_page,
        name="conflict",
    ),
    path(
        "resources/capacity/roles/<int:pk>/<str:month>/shift/",
        capacity.conflict_shift,
        name="conflict-shift",
    ),
    path(
        "resources/capacity/roles/<int:pk>/<str:month>/release/",
        capacity.conflict_release,
        name="conflict-release",
    ),
    path(
        "resources/capacity/roles/<int:pk>/<str:month>/reassign/",
        capacity.conflict_reassign,
        name="conflict-reassign",
    ),
]
