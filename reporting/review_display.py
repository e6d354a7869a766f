"""How a stored review reads, on its page and in its digest: the key figures with their change
since the previous review, and one table per kind of finding, each with its own columns.

Pure presentation of the review's stored JSON (`reporting.reviews` shapes what is stored):
no queries. Every finding is read with defaults, so a review stored by an older release (or a
finding this one does not know) still reads; a kind it does not know is shown field by field.

Formatting, the same in the page, the HTML e-mail and the plain-text e-mail: amounts in whole
units with their currency and thousands separators ("USD 4,850,000"), changes signed with an
explicit plus or a real minus sign ("+USD 1,250,000", "−0.006", "+1.2 %"), never in brackets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.urls import reverse

from projects.querysets import Stage
from reporting.models import PortfolioReview

STAGE_LABELS = dict(Stage.choices)
MINUS = "\u2212"
NBSP = "\u00a0"
EMPTY = "—"

# --- Numbers ----------------------------------------------------------------------------------


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _plain(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 0E-10 → "0", 40.00 → "40"."""
    text = f"{number.normalize():f}"
    return "0" if text in ("-0", "") else text


def money_text(value, currency: str) -> str:
    """4850000.00 → "USD 4,850,000" (whole units; a no-break space keeps the currency on)."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    whole = int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    text = f"{abs(whole):,}"
    sign = MINUS if whole < 0 else ""
    return f"{sign}{currency}{NBSP}{text}" if currency else f"{sign}{text}"


def number_text(value, places: int | None = None) -> str:
    number = _decimal(value)
    if number is None:
        return EMPTY
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        text = f"{abs(number):,f}"
    else:
        text = _plain(abs(number))
    return f"{MINUS}{text}" if number < 0 else text


def percent_text(value) -> str:
    """27.30 → "27.3%"."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    return f"{number_text(number.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP))}%"


def _signed(change: Decimal, magnitude: str) -> str:
    if change > 0:
        return f"+{magnitude}"
    if change < 0:
        return f"{MINUS}{magnitude}"
    return magnitude


def signed_number(value) -> str:
    """A change: −0.006, +3; "" for none or no change."""
    change = _decimal(value)
    if not change:
        return ""
    return _signed(change, _plain(abs(change)))


def signed_money(value, currency: str) -> str:
    """A change of an amount: "+USD 1,250,000", "−USD 392"; "" for none or under one unit."""
    change = _decimal(value)
    if change is None or not change.quantize(Decimal("1"), rounding=ROUND_HALF_UP):
        return ""
    return _signed(change, money_text(abs(change), currency))


def signed_percent(value) -> str:
    """A relative change: "+1.2 %", "−0.4 %"; "" when it rounds to nothing."""
    change = _decimal(value)
    if change is None:
        return ""
    change = change.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if not change:
        return ""
    return _signed(change, f"{_plain(abs(change))}{NBSP}%")


def _relative(now: Decimal | None, change: Decimal | None) -> str:
    """The change as a share of the value before it: "+62.5 %"."""
    if now is None or change is None:
        return ""
    before = now - change
    return signed_percent(change * 100 / before) if before > 0 else ""


def day_text(value) -> str:
    """An ISO date as stored ("2026-12-02") → "2 Dec 2026"."""
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value) if value else ""
    return f"{day.day} {day:%b %Y}"


# --- Key figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFigure:
    label: str
    kind: str  # "money", "index" or "count"
    value: object  # as stored
    text: str  # formatted, plain text
    change: str = ""  # signed change since the previous review ("" for none or no change)


KEY_FIGURES = (
    ("project_count", "Projects", "count"),
    ("budget", "Budget (BAC)", "money"),
    ("actual_cost", "Actual cost (AC)", "money"),
    ("earned_value", "Earned value (EV)", "money"),
    ("estimate_at_completion", "Estimate at completion (EAC)", "money"),
    ("cost_performance_index", "Cost performance (CPI)", "index"),
    ("schedule_performance_index", "Schedule performance (SPI)", "index"),
    ("risk_exposure", "Open risk exposure", "money"),
    ("watermelons", "Watermelons", "count"),
    ("late_milestones", "Late milestones", "count"),
    ("late_dependencies", "Late dependencies", "count"),
)
# The annual review's budget against the portfolio's envelope (stored beside its findings).
BUDGET_FIGURES = (
    ("envelope", "Budget envelope"),
    ("committed_budget", "Committed (approved and active)"),
    ("candidate_budget", "Candidates and ideas"),
    ("headroom", "Headroom"),
)


