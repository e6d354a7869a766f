"""Onboarding a PMO's spreadsheet: portfolios, or projects, from an XLSX or CSV file.

Upload (`onboarding_stage`: the file is read and kept) → column mapping (`onboarding_map`:
each of the file's columns to a Slate field, remembered as a named template, the user's own
or shared by a portfolio, and pre-selected next time) → preview (`onboarding_preview`: what
each row would create or update, matched by code, and every problem by row and column) →
import (`onboarding_apply`: all rows in one transaction, or none).

Rows are written through the same services as the pages (`projects.services.project_create`
and `project_update`, `portfolio_create` and `portfolio_update`), so the same people may do
the same things and the same rules hold (a code used twice, a stage change that needs a gate,
a BAC under an approved baseline...). The preview runs those very writes inside a
transaction it rolls back, one savepoint per row, so it lists every refusal the import would
meet; the import works the preview out again and refuses when it differs from the one the
user confirmed (its fingerprint)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import access
from core.bounds import amount_problem, normalise_amount
from core.people import person_name
from core.spreadsheets import Sheet, SpreadsheetError, read_sheet
from portfolio import services as portfolio_services
from portfolio.models import (
    ImportTemplate,
    OnboardingImport,
    OnboardingKind,
    Portfolio,
    Program,
    ReportingPeriod,
)
from projects import services as project_services
from projects.models import Project
from projects.querysets import Stage

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
NEW_PROJECT_STAGE = Stage.CANDIDATE  # as a plan imported into a portfolio
MONEY_LIMIT = Decimal("1e12")  # MONEY fields hold 12 digits before the point
STALE_PREVIEW = (
    "The data changed since you saw the preview (someone edited a project or portfolio, or "
    "imported one): review the preview again, then import."
)

# Field kinds: how a cell is read.
TEXT, CODE, MONEY, DATE, INTEGER, STAGE, USER, PROGRAM, PORTFOLIO, CURRENCY, PERIOD = (
    "text",
    "code",
    "money",
    "date",
    "integer",
    "stage",
    "user",
    "program",
    "portfolio",
    "currency",
    "period",
)


@dataclass(frozen=True)
class SlateField:
    key: str
    label: str
    kind: str = TEXT
    required: bool = False  # a new row needs it
    aliases: tuple[str, ...] = ()
    help: str = ""


PROJECT_FIELDS = (
    SlateField("code", "Code", CODE, True, ("project code", "project id", "id", "ref")),
    SlateField("name", "Name", TEXT, True, ("project name", "project", "title")),
    SlateField("portfolio", "Portfolio", PORTFOLIO, aliases=("portfolio code",), help="its code"),
    SlateField("program", "Program", PROGRAM, aliases=("programme",), help="its name"),
    SlateField("description", "Description", TEXT, aliases=("summary",)),
    SlateField("stage", "Stage", STAGE, aliases=("status", "phase"), help="e.g. In progress"),
    SlateField(
        "manager", "Manager", USER, aliases=("project manager", "pm"), help="username or e-mail"
    ),
    SlateField("sponsor", "Sponsor", USER, help="username or e-mail"),
    SlateField("start_date", "Start", DATE, True, ("start date", "starts")),
    SlateField("end_date", "End", DATE, True, ("end date", "finish", "finish date", "ends")),
    SlateField("budget", "Budget (BAC)", MONEY, True, ("budget", "bac", "budget at completion")),
    SlateField("expected_benefit", "Expected benefit", MONEY, aliases=("benefit", "benefits")),
)
PORTFOLIO_FIELDS = (
    SlateField("code", "Code", CODE, True, ("portfolio code", "id")),
    SlateField("name", "Name", TEXT, True, ("portfolio", "portfolio name", "title")),
    SlateField("description", "Description", TEXT, aliases=("summary",)),
    SlateField("currency", "Currency", CURRENCY, help="ISO code, e.g. EUR"),
    SlateField(
        "budget_envelope", "Budget envelope", MONEY, aliases=("envelope", "budget", "annual budget")
    ),
    SlateField(
        "fiscal_year_start_month",
        "Fiscal year starts (month)",
        INTEGER,
        aliases=("fiscal year start", "fiscal year start month", "fiscal month"),
        help="1 to 12",
    ),
    SlateField("reporting_period", "Reporting period", PERIOD, help="Monthly or Weekly"),
)
FIELDS = {OnboardingKind.PROJECTS: PROJECT_FIELDS, OnboardingKind.PORTFOLIOS: PORTFOLIO_FIELDS}
KIND_NOUN = {OnboardingKind.PROJECTS: "project", OnboardingKind.PORTFOLIOS: "portfolio"}


def fields_of(kind: str) -> dict[str, SlateField]:
    return {f.key: f for f in FIELDS[kind]}


@dataclass(frozen=True)
class CellError:
    row: int  # the row number the spreadsheet shows (0: the file as a whole)
    column: str  # the file's column header ("" when the row as a whole is refused)
    message: str

    def __str__(self):
        if not self.row:
            return self.message
        if not self.column:
            return f"Row {self.row}: {self.message}"
        return f"Row {self.row}, column “{self.column}”: {self.message}"


class OnboardingError(Exception):
    """Nothing was imported; `errors` names each problem by row and column."""

    def __init__(self, errors: list[CellError]):
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s); nothing was imported.")


# Who may -----------------------------------------------------------------------------------


def managed_portfolios(user):
    """The portfolios the user may add projects to: PMO admins all, else those where they are
    PMO or portfolio manager (access.can_manage_portfolio)."""
    return access.filter_managed_portfolios(Portfolio.objects.all(), user, portfolio_field="")


def can_onboard(user) -> bool:
    return access.is_pmo_admin(user) or managed_portfolios(user).exists()


def _require_onboarder(user, kind: str, portfolio: Portfolio | None) -> None:
    if kind == OnboardingKind.PORTFOLIOS:
        access.require(access.is_pmo_admin(user), "Only PMO admins may import portfolios.")
    elif portfolio is not None:
        access.require(
            access.can_manage_portfolio(user, portfolio),
            "Only the portfolio's PMO and portfolio managers may import projects into it.",
        )
    else:
        access.require(
            can_onboard(user), "Only the PMO and portfolio managers may import projects."
        )


# Upload -------------------------------------------------------------------------------------


def onboarding_stage(
    *, kind: str, portfolio: Portfolio | None, file_name: str, content: bytes, by
) -> OnboardingImport:
    """Keep an uploaded file once it reads as a table (else SpreadsheetError, nothing kept),
    with the mapping of the template pre-selected for it."""
    _require_onboarder(by, kind, portfolio)
    sheet = read_sheet(file_name=file_name, content=content)
    staged = OnboardingImport(
        kind=kind,
        portfolio=portfolio,
        file_name=(file_name or "upload")[:255],
        content=content,
        uploaded_by=by,
    )
    template = preselected_template(staged, sheet.headers, by)
    staged.template = template
    staged.mapping = suggested_mapping(kind, sheet.headers, template)
    staged.save()
    return staged


def read_staged(staged: OnboardingImport) -> Sheet:
    return read_sheet(file_name=staged.file_name, content=bytes(staged.content))


# Mapping and templates ------------------------------------------------------------------------


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9%]+", " ", str(text).casefold()).strip()


def available_templates(*, kind: str, portfolio: Portfolio | None, user):
    """The user's own templates of this kind and those shared by the portfolio (or, with no
    portfolio chosen, by any portfolio the user manages)."""
    shared = (
        Q(portfolio=portfolio)
        if portfolio is not None
        else Q(portfolio__in=managed_portfolios(user))
    )
    return (
        ImportTemplate.objects.filter(kind=kind)
        .filter(Q(owner=user) | shared)
        .select_related("portfolio")
        .order_by("name", "pk")
    )


def preselected_template(staged: OnboardingImport, headers, user) -> ImportTemplate | None:
    """The template used last among those that name at least one of the file's columns."""
    wanted = {_normal(h) for h in headers}
    candidates = available_templates(kind=staged.kind, portfolio=staged.portfolio, user=user)
    fitting = [t for t in candidates if wanted & {_normal(h) for h in t.mapping}]
    if not fitting:
        return None
    epoch = datetime.min.replace(tzinfo=UTC)
    return max(fitting, key=lambda t: (t.last_used_at or epoch, t.updated_at, t.pk))


