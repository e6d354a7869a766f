from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from portfolio.api import urls as portfolio_api
from reporting.api import urls as reporting_api

# One router for the API of both apps (reporting's KPI endpoints sit above portfolio, which
# must not import them), so /api/ lists every collection in the order it always has.
api_router = DefaultRouter()
for app_router in (reporting_api.router, portfolio_api.router):
    api_router.registry.extend(app_router.registry)
api_urls = [path("", include(api_router.urls)), *portfolio_api.urlpatterns]

urlpatterns = [
    path("", include("portfolio.urls")),
    path("projects/", include("projects.urls")),
    path("", include("risks.urls")),
    path("", include("reporting.urls")),
    path("", include("resources.urls")),
    path("api/", include((api_urls, "api"))),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
