"""The plan endpoints' registrations: `config/urls.py` merges this router with the other
apps' into the one under /api/. A project's milestones, baselines and change requests are
nested under it (/api/projects/{project_pk}/…); dependencies, which join two projects, are a
collection of their own."""

from rest_framework.routers import SimpleRouter

from projects.api import views

PROJECT = r"projects/(?P<project_pk>\d+)"

router = SimpleRouter()
router.register("dependencies", views.DependencyViewSet, basename="dependency")
router.register(f"{PROJECT}/milestones", views.MilestoneViewSet, basename="project-milestone")
router.register(f"{PROJECT}/baselines", views.BaselineViewSet, basename="project-baseline")
router.register(
    f"{PROJECT}/change-requests", views.ChangeRequestViewSet, basename="project-change-request"
)