def suggested_mapping(kind: str, headers, template: ImportTemplate | None = None) -> dict:
    """Header → field key: from the template where it names the header, else by the header's
    name (the field's label, key or a usual alias); a field is suggested once."""
    fields = FIELDS[kind]
    remembered = {_normal(h): key for h, key in (template.mapping if template else {}).items()}
    by_name = {}
    for f in fields:
        for name in (f.key, f.label, *f.aliases):
            by_name.setdefault(_normal(name), f.key)
    mapping, used = {}, set()
    for header in headers:
        key = remembered.get(_normal(header)) if template else by_name.get(_normal(header))
        if key and key not in used and key in fields_of(kind):
            mapping[header] = key
            used.add(key)
    return mapping


def mapping_problems(kind: str, mapping: dict, *, has_portfolio: bool) -> list[str]:
    fields = fields_of(kind)
    problems, chosen = [], {}
    for header, key in mapping.items():
        if key not in fields:
            problems.append(f"“{header}”: choose a Slate field or “Not imported”.")
        elif key in chosen:
            problems.append(
                f"“{chosen[key]}” and “{header}” are both mapped to {fields[key].label}: "
                "map one column to each field."
            )
        else:
            chosen[key] = header
    for key in ("code", "name"):
        if key not in chosen:
            problems.append(f"Map a column to {fields[key].label}: rows are matched by code.")
    if kind == OnboardingKind.PROJECTS and not has_portfolio and "portfolio" not in chosen:
        problems.append(
            "Map a column to Portfolio (its code), or go back and choose the portfolio every "
            "row goes to."
        )
    return problems


