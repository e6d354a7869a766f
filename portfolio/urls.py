"""The `portfolio` namespace. config/urls.py adds to it the dashboards reporting renders
(`list`, `detail`, `program`), and adds `risks_urlpatterns` below to the `risks` namespace."""

from django.urls import path

from portfolio.views import onboarding, oversight, selection, strategy

app_name = "portfolio"
urlpatterns = [
    # Onboarding from a spreadsheet: upload, column mapping, preview, result
    path("onboarding/", onboarding.onboarding_upload, name="onboarding"),
    path("onboarding/<int:pk>/mapping/", onboarding.onboarding_mapping, name="onboarding-mapping"),
    path("onboarding/<int:pk>/preview/", onboarding.onboarding_preview, name="onboarding-preview"),
    path("onboarding/<int:pk>/", onboarding.onboarding_result, name="onboarding-result"),
    path(
        "portfolios/<slug:code>/missing-reports/",
        oversight.missing_reports,
        name="missing-reports",
    ),
    path(
        "portfolios/<slug:code>/dependencies/",
        oversight.dependency_graph,
        name="dependencies",
    ),
    # Strategy: objectives, contributions, scoring, ranking, candidates, gates
    path(
        "portfolios/<slug:code>/strategy/objectives/",
        strategy.objectives,
        name="objectives",
    ),
    path(
        "portfolios/<slug:code>/strategy/contributions/",
        strategy.contributions,
        name="contributions",
    ),
    path(
        "portfolios/<slug:code>/scoring/criteria/",
        strategy.scoring_criteria,
        name="scoring-criteria",
    ),
    path(
        "portfolios/<slug:code>/scoring/projects/<int:pk>/",
        strategy.project_scores,
        name="project-scores",
    ),
    path("portfolios/<slug:code>/ranking/", strategy.ranking, name="ranking"),
    path("portfolios/<slug:code>/candidates/", strategy.candidates, name="candidates"),
    path(
        "portfolios/<slug:code>/candidates/new/",
        strategy.candidate_create,
        name="candidate-create",
    ),
    path(
        "portfolios/<slug:code>/candidates/<int:pk>/edit/",
        strategy.candidate_edit,
        name="candidate-edit",
    ),
    path("portfolios/<slug:code>/synergies/", strategy.synergies, name="synergies"),
    path(
        "portfolios/<slug:code>/synergies/new/",
        strategy.synergy_create,
        name="synergy-create",
    ),
    path(
        "portfolios/<slug:code>/synergies/<int:pk>/edit/",
        strategy.synergy_edit,
        name="synergy-edit",
    ),
    path(
        "portfolios/<slug:code>/synergies/<int:pk>/delete/",
        strategy.synergy_delete,
        name="synergy-delete",
    ),
    path("portfolios/<slug:code>/gates/", strategy.pending_gates, name="pending-gates"),
    path(
        "portfolios/<slug:code>/gates/criteria/",
        strategy.gate_criteria,
        name="gate-criteria",
    ),
    path("projects/<int:pk>/gate/", strategy.gate_decision, name="gate-decision"),
    # Selection: optimised slate, efficient frontier, scenarios
    path("portfolios/<slug:code>/selection/", selection.selection_page, name="selection"),
    path(
        "portfolios/<slug:code>/selection/timing/",
        selection.timing_page,
        name="selection-timing",
    ),
    path(
        "portfolios/<slug:code>/selection/timing/save/",
        selection.timing_save,
        name="selection-timing-save",
    ),
    path(
        "portfolios/<slug:code>/selection/frontier/",
        selection.frontier_page,
        name="frontier",
    ),
    path("portfolios/<slug:code>/scenarios/", selection.scenario_list, name="scenarios"),
    path(
        "portfolios/<slug:code>/scenarios/new/",
        selection.scenario_create,
        name="scenario-create",
    ),
    path(
        "portfolios/<slug:code>/scenarios/compare/",
        selection.scenario_compare,
        name="scenario-compare",
    ),
    path(
        "portfolios/<slug:code>/scenarios/<int:pk>/",
        selection.scenario_detail,
        name="scenario",
    ),
    path(
        "portfolios/<slug:code>/scenarios/<int:pk>/edit/",
        selection.scenario_edit,
        name="scenario-edit",
    ),
    path(
        "portfolios/<slug:code>/scenarios/<int:pk>/commit/",
        selection.scenario_commit,
        name="scenario-commit",
    ),
]

# The portfolio risk register keeps its name in the `risks` namespace (config/urls.py adds it
# there): the page is the portfolio's, so its view lives here, above risks.
risks_urlpatterns = [
    path("portfolios/<slug:code>/risks/", oversight.risk_register, name="portfolio-register"),
]
