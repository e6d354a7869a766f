from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("", include("portfolio.urls")),
    path("projects/", include("projects.urls")),
    path("", include("risks.urls")),
    path("", include("reporting.urls")),
    path("", include("resources.urls")),
    path("api/", include("portfolio.api.urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