def onboarding_map(
    *,
    staged: OnboardingImport,
    mapping: dict,
    template_name: str = "",
    share_with_portfolio: bool = False,
    by,
) -> OnboardingImport:
    """Set the file's column mapping; with a name, remember it as a template (the user's own,
    or the portfolio's when shared and the user manages it), replacing one of that name."""
    _uploader_only(staged, by)
    sheet = read_staged(staged)
    mapping = {h: k for h, k in mapping.items() if k and h in sheet.headers}
    problems = mapping_problems(staged.kind, mapping, has_portfolio=bool(staged.portfolio_id))
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        staged.mapping = mapping
        name = (template_name or "").strip()[:100]
        if name:
            staged.template = _save_template(staged, name, mapping, share_with_portfolio, by)
        staged.save(update_fields=["mapping", "template"])
    return staged


def _save_template(staged, name, mapping, shared, by) -> ImportTemplate:
    if shared:
        if staged.portfolio is None:
            raise ValidationError(
                {"share": "Choose a portfolio on the upload page to share a template with it."}
            )
        access.require(
            access.can_manage_portfolio(by, staged.portfolio),
            "Only the portfolio's PMO and portfolio managers may share templates in it.",
        )
        scope = {"portfolio": staged.portfolio, "owner": None}
    else:
        scope = {"owner": by, "portfolio": None}
    template, _ = ImportTemplate.objects.update_or_create(
        kind=staged.kind,
        name=name,
        **{k: v for k, v in scope.items() if v is not None},
        defaults={"mapping": mapping, "updated_by": by, "last_used_at": timezone.now()},
    )
    return template


def _uploader_only(staged: OnboardingImport, user) -> None:
    if staged.uploaded_by_id != getattr(user, "pk", None):
        raise PermissionDenied("Only the person who uploaded this file may import it.")


# Reading the rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    old: object
    new: object


