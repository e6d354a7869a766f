from django.urls import path

from reporting.views import reviews

app_name = "reporting"
urlpatterns = [
    path("reviews/runs/", reviews.review_runs, name="runs"),
    path("reviews/<int:pk>/", reviews.review_detail, name="review"),
    path("digests/", reviews.subscriptions, name="subscriptions"),
    path("digests/unsubscribe/<str:token>/", reviews.unsubscribe, name="unsubscribe"),
    path("portfolios/<slug:code>/subscribers/", reviews.portfolio_subscribers, name="subscribers"),
]
