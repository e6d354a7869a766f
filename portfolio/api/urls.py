"""/api/: risks, projects' cost entries and status reports, and the OpenAPI schema (JSON or
YAML; no Swagger UI, which would load its assets from a CDN). `router` holds this app's
registrations: `config/urls.py` merges them with `reporting.api.urls`'s into one router."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from portfolio.api import views

router = SimpleRouter()
router.register("risks", views.RiskViewSet, basename="risk")

project_collection = {"get": "list", "post": "create"}

urlpatterns = [
    path(
        "projects/<int:project_pk>/cost-entries/",
        views.CostEntryViewSet.as_view(project_collection),
        name="project-cost-entries",
    ),
    path(
        "projects/<int:project_pk>/status-reports/",
        views.StatusReportViewSet.as_view(project_collection),
        name="project-status-reports",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