@dataclass
class RowPlan:
    """What one row does: create or update (matched by code) or nothing, the values written
    (model values: a Program, a user...) and, for the page, the changes in words."""

    number: int
    code: str
    portfolio: Portfolio | None  # projects: the row's portfolio
    action: str = CREATE
    target: object = None  # the matched Project or Portfolio
    values: dict = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    name: str = ""


def _shown(value, kind: str = TEXT) -> str:
    """A value as the preview shows it (and as the fingerprint hashes it)."""
    if value is None or value == "":
        return ""
    if kind == STAGE:
        return Stage(value).label
    if kind == PERIOD:
        return ReportingPeriod(value).label
    if isinstance(value, Program):
        return value.name
    if isinstance(value, get_user_model()):
        return person_name(value)
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def cell_text(value) -> str:
    """A cell as text: a whole number without ".0", a date as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    return str(value).strip()


MONEY_NOISE = re.compile(r"^[A-Za-z]{3}\s*|\s*[A-Za-z]{3}$|[\s$€£¥'’]")


def _money(value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        text = MONEY_NOISE.sub("", str(value).strip()).replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"“{value}” is not a number.") from None
    problem = amount_problem(number)
    if problem:
        raise ValueError(problem)
    if abs(number) >= MONEY_LIMIT:
        raise ValueError(f"{number:,.2f} is more than Slate can store.")
    return normalise_amount(number).quantize(Decimal("0.01"))


def _date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"“{text}” is not a date: use YYYY-MM-DD, or a date cell.") from None


def _integer(value) -> int:
    if isinstance(value, bool):
        raise ValueError("not a whole number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"“{value}” is not a whole number.") from None
    if number != number.to_integral_value():
        raise ValueError(f"“{value}” is not a whole number.")
    return int(number)


def _choice(value, choices, what: str) -> str:
    text = _normal(cell_text(value))
    for choice_value, label in choices:
        if text in (_normal(choice_value), _normal(label)):
            return choice_value
    allowed = ", ".join(label for _, label in choices)
    raise ValueError(f"“{cell_text(value)}” is not a {what} (use one of {allowed}).")


class _Lookups:
    """What the rows name, loaded once for the whole file: users, portfolios, programs and the
    projects or portfolios the codes match (locked when the import writes)."""

    def __init__(self, staged: OnboardingImport, sheet: Sheet, columns: dict, by, lock: bool):
        self.by_username, self.by_email = {}, {}
        users = get_user_model().objects.filter(is_active=True)
        for user in users.only("pk", "username", "email", "first_name", "last_name"):
            self.by_username[user.username.casefold()] = user
            if user.email:
                self.by_email.setdefault(user.email.casefold(), []).append(user)
        visible = Portfolio.objects.visible_to(by)
        self.portfolios = {p.code.casefold(): p for p in visible}
        self.managed = set(managed_portfolios(by).values_list("pk", flat=True))
        self.programs = {
            (p.portfolio_id, p.name.casefold()): p
            for p in Program.objects.filter(portfolio__in=visible)
        }
        codes = {
            cell_text(row.cells[columns["code"]])
            for row in sheet.rows
            if "code" in columns and row.cells[columns["code"]] is not None
        }
        if staged.kind == OnboardingKind.PORTFOLIOS:
            matched = Portfolio.objects.filter(code__in=codes)
            if lock:
                matched = matched.select_for_update()
            self.existing = {p.code: p for p in matched}
        else:
            matched = Project.objects.filter(code__in=codes).select_related(
                "portfolio", "program", "manager", "sponsor"
            )
            if lock:
                matched = matched.select_for_update(of=("self",))
            self.existing = {(p.portfolio_id, p.code): p for p in matched}

    def user(self, value):
        text = cell_text(value).casefold()
        if text in self.by_username:
            return self.by_username[text]
        found = self.by_email.get(text, [])
        if len(found) > 1:
            raise ValueError(f"Several people have the e-mail {cell_text(value)}: use a username.")
        if not found:
            raise ValueError(f"No active user has the username or e-mail “{cell_text(value)}”.")
        return found[0]


def _row_values(row, columns, fields, lookups, errors, header_of):
    """The row's cells read by their field's kind; a cell that cannot be read is an error."""
    values = {}
    for key, index in columns.items():
        raw = row.cells[index]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue  # blank: a new row takes the default, an existing one keeps its value
        kind = fields[key].kind
        try:
            if kind in (TEXT, CODE):
                values[key] = cell_text(raw)
            elif kind == MONEY:
                values[key] = _money(raw)
            elif kind == DATE:
                values[key] = _date(raw)
            elif kind == INTEGER:
                values[key] = _integer(raw)
            elif kind == STAGE:
                values[key] = _choice(raw, Stage.choices, "stage")
            elif kind == PERIOD:
                values[key] = _choice(raw, ReportingPeriod.choices, "reporting period")
            elif kind == CURRENCY:
                code = cell_text(raw).upper()
                if not re.fullmatch(r"[A-Z]{3}", code):
                    raise ValueError(f"“{cell_text(raw)}” is not a currency code (three letters).")
                values[key] = code
            elif kind == USER:
                values[key] = lookups.user(raw)
            elif kind == PORTFOLIO:
                values[key] = cell_text(raw)
            elif kind == PROGRAM:
                values[key] = cell_text(raw)  # resolved once the row's portfolio is known
        except ValueError as error:
            errors.append(CellError(row.number, header_of[key], str(error)))
    return values


def _resolve_portfolio(row, values, staged, lookups, errors, header_of):
    code = values.pop("portfolio", "")
    if staged.portfolio is not None:
        if code and code.casefold() != staged.portfolio.code.casefold():
            errors.append(
                CellError(
                    row.number,
                    header_of["portfolio"],
                    f"This import goes to {staged.portfolio.code}; the row names {code}.",
                )
            )
            return None
        return staged.portfolio
    if not code:
        errors.append(CellError(row.number, header_of["portfolio"], "Give the portfolio's code."))
        return None
    portfolio = lookups.portfolios.get(code.casefold())
    if portfolio is None:
        errors.append(
            CellError(row.number, header_of["portfolio"], f"No portfolio {code} that you can see.")
        )
        return None
    if portfolio.pk not in lookups.managed:
        errors.append(
            CellError(
                row.number,
                header_of["portfolio"],
                f"Only the PMO and portfolio managers of {portfolio.code} may import projects "
                "into it.",
            )
        )
        return None
    return portfolio


def _plan_rows(staged: OnboardingImport, sheet: Sheet, by, *, lock: bool = False):
    """Each row's plan and every problem found in the cells, without writing anything."""
    fields = fields_of(staged.kind)
    header_index = {h: i for i, h in enumerate(sheet.headers)}
    mapped = {key: header_index[h] for h, key in staged.mapping.items() if h in header_index}
    columns = {key: mapped[key] for key in fields if key in mapped}  # in the fields' order
    # The column each field comes from; a field without one is named "<label> (no column)".
    header_of = {f.key: f"{f.label} (no column)" for f in fields.values()}
    header_of.update({key: h for h, key in staged.mapping.items() if h in header_index})
    lookups = _Lookups(staged, sheet, columns, by, lock)
    errors: list[CellError] = []
    plans: list[RowPlan] = []
    seen: dict[tuple, int] = {}
    for row in sheet.rows:
        row_errors: list[CellError] = []
        values = _row_values(row, columns, fields, lookups, row_errors, header_of)
        code = values.pop("code", "")
        if not code:
            row_errors.append(CellError(row.number, header_of["code"], "Give a code."))
        portfolio = None
        if staged.kind == OnboardingKind.PROJECTS:
            portfolio = _resolve_portfolio(row, values, staged, lookups, row_errors, header_of)
            if portfolio is not None and "program" in values:
                name = values["program"]
                program = lookups.programs.get((portfolio.pk, name.casefold()))
                if program is None:
                    row_errors.append(
                        CellError(
                            row.number,
                            header_of["program"],
                            f"{portfolio.code} has no program named “{name}”.",
                        )
                    )
                values["program"] = program
        key = (portfolio.pk if portfolio else None, code.casefold())
        if code and key in seen:
            row_errors.append(
                CellError(row.number, header_of["code"], f"{code} is already on row {seen[key]}.")
            )
        elif code:
            seen[key] = row.number
        errors.extend(row_errors)
        if row_errors:
            continue
        plans.append(
            _row_plan(staged, row.number, code, portfolio, values, lookups, errors, header_of)
        )
    return plans, errors, header_of


