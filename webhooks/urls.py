from django.urls import path

from webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("portfolios/<slug:code>/webhooks/", views.subscriptions, name="subscriptions"),
    path(
        "portfolios/<slug:code>/webhooks/new/",
        views.subscription_create,
        name="subscription-create",
    ),
    path(
        "portfolios/<slug:code>/webhooks/<int:pk>/edit/",
        views.subscription_edit,
        name="subscription-edit",
    ),
    path(
        "portfolios/<slug:code>/webhooks/<int:pk>/delete/",
        views.subscription_delete,
        name="subscription-delete",
    ),
    path("portfolios/<slug:code>/webhooks/deliveries/", views.deliveries, name="deliveries"),
    path(
        "portfolios/<slug:code>/webhooks/deliveries/<int:pk>/",
        views.delivery_detail,
        name="delivery",
    ),
    path(
        "portfolios/<slug:code>/webhooks/deliveries/<int:pk>/redeliver/",
        views.redeliver,
        name="redeliver",
    ),
]
