from django.urls import path

from portfolio import views
from projects.views import reports

app_name = "portfolio"
urlpatterns = [
    path("", views.portfolio_list, name="list"),
    path("portfolios/<slug:code>/", views.portfolio_detail, name="detail"),
    path("portfolios/<slug:code>/programs/<int:pk>/", views.program_detail, name="program"),
    path(
        "portfolios/<slug:code>/missing-reports/", reports.missing_reports, name="missing-reports"
    ),
]