def _row_plan(staged, number, code, portfolio, values, lookups, errors, header_of) -> RowPlan:
    fields = fields_of(staged.kind)
    if staged.kind == OnboardingKind.PORTFOLIOS:
        target = lookups.existing.get(code)
    else:
        target = lookups.existing.get((portfolio.pk, code))
    plan = RowPlan(number=number, code=code, portfolio=portfolio, target=target)
    if target is None:
        if staged.kind == OnboardingKind.PROJECTS:
            values.setdefault("stage", NEW_PROJECT_STAGE)
        missing = [f for f in fields.values() if f.required and f.key != "code"]
        for f in missing:
            if f.key not in values:
                errors.append(
                    CellError(
                        number,
                        header_of[f.key],
                        f"A new {KIND_NOUN[staged.kind]} needs its {f.label}.",
                    )
                )
        plan.values = values
        plan.name = values.get("name", "")
        plan.changes = [
            Change(fields[k].label, None, _shown(v, fields[k].kind)) for k, v in values.items()
        ]
        return plan
    plan.action = UPDATE
    plan.name = target.name
    changed = {k: v for k, v in values.items() if getattr(target, k) != v}
    plan.values = changed
    plan.changes = [
        Change(
            fields[k].label, _shown(getattr(target, k), fields[k].kind), _shown(v, fields[k].kind)
        )
        for k, v in changed.items()
    ]
    if not changed:
        plan.action = UNCHANGED
    return plan


