from django.urls import path

from resources import capacity_views, views

app_name = "resources"
urlpatterns = [
    # People, roles and allocations (issue 8, items 1 and 2)
    path("people/", views.people_list, name="people"),
    path("people/new/", views.person_create, name="person-create"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/edit/", views.person_edit, name="person-edit"),
    path("people/<int:pk>/adjustments/new/", views.adjustment_create, name="adjustment-create"),
    path(
        "people/<int:pk>/adjustments/<int:adjustment_pk>/delete/",
        views.adjustment_delete,
        name="adjustment-delete",
    ),
    path("people/roles/", views.role_list, name="roles"),
    path("people/roles/new/", views.role_create, name="role-create"),
    path("people/roles/<int:pk>/edit/", views.role_edit, name="role-edit"),
    path("projects/<int:pk>/allocations/", views.project_allocations, name="project-allocations"),
    path("allocations/requests/", views.allocation_queue, name="allocation-queue"),
    path("allocations/<int:pk>/confirm/", views.allocation_confirm, name="allocation-confirm"),
    path("allocations/<int:pk>/change/", views.allocation_change, name="allocation-change"),
    path("allocations/<int:pk>/reject/", views.allocation_reject, name="allocation-reject"),
    path("allocations/<int:pk>/withdraw/", views.allocation_withdraw, name="allocation-withdraw"),
    # Capacity (heat map, conflicts)
    path("resources/capacity/", capacity_views.capacity_heat_map_page, name="capacity"),
    path(
        "resources/capacity/roles/<int:pk>/",
        capacity_views.capacity_role_page,
        name="capacity-role",
    ),
    path(
        "resources/capacity/roles/<int:pk>/<str:month>/",
        capacity_views.conflict_page,
        name="conflict",
    ),
    path(
        "resources/capacity/roles/<int:pk>/<str:month>/shift/",
        capacity_views.conflict_shift,
        name="conflict-shift",
    ),
    path(
        "resources/capacity/roles/<int:pk>/<str:month>/release/",
        capacity_views.conflict_release,
        name="conflict-release",
    ),
]
