"""The `projects` namespace (under /projects/). config/urls.py adds to it the project page
(`detail`), which reporting renders."""

from django.urls import path

from projects.views import changes, costs, dependencies, imports, plan, reports

app_name = "projects"
urlpatterns = [
    # Plan
    path("<int:pk>/edit/", plan.project_edit, name="edit"),
    path("<int:pk>/baseline/", plan.project_set_baseline, name="set-baseline"),
    path("<int:pk>/changes/new/", changes.change_request_create, name="change-request-create"),
    path("changes/<str:code>/", changes.change_request_list, name="change-requests"),
    path(
        "changes/<str:code>/<int:change_pk>/decide/",
        changes.change_request_decide,
        name="change-request-decide",
    ),
    path("<int:pk>/milestones/", plan.milestone_list, name="milestones"),
    path("<int:pk>/milestones/new/", plan.milestone_create, name="milestone-create"),
    path("<int:pk>/milestones/reorder/", plan.milestones_reorder, name="milestones-reorder"),
    path(
        "<int:pk>/milestones/<int:milestone_pk>/edit/", plan.milestone_edit, name="milestone-edit"
    ),
    path(
        "<int:pk>/milestones/<int:milestone_pk>/delete/",
        plan.milestone_delete,
        name="milestone-delete",
    ),
    # Importing a plan (MS Project XML): into a project, or into a portfolio
    path("<int:pk>/import/", imports.plan_import_to_project, name="plan-import"),
    path("import/<slug:code>/", imports.plan_import_to_portfolio, name="plan-import-new"),
    path("imports/<int:import_pk>/", imports.plan_import_preview, name="plan-import-preview"),
    # Actual costs
    path("<int:pk>/costs/", costs.cost_list, name="costs"),
    path("<int:pk>/costs/upload/", costs.cost_upload, name="cost-upload"),
    path("<int:pk>/costs/<int:entry_pk>/edit/", costs.cost_edit, name="cost-edit"),
    path("<int:pk>/costs/<int:entry_pk>/delete/", costs.cost_delete, name="cost-delete"),
    path("costs/template.csv", costs.cost_template, name="cost-template"),
    # Status reports
    path("<int:pk>/reports/", reports.report_current, name="report-current"),
    path("<int:pk>/reports/<str:period>/", reports.report_edit, name="report"),
    path("<int:pk>/reports/<str:period>/reopen/", reports.report_reopen, name="report-reopen"),
    # Dependencies (the successor's editors change them; the portfolio's graph is a portfolio
    # page)
    path("<int:pk>/dependencies/new/", dependencies.dependency_create, name="dependency-create"),
    path(
        "dependencies/<int:dependency_pk>/edit/",
        dependencies.dependency_edit,
        name="dependency-edit",
    ),
    path(
        "dependencies/<int:dependency_pk>/delete/",
        dependencies.dependency_delete,
        name="dependency-delete",
    ),
]