# Writing -------------------------------------------------------------------------------------


def _write(staged: OnboardingImport, plan: RowPlan, by):
    if plan.action == UNCHANGED:
        return plan.target
    if staged.kind == OnboardingKind.PORTFOLIOS:
        if plan.action == CREATE:
            return portfolio_services.portfolio_create(code=plan.code, data=plan.values, by=by)
        return portfolio_services.portfolio_update(portfolio=plan.target, data=plan.values, by=by)
    if plan.action == CREATE:
        return project_services.project_create(
            portfolio=plan.portfolio, data={"code": plan.code, **plan.values}, by=by
        )
    project = plan.target
    return project_services.project_update(
        project=project, data=plan.values, expected_version=project.version, by=by
    )


def _refusals(staged, plan: RowPlan, error, header_of) -> list[CellError]:
    """A service's refusal of a row, by the columns of the fields it names."""
    if isinstance(error, PermissionDenied):
        column = header_of.get("portfolio", "") if staged.kind == OnboardingKind.PROJECTS else ""
        return [CellError(plan.number, column if staged.portfolio is None else "", str(error))]
    if not hasattr(error, "error_dict"):
        return [CellError(plan.number, "", message) for message in error.messages]
    found = []
    for name, messages in error.message_dict.items():
        column = "" if name == NON_FIELD_ERRORS else header_of.get(name, "")
        if not column and name not in (NON_FIELD_ERRORS, "__all__"):
            label = fields_of(staged.kind).get(name)
            prefix = f"{label.label}: " if label else f"{name.replace('_', ' ')}: "
            messages = [prefix + m for m in messages]
        found.extend(CellError(plan.number, column, message) for message in messages)
    return found


