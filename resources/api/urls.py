"""/api/people/, /api/roles/, /api/leave/, /api/allocations/ (with their decisions) and
/api/conflict-resolutions/: only the router's registrations (config/urls.py merges them)."""

from rest_framework.routers import SimpleRouter

from resources.api import views

router = SimpleRouter()
router.register("people", views.PersonViewSet, basename="person")
router.register("roles", views.RoleViewSet, basename="role")
router.register("leave", views.LeaveViewSet, basename="leave")
router.register("allocations", views.AllocationViewSet, basename="allocation")
router.register(
    "conflict-resolutions", views.ConflictResolutionViewSet, basename="conflict-resolution"
)
