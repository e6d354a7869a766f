"""Selection and scenario tables as downloads (core/exports.py): every project the slate
weighs with whether the optimiser and the greedy ranking chose it and why not, and the
projects of compared scenarios side by side. Amounts are typed numbers."""

from __future__ import annotations

from core import exports
from portfolio.scenarios import Comparison
from portfolio.selection.report import SelectionReport, SelectionRow

SELECTION_COLUMNS = (
    exports.Column("Code"),
    exports.Column("Name", width=36),
    exports.Column("Stage"),
    exports.Column("Priority score", exports.RATIO),
    exports.Column("Scored"),
    exports.Column("Mandatory"),
    exports.Column("Value", exports.MONEY),
    exports.Column("Budget", exports.MONEY),
    exports.Column("Spend in horizon", exports.MONEY),
    exports.Column("Optimised slate"),
    exports.Column("Greedy slate"),
    exports.Column("Greedy rank", exports.INTEGER),
    exports.Column("Committed"),
    exports.Column("Stopped"),
    exports.Column("On commit"),
    exports.Column("Why not chosen", width=50),
)


def _selection_row(row: SelectionRow) -> list:
    candidate = row.candidate
    return [
        candidate.code,
        candidate.name,
        candidate.stage_label,
        candidate.score,
        candidate.scored,
        candidate.mandatory,
        candidate.value,
        candidate.budget,
        candidate.horizon_cost,
        row.optimised,
        row.greedy,
        row.greedy_rank,
        row.committed,
        row.stopped,
        row.move.kind.replace("_", " "),
        "; ".join(str(reason) for reason in row.reasons),
    ]


def selection_table(report: SelectionReport, *, filename: str, title: str) -> exports.Table:
    """The chosen slate, then the projects left out, in the page's order (greedy rank)."""
    rows = (_selection_row(row) for row in [*report.chosen, *report.rejected])
    return exports.Table(filename, title, SELECTION_COLUMNS, rows)


CELL_LABELS = {"chosen": "chosen", "committed": "committed", "stop": "stopped", "out": "out"}


def comparison_table(comparison: Comparison, *, filename: str) -> exports.Table:
    """One line per project in any compared slate, one column per scenario; then the spend
    of each planning year."""
    names = [outcome.scenario.name for outcome in comparison.outcomes]
    columns = (
        exports.Column("Project", width=40),
        *(exports.Column(name, exports.MONEY, width=max(len(name) + 2, 14)) for name in names),
    )
    rows = [
        ["Value", *(o.selection.value if o.selection.ok else None for o in comparison.outcomes)],
        *([f"Spend {row.label}", *row.cells] for row in comparison.years),
        *(
            [row.label, *(CELL_LABELS.get(cell, "no slate") for cell in row.cells)]
            for row in comparison.projects
        ),
    ]
    return exports.Table(filename, "Scenario comparison", columns, rows)
