from django.urls import path

from reporting import views

app_name = "reporting"
urlpatterns = [
    path("reviews/runs/", views.review_runs, name="runs"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("digests/", views.subscriptions, name="subscriptions"),
    path("digests/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("portfolios/<slug:code>/subscribers/", views.portfolio_subscribers, name="subscribers"),
]