def _write_rows(staged: OnboardingImport, plans, header_of, by) -> tuple[list, list[CellError]]:
    """Write each row in its own savepoint, so every refused row is reported, not only the
    first; the caller commits all of them or rolls all of them back."""
    written, errors = [], []
    for plan in plans:
        try:
            with transaction.atomic():
                written.append((plan, _write(staged, plan, by)))
        except (ValidationError, PermissionDenied) as error:
            errors.extend(_refusals(staged, plan, error, header_of))
    return written, errors


# Preview and import --------------------------------------------------------------------------


def _fingerprint(plans: list[RowPlan]) -> str:
    """A digest of what every row would write and of the versions it replaces: the confirm
    form carries the one the user saw."""
    essentials = [
        (
            row.number,
            row.action,
            row.code,
            row.portfolio.pk if row.portfolio else None,
            row.target.pk if row.target else None,
            getattr(row.target, "version", None),
            sorted((k, _shown(v)) for k, v in row.values.items()),
            [(c.label, c.old, c.new) for c in row.changes],
        )
        for row in plans
    ]
    return hashlib.sha256(repr(essentials).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class OnboardingPreview:
    rows: tuple[RowPlan, ...]
    errors: tuple[CellError, ...]
    row_count: int
    fingerprint: str  # taken before any write: a write changes the targets' versions

    @property
    def can_import(self) -> bool:
        return not self.errors and bool(self.rows)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((CREATE, UPDATE, UNCHANGED), 0)
        for row in self.rows:
            counts[row.action] += 1
        return counts


def _preview(staged: OnboardingImport, by, *, lock: bool) -> tuple[OnboardingPreview, dict]:
    sheet = read_staged(staged)
    plans, errors, header_of = _plan_rows(staged, sheet, by, lock=lock)
    preview = OnboardingPreview(tuple(plans), tuple(errors), len(sheet.rows), _fingerprint(plans))
    return preview, header_of


def onboarding_preview(*, staged: OnboardingImport, by) -> OnboardingPreview:
    """What importing the file would do now, with every problem by row and column: the
    cells' own, then each refusal the services give when the rows are written in a
    transaction that is rolled back."""
    _uploader_only(staged, by)
    _require_onboarder(by, staged.kind, staged.portfolio)
    with transaction.atomic():
        preview, header_of = _preview(staged, by, lock=False)
        if not preview.errors:
            _, refused = _write_rows(staged, preview.rows, header_of, by)
            preview = OnboardingPreview(
                preview.rows, tuple(refused), preview.row_count, preview.fingerprint
            )
        transaction.set_rollback(True)
    return preview


def onboarding_apply(*, staged: OnboardingImport, fingerprint: str, by) -> OnboardingPreview:
    """Import every row as previewed, or none: OnboardingError lists what refused."""
    with transaction.atomic():
        staged = OnboardingImport.objects.select_for_update().get(pk=staged.pk)
        _uploader_only(staged, by)
        _require_onboarder(by, staged.kind, staged.portfolio)
        if staged.is_applied:
            raise OnboardingError([CellError(0, "", "This file was already imported.")])
        preview, header_of = _preview(staged, by, lock=True)
        if preview.errors:
            raise OnboardingError(list(preview.errors))
        if preview.fingerprint != fingerprint:
            raise OnboardingError([CellError(0, "", STALE_PREVIEW)])
        written, refused = _write_rows(staged, preview.rows, header_of, by)
        if refused:
            raise OnboardingError(refused)
        staged.applied_at = timezone.now()
        staged.result = [
            {
                "row": plan.number,
                "action": plan.action,
                "code": plan.code,
                "name": obj.name,
                "pk": obj.pk,
                "portfolio": plan.portfolio.code if plan.portfolio else obj.code,
            }
            for plan, obj in written
        ]
        staged.save(update_fields=["applied_at", "result"])
        if staged.template_id:
            ImportTemplate.objects.filter(pk=staged.template_id).update(last_used_at=timezone.now())
    return preview


__all__ = [
    "CellError",
    "OnboardingError",
    "SpreadsheetError",
    "onboarding_apply",
    "onboarding_map",
    "onboarding_preview",
    "onboarding_stage",
]
