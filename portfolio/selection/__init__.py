"""Optimised project selection: which candidate and active projects to fund under the budget
per planning year and the capacity per role per month.

- `model`: the optimisation model (PuLP and CBC), pure: dataclasses in, a slate out;
- `rank_by_score`: the greedy rank-by-priority-score slate it is compared with;
- `frontier`: the efficient frontier, total value by budget level;
- `loader`: a portfolio's input, read from the database;
- `report`: what the selection pages show.

The names below are re-exported so `from portfolio import selection; selection.optimise(...)`
reads the subject as one."""

from portfolio.selection.frontier import (
    FRONTIER_LEVELS,
    FRONTIER_POINT_TIME_LIMIT_SECONDS,
    FrontierPoint,
    efficient_frontier,
)
from portfolio.selection.loader import (
    BENEFIT_YEARS_WITHOUT_TOTAL,
    HORIZON_MONTHS,
    REQUIREMENT_MET_STAGES,
    fiscal_year_label,
    load_selection_input,
    selection_input,
)
from portfolio.selection.model import (
    BUDGET,
    CAPACITY,
    ERROR,
    FEASIBLE,
    INFEASIBLE,
    MODEL_STAGES,
    OPTIMAL,
    SOLVER_TIME_LIMIT_SECONDS,
    UNSCORED_DEFAULT,
    Candidate,
    ConstraintUse,
    Infeasibility,
    Key,
    PlanningYear,
    Reason,
    Selection,
    SelectionInput,
    SelectionModel,
    constraint_label,
    explain_rejections,
    forced_projects,
    optimise,
)
from portfolio.selection.rank_by_score import greedy, greedy_order
from portfolio.selection.report import (
    Binding,
    RoleLoad,
    SelectionReport,
    SelectionRow,
    YearBudget,
    binding_constraints,
    build_report,
    frontier_report,
    role_loads,
    selection_report,
    year_budgets,
)

__all__ = [
    "BENEFIT_YEARS_WITHOUT_TOTAL",
    "BUDGET",
    "CAPACITY",
    "ERROR",
    "FEASIBLE",
    "FRONTIER_LEVELS",
    "FRONTIER_POINT_TIME_LIMIT_SECONDS",
    "HORIZON_MONTHS",
    "INFEASIBLE",
    "MODEL_STAGES",
    "OPTIMAL",
    "REQUIREMENT_MET_STAGES",
    "SOLVER_TIME_LIMIT_SECONDS",
    "UNSCORED_DEFAULT",
    "Binding",
    "Candidate",
    "ConstraintUse",
    "FrontierPoint",
    "Infeasibility",
    "Key",
    "PlanningYear",
    "Reason",
    "RoleLoad",
    "Selection",
    "SelectionInput",
    "SelectionModel",
    "SelectionReport",
    "SelectionRow",
    "YearBudget",
    "binding_constraints",
    "build_report",
    "constraint_label",
    "efficient_frontier",
    "explain_rejections",
    "fiscal_year_label",
    "forced_projects",
    "frontier_report",
    "greedy",
    "greedy_order",
    "load_selection_input",
    "optimise",
    "role_loads",
    "selection_input",
    "selection_report",
    "year_budgets",
]
