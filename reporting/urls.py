from django.urls import path

from reporting.views import audit, dashboards, home, projects, reviews

app_name = "reporting"
urlpatterns = [
    path("home/", home.home, name="home"),
    path("my-work/", home.my_work, name="my-work"),
    path(
        "reminders/unsubscribe/<str:token>/",
        home.reminder_unsubscribe,
        name="reminder-unsubscribe",
    ),
    path("reviews/runs/", reviews.review_runs, name="runs"),
    path("audit/", audit.audit, name="audit"),
    path("reviews/<int:pk>/", reviews.review_detail, name="review"),
    path("reviews/runs/<int:pk>/", reviews.review_run, name="review-run"),
    path("portfolios/<slug:code>/reviews/run/", reviews.run_review, name="run-review"),
    path("portfolios/<slug:code>/digests/preview/", reviews.digest_preview, name="digest-preview"),
    path("portfolios/<slug:code>/reviews/", reviews.portfolio_reviews, name="portfolio-reviews"),
    path("digests/", reviews.subscriptions, name="subscriptions"),
    path("digests/unsubscribe/<str:token>/", reviews.unsubscribe, name="unsubscribe"),
    path("portfolios/<slug:code>/subscribers/", reviews.portfolio_subscribers, name="subscribers"),
]

# Pages that compose several apps' reads live here, at the top of the domain layers, but keep
# the names and addresses of the app they are about: config/urls.py adds them to the
# `portfolio` namespace (at the root) and to the `projects` one (under projects/).
portfolio_urlpatterns = [
    path("", dashboards.portfolio_list, name="list"),
    path("portfolios/<slug:code>/", dashboards.portfolio_detail, name="detail"),
    path("portfolios/<slug:code>/programs/<int:pk>/", dashboards.program_detail, name="program"),
]
projects_urlpatterns = [
    path("<int:pk>/", projects.project_detail, name="detail"),
]
