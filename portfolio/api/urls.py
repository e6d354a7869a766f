"""/api/: portfolios, projects (with their cost entries and status reports), risks, and the
OpenAPI schema (JSON or YAML; no Swagger UI, which would load its assets from a CDN)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from portfolio.api import views

app_name = "api"

router = DefaultRouter()
router.register("portfolios", views.PortfolioViewSet, basename="portfolio")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("risks", views.RiskViewSet, basename="risk")

project_collection = {"get": "list", "post": "create"}

urlpatterns = [
    path("", include(router.urls)),
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
