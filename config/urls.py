from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from access_tokens import urls as access_tokens_urls
from portfolio import urls as portfolio_urls
from portfolio.api import urls as portfolio_api
from projects import urls as projects_urls
from projects.api import urls as projects_api
from reporting import urls as reporting_urls
from reporting.api import urls as reporting_api
from resources.api import urls as resources_api
from risks import urls as risks_urls
from webhooks.api import urls as webhooks_api

# One router for the API of every app (reporting's endpoints sit above portfolio, which must not
# import them; resources' below it), so /api/ lists every collection, each app's in its order.
api_router = DefaultRouter()
for app_router in (
    reporting_api.router,
    webhooks_api.router,
    portfolio_api.router,
    projects_api.router,
    resources_api.router,
):
    api_router.registry.extend(app_router.registry)
api_urls = [
    path("", include(api_router.urls)),
    *portfolio_api.urlpatterns,
    *reporting_api.urlpatterns,
]


def app_urls(module, *pages_from_above):
    """Include an app's URLconf under its namespace, together with the pages a higher layer
    renders under that app's names (a lower app may not import the views of a higher one)."""
    return include(([*module.urlpatterns, *pages_from_above], module.app_name))


urlpatterns = [
    path("", app_urls(portfolio_urls, *reporting_urls.portfolio_urlpatterns)),
    path("projects/", app_urls(projects_urls, *reporting_urls.projects_urlpatterns)),
    path("", app_urls(risks_urls, *portfolio_urls.risks_urlpatterns)),
    path("", include("reporting.urls")),
    path("", include("resources.urls")),
    path("", include(access_tokens_urls)),
    path("", include("webhooks.urls")),
    path("api/", include((api_urls, "api"))),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's own reset views: the form answers the same whether or not the address has an
    # account, so it tells nobody which addresses do.
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
]

# Under /api/, errors Django answers itself (no route matched, …) are JSON, as the schema says.
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
