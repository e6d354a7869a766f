"""/api/: risks, projects' cost entries and status reports, and the OpenAPI schema (JSON or
YAML) with its readers, Swagger UI (/api/docs/) and Redoc (/api/redoc/). `router` holds this
app's registrations: `config/urls.py` merges them with `reporting.api.urls`'s into one router.

The readers are pages for people, behind the login page: their scripts and styles are
drf-spectacular-sidecar's copies in static/, never a CDN's; Swagger UI's start-up script is a
file of its own (the split view), as the Content-Security-Policy allows no inline script, and
Redoc's page is drf-spectacular's without its web fonts (api_docs/redoc.html)."""

from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import SimpleRouter

from portfolio.api import views

router = SimpleRouter()
router.register("programs", views.ProgramViewSet, basename="program")
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
    path(
        "projects/<int:project_pk>/status-reports/<int:pk>/",
        views.StatusReportViewSet.as_view({"get": "retrieve"}),
        name="project-status-report",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path(
        "redoc/",
        login_required(
            SpectacularRedocView.as_view(url_name="api:schema", template_name="api_docs/redoc.html")
        ),
        name="redoc",
    ),
]
