"""/api/portfolios/, /api/projects/, /api/reviews/ (with a review's snapshots) and
/api/digest-subscriptions/. `config/urls.py` merges `router`'s registrations with
`portfolio.api.urls`'s into one router under /api/ (one API root), and adds `urlpatterns`."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from reporting.api import reviews, views

router = SimpleRouter()
router.register("portfolios", views.PortfolioViewSet, basename="portfolio")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("reviews", reviews.ReviewViewSet, basename="review")
router.register(
    "digest-subscriptions", reviews.DigestSubscriptionViewSet, basename="digest-subscription"
)

urlpatterns = [
    path(
        "reviews/<int:review_pk>/snapshots/",
        reviews.SnapshotViewSet.as_view({"get": "list"}),
        name="review-snapshots",
    ),
]