def _figure(label: str, kind: str, value, change, currency: str) -> KeyFigure:
    if kind == "money":
        text = money_text(value, currency)
        signed = signed_money(change, currency)
        relative = _relative(_decimal(value), _decimal(change)) if signed else ""
        change_text = f"{signed}, {relative}" if relative else signed
    elif kind == "index":
        text = number_text(value, 2)
        change_text = signed_number(change)
    else:
        text = number_text(value)
        change_text = signed_number(change)
    return KeyFigure(label, kind, value, text, change_text)


def key_figures(review: PortfolioReview, changes: dict | None = None) -> list[KeyFigure]:
    """The review's KPIs as stored, each with its change since the previous review of the same
    kind (`changes`: the findings' "changes", by default the review's own)."""
    kpis = review.kpis or {}
    if changes is None:
        changes = (review.findings or {}).get("changes") or {}
    currency = review.portfolio.currency
    return [
        _figure(label, kind, kpis.get(key), changes.get(key), currency)
        for key, label, kind in KEY_FIGURES
        if key in kpis
    ]


def budget_figures(review: PortfolioReview) -> list[KeyFigure]:
    """The annual review's envelope, committed and candidate budgets and headroom."""
    findings = review.findings or {}
    currency = review.portfolio.currency
    return [
        _figure(label, "money", findings[key], None, currency)
        for key, label in BUDGET_FIGURES
        if key in findings
    ]


# --- Findings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    url: str = ""  # a path in Slate ("" for none); the digest makes it absolute
    numeric: bool = False


@dataclass(frozen=True)
class FindingRow:
    cells: list[Cell]
    line: str  # the row as one sentence, for the digest
    url: str = ""  # what the row is about (a path), for the digest's link


@dataclass(frozen=True)
class FindingSection:
    key: str  # as stored: "red_projects"
    title: str  # "Red projects (computed)"
    columns: list[tuple[str, bool]]  # (heading, numeric)
    rows: list[FindingRow] = field(default_factory=list)


def _project_url(item: dict) -> str:
    pk = item.get("project_id")
    return reverse("projects:detail", args=[pk]) if isinstance(pk, int) else ""


def _project_row(item: dict, _currency: str = "") -> FindingRow:
    code, name, detail = item.get("code", ""), item.get("name", ""), item.get("detail", "")
    url = _project_url(item)
    line = f"{code} {name}".strip() + (f": {detail}" if detail else "")
    return FindingRow([Cell(code, url), Cell(name), Cell(detail)], line, url)


def _risk_row(item: dict, _currency: str = "") -> FindingRow:
    title, project, detail = item.get("title", ""), item.get("project_code"), item.get("detail")
    where = f" ({project})" if project else ""
    return FindingRow(
        [Cell(title), Cell(project or "Portfolio"), Cell(detail)],
        f"{title}{where}: {detail}" if detail else f"{title}{where}",
    )


def _role_row(item: dict, _currency: str = "") -> FindingRow:
    role, pk = item.get("role", ""), item.get("role_id")
    url = reverse("resources:capacity-role", args=[pk]) if isinstance(pk, int) else ""
    used = percent_text(item.get("utilisation"))
    return FindingRow(
        [Cell(role, url), Cell(used, numeric=True)], f"{role}: {used} of capacity confirmed", url
    )


def _dependency_row(item: dict, _currency: str = "") -> FindingRow:
    successor, predecessor = item.get("successor", ""), item.get("predecessor", "")
    deliverable = item.get("deliverable") or ""
    needed = day_text(item.get("needed_by"))
    expected = day_text(item.get("expected_on")) or "not planned"
    line = f"{successor} needs {deliverable or 'a delivery'} from {predecessor}"
    line += f" by {needed}, expected {expected}" if needed else f", expected {expected}"
    return FindingRow(
        [
            Cell(successor),
            Cell(predecessor),
            Cell(deliverable or EMPTY),
            Cell(needed or EMPTY),
            Cell(expected),
        ],
        line,
    )


def _objective_row(item: dict, currency: str) -> FindingRow:
    name = item.get("objective", "")
    drift = _decimal(item.get("drift_points"))
    drift_text = f"{signed_number(drift) or '0'} pts" if drift is not None else EMPTY
    cells = [
        Cell(name),
        Cell(percent_text(item.get("weight")), numeric=True),
        Cell(money_text(item.get("spend"), currency), numeric=True),
        Cell(percent_text(item.get("spend_share")), numeric=True),
        Cell(percent_text(item.get("value_share")), numeric=True),
        Cell(drift_text, numeric=True),
    ]
    line = (
        f"{name}: weight {cells[1].text}, spend {cells[3].text}, value {cells[4].text}, "
        f"drift {drift_text}"
    )
    return FindingRow(cells, line)


