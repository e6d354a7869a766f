from django.urls import path

from access_tokens import views

app_name = "access_tokens"
urlpatterns = [
    path("account/tokens/", views.token_list, name="list"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="revoke"),
]
