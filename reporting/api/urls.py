"""/api/portfolios/ and /api/projects/. Only the router's registrations: `config/urls.py`
merges them with `portfolio.api.urls`'s into one router under /api/ (one API root)."""

from rest_framework.routers import SimpleRouter

from reporting.api import views

router = SimpleRouter()
router.register("portfolios", views.PortfolioViewSet, basename="portfolio")
router.register("projects", views.ProjectViewSet, basename="project")
