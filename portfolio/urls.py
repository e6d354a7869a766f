from django.urls import path

from portfolio import views, views_selection, views_strategy
from projects.views import dependencies, reports

app_name = "portfolio"
urlpatterns = [
    path("", views.portfolio_list, name="list"),
    path("portfolios/<slug:code>/", views.portfolio_detail, name="detail"),
    path("portfolios/<slug:code>/programs/<int:pk>/", views.program_detail, name="program"),
    path(
        "portfolios/<slug:code>/missing-reports/", reports.missing_reports, name="missing-reports"
    ),
    path(
        "portfolios/<slug:code>/dependencies/",
        dependencies.portfolio_dependency_graph,
        name="dependencies",
    ),
    # Strategy (issue 7): objectives, contributions, scoring, ranking, candidates, gates
    path(
        "portfolios/<slug:code>/strategy/objectives/",
        views_strategy.objectives,
        name="objectives",
    ),
    path(
        "portfolios/<slug:code>/strategy/contributions/",
        views_strategy.contributions,
        name="contributions",
    ),
    path(
        "portfolios/<slug:code>/scoring/criteria/",
        views_strategy.scoring_criteria,
        name="scoring-criteria",
    ),
    path(
        "portfolios/<slug:code>/scoring/projects/<int:pk>/",
        views_strategy.project_scores,
        name="project-scores",
    ),
    path("portfolios/<slug:code>/ranking/", views_strategy.ranking, name="ranking"),
    path("portfolios/<slug:code>/candidates/", views_strategy.candidates, name="candidates"),
    path(
        "portfolios/<slug:code>/candidates/new/",
        views_strategy.candidate_create,
        name="candidate-create",
    ),
    path(
        "portfolios/<slug:code>/candidates/<int:pk>/edit/",
        views_strategy.candidate_edit,
        name="candidate-edit",
    ),
    path("portfolios/<slug:code>/gates/", views_strategy.pending_gates, name="pending-gates"),
    path("projects/<int:pk>/gate/", views_strategy.gate_decision, name="gate-decision"),
    # Selection (issue 7): optimised slate, efficient frontier, scenarios
    path("portfolios/<slug:code>/selection/", views_selection.selection_page, name="selection"),
    path(
        "portfolios/<slug:code>/selection/frontier/",
        views_selection.frontier_page,
        name="frontier",
    ),
    path("portfolios/<slug:code>/scenarios/", views_selection.scenario_list, name="scenarios"),
    path(
        "portfolios/<slug:code>/scenarios/new/",
        views_selection.scenario_create,
        name="scenario-create",
    ),
    path(
        "portfolios/<slug:code>/scenarios/compare/",
        views_selection.scenario_compare,
        name="scenario-compare",
    ),
    path(
        "portfolios/<slug:code>/scenarios/<int:pk>/",
        views_selection.scenario_detail,
        name="scenario",
    ),
    path(
        "portfolios/<slug:code>/scenarios/<int:pk>/edit/",
        views_selection.scenario_edit,
        name="scenario-edit",
    ),
    path(
        "portfolios/<slug:code>/scenarios/<int:pk>/commit/",
        views_selection.scenario_commit,
        name="scenario-commit",
    ),
]