def _unserved_row(item: dict, _currency: str = "") -> FindingRow:
    name = item.get("objective", "")
    return FindingRow([Cell(name)], name)


def _ranked_row(item: dict, currency: str) -> FindingRow:
    code, name, url = item.get("code", ""), item.get("name", ""), _project_url(item)
    stage = STAGE_LABELS.get(item.get("stage"), _heading(item.get("stage", "")))
    priority, alignment = (
        number_text(item.get("priority"), 1),
        number_text(item.get("alignment"), 1),
    )
    budget = money_text(item.get("budget"), currency)
    return FindingRow(
        [
            Cell(code, url),
            Cell(name),
            Cell(stage),
            Cell(priority, numeric=True),
            Cell(alignment, numeric=True),
            Cell(budget, numeric=True),
        ],
        f"{code} {name} ({stage}): priority {priority}, alignment {alignment}, budget {budget}",
        url,
    )


def _other_row(item, _currency: str = "") -> FindingRow:
    """A finding of a kind this release does not know: its fields, as stored."""
    if not isinstance(item, dict):
        return FindingRow([Cell(str(item))], str(item))
    text = " · ".join(f"{_heading(key)}: {value}" for key, value in item.items())
    return FindingRow([Cell(text)], text, _project_url(item))


@dataclass(frozen=True)
class FindingKind:
    title: str
    columns: list[tuple[str, bool]]  # (heading, numeric)
    row: Callable[[dict, str], FindingRow]  # (item, currency) → its row


PROJECT_COLUMNS = [("Project", False), ("Name", False), ("Finding", False)]
# Every kind of finding a review stores: its heading, its columns and how an item reads.
KINDS = {
    "red_projects": FindingKind("Red projects (computed)", PROJECT_COLUMNS, _project_row),
    "watermelons": FindingKind(
        "Watermelons: reported better than computed", PROJECT_COLUMNS, _project_row
    ),
    "slipping_milestones": FindingKind(
        "Milestones slipping more than 30 days", PROJECT_COLUMNS, _project_row
    ),
    "overspend_forecasts": FindingKind("Forecast over budget", PROJECT_COLUMNS, _project_row),
    "new_or_escalated_risks": FindingKind(
        "New or escalated risks", [("Risk", False), ("Project", False), ("What", False)], _risk_row
    ),
    "over_allocated_roles": FindingKind(
        "Over-allocated roles", [("Role", False), ("Utilisation", True)], _role_row
    ),
    "late_dependencies": FindingKind(
        "Late cross-project dependencies",
        [("Project", False), ("Needs from", False), ("Deliverable", False),
         ("Needed by", False), ("Expected", False)],
        _dependency_row,
    ),
    "missing_reports": FindingKind("Status reports missing", PROJECT_COLUMNS, _project_row),
    "objectives": FindingKind(
        "Spend and value per objective (strategic drift)",
        [("Objective", False), ("Weight", True), ("Spend", True), ("Share of spend", True),
         ("Share of value", True), ("Drift", True)],
        _objective_row,
    ),
    "unaligned_projects": FindingKind(
        "Projects contributing to no active objective", PROJECT_COLUMNS, _project_row
    ),
    "unserved_objectives": FindingKind(
        "Objectives no project serves", [("Objective", False)], _unserved_row
    ),
    "ranked": FindingKind(
        "Candidate and active projects, ranked",
        [("Project", False), ("Name", False), ("Stage", False), ("Priority", True),
         ("Alignment", True), ("Budget", True)],
        _ranked_row,
    ),
}  # fmt: skip
# Stored beside the findings, shown elsewhere (key and budget figures) or not at all.
NOT_FINDINGS = {"changes", "previous_review_id"}


def _heading(key: str) -> str:
    return str(key).replace("_", " ").strip().capitalize()


def finding_sections(findings: dict, *, currency: str) -> list[FindingSection]:
    """The review's findings (those the reader may see: `reporting.selectors.
    visible_review_findings`) as titled tables, in the order stored."""
    sections = []
    for key, items in findings.items():
        if key in NOT_FINDINGS or not isinstance(items, list):
            continue
        # A kind stored by a later release: under its key as a heading, field by field.
        kind = KINDS.get(key) or FindingKind(_heading(key), [("Finding", False)], _other_row)
        rows = [
            kind.row(item, currency) if isinstance(item, dict) else _other_row(item)
            for item in items
        ]
        sections.append(FindingSection(key, kind.title, kind.columns, rows))
    return sections
