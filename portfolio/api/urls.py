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

from portfolio.api import candidates, scenarios, strategy, views

router = SimpleRouter()
router.register("programs", views.ProgramViewSet, basename="program")
router.register("risks", views.RiskViewSet, basename="risk")
# Strategy, pipeline and selection (i16: every object the pages edit)
router.register("objectives", strategy.ObjectiveViewSet, basename="objective")
router.register("contributions", strategy.ContributionViewSet, basename="contribution")
router.register("scoring-criteria", strategy.CriterionViewSet, basename="scoring-criterion")
router.register("scores", strategy.ScoreViewSet, basename="score")
router.register("gate-criteria", strategy.GateCriterionViewSet, basename="gate-criterion")
router.register("candidates", candidates.CandidateViewSet, basename="candidate")
router.register("gate-decisions", candidates.GateDecisionViewSet, basename="gate-decision")
router.register("scenarios", scenarios.ScenarioViewSet, basename="scenario")

project_collection = {"get": "list", "post": "create"}
edited_as_a_set = {"patch": "partial_update"}

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
        "portfolios/<slug:code>/timing/",
        views.PortfolioTimingView.as_view(),
        name="portfolio-timing",
    ),
    path(
        "projects/<int:project_pk>/status-reports/<int:pk>/",
        views.StatusReportViewSet.as_view({"get": "retrieve"}),
        name="project-status-report",
    ),
    # A portfolio's sets, edited together as on their pages (portfolio.api.strategy)
    path(
        "portfolios/<slug:code>/objectives/",
        strategy.ObjectiveSetViewSet.as_view(edited_as_a_set),
        name="portfolio-objectives",
    ),
    path(
        "portfolios/<slug:code>/scoring-criteria/",
        strategy.CriterionSetViewSet.as_view(edited_as_a_set),
        name="portfolio-scoring-criteria",
    ),
    path(
        "portfolios/<slug:code>/gate-criteria/",
        strategy.GateCriterionSetViewSet.as_view(edited_as_a_set),
        name="portfolio-gate-criteria",
    ),
    path(
        "portfolios/<slug:code>/contributions/",
        strategy.ContributionSetViewSet.as_view(edited_as_a_set),
        name="portfolio-contributions",
    ),
    path(
        "projects/<int:project_pk>/scores/",
        strategy.ProjectScoreSetViewSet.as_view(edited_as_a_set),
        name="project-scores",
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
