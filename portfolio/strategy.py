"""Strategy selectors: strategic alignment, the contribution matrix, the ranked list of
candidate and active projects, the pending gate decisions and a project's gate history,
plus the stage-gate rules those pages and portfolio.services share.

Reads only (writes are in portfolio.services). Each function runs a fixed number of queries
whatever the number of projects; tests/portfolio/test_strategy_views.py counts them.
The priority score itself comes from portfolio.priority; every formula here is written down in
docs/formulas.md ("Priority score", "Strategic alignment", "Stage gates").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate

from portfolio.models import (
    CriterionStatus,
    GateCriterion,
    GateCriterionAssessment,
    GateDecision,
    GateOutcome,
    ObjectiveContribution,
    Portfolio,
    RankingSnapshot,
    StrategicObjective,
    Synergy,
)
from portfolio.priority import priority_scores
from portfolio.selectors import active_on
from projects.models import DependencyKind, Project, ProjectDependency
from projects.querysets import ACTIVE_STAGES, Stage
from resources.models import Allocation

# Ranked, scored and mapped against objectives: candidates and projects under way. Ideas are
# not ranked until proposed as candidates; closed, cancelled and on-hold projects compete for
# nothing.
RANKED_STAGES = (Stage.CANDIDATE, *ACTIVE_STAGES)
MAX_CONTRIBUTION = 3
ALIGNMENT_PLACES = Decimal("0.1")
RATIO_PLACES = Decimal("0.01")
CANDIDATE_DECISION_DAYS = 30
WEIGHT = DecimalField(max_digits=12, decimal_places=2)


def ranked_scope(portfolio: Portfolio | int) -> QuerySet[Project]:
    """The portfolio's projects that are ranked and mapped against objectives."""
    return Project.objects.filter(portfolio=portfolio, stage__in=RANKED_STAGES)


# --- Strategic alignment ------------------------------------------------------------------


def _as_decimal(value) -> Decimal | None:
    # SQLite returns sums of decimals as floats; str() keeps what was stored.
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def strategic_alignment(
    *, project_ids: Iterable[int] | QuerySet, as_of: date
) -> dict[int, Decimal | None]:
    """Strategic alignment per project (docs/formulas.md, "Strategic alignment"), in % to one
    decimal:

        Σ objective weight × contribution (0–3) / (Σ objective weight × 3) × 100

    over the objectives of the project's portfolio active on `as_of`. A project without
    contributions scores 0; every project of a portfolio without active objectives (or whose
    active weights are all 0) gets None. One query, whatever the number of projects.
    `project_ids` may be a `values("pk")` queryset: it is then a subquery, not a thousand
    parameters to send."""
    active = active_on(as_of)
    achieved = (
        ObjectiveContribution.objects.filter(
            project=OuterRef("pk"), objective__portfolio=OuterRef("portfolio")
        )
        .filter(
            Q(objective__active_from__lte=as_of)
            & (Q(objective__active_until__isnull=True) | Q(objective__active_until__gte=as_of))
        )
        .order_by()
        .values("project")
        .annotate(total=Sum(F("objective__weight") * F("contribution"), output_field=WEIGHT))
        .values("total")
    )
    possible = (
        StrategicObjective.objects.filter(active, portfolio=OuterRef("portfolio"))
        .order_by()
        .values("portfolio")
        .annotate(total=Sum("weight"))
        .values("total")
    )
    rows = (
        Project.objects.filter(
            pk__in=project_ids if isinstance(project_ids, QuerySet) else list(project_ids)
        )
        .order_by()
        .annotate(
            achieved=Subquery(achieved, output_field=WEIGHT),
            possible=Subquery(possible, output_field=WEIGHT),
        )
        .values_list("pk", "achieved", "possible")
    )
    alignment = {}
    for pk, achieved_total, possible_total in rows:
        possible_weight = _as_decimal(possible_total)
        if not possible_weight:
            alignment[pk] = None
            continue
        share = (_as_decimal(achieved_total) or Decimal("0")) * 100
        alignment[pk] = (share / (possible_weight * MAX_CONTRIBUTION)).quantize(
            ALIGNMENT_PLACES, rounding=ROUND_HALF_UP
        )
    return alignment


def active_objectives(*, portfolio: Portfolio, as_of: date) -> list[StrategicObjective]:
    return list(
        StrategicObjective.objects.filter(active_on(as_of), portfolio=portfolio).order_by(
            "-weight", "name", "pk"
        )
    )


# --- Contribution matrix -------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixCell:
    objective_id: int
    objective_name: str
    field_name: str
    level: int


@dataclass(frozen=True)
class MatrixRow:
    project: Project
    cells: list[MatrixCell]
    alignment: Decimal | None


def matrix_field_name(project_id: int, objective_id: int) -> str:
    return f"c-{project_id}-{objective_id}"


def contribution_matrix_rows(
    *, projects: list[Project], objectives: list[StrategicObjective], as_of: date
) -> list[MatrixRow]:
    """One row per project (a page of them), one cell per active objective with its stored
    level (0 when none is stored). Two queries: the stored levels and the alignment."""
    ids = [project.pk for project in projects]
    objective_ids = [objective.pk for objective in objectives]
    levels = {
        (project_id, objective_id): level
        for project_id, objective_id, level in ObjectiveContribution.objects.filter(
            project_id__in=ids, objective_id__in=objective_ids
        ).values_list("project_id", "objective_id", "contribution")
    }
    alignment = strategic_alignment(project_ids=ids, as_of=as_of) if objectives else {}
    return [
        MatrixRow(
            project=project,
            cells=[
                MatrixCell(
                    objective_id=objective.pk,
                    objective_name=objective.name,
                    field_name=matrix_field_name(project.pk, objective.pk),
                    level=levels.get((project.pk, objective.pk), 0),
                )
                for objective in objectives
            ],
            alignment=alignment.get(project.pk),
        )
        for project in projects
    ]


def contribution_matrix_projects(*, portfolio: Portfolio, user) -> QuerySet[Project]:
    """The rows of the matrix, for the view to paginate."""
    return ranked_scope(portfolio).visible_to(user).order_by("code", "pk")


# --- Ranking -------------------------------------------------------------------------------


def competition_ranks(scores: dict[int, Decimal | None]) -> dict[int, int]:
    """Rank by score, highest first; equal scores share a rank and the next rank skips
    ("1, 2, 2, 4"). Projects without a score are not ranked."""
    ordered = sorted(
        ((score, pk) for pk, score in scores.items() if score is not None),
        key=lambda item: item[0],
        reverse=True,
    )
    ranks, previous_score, previous_rank = {}, None, 0
    for position, (score, pk) in enumerate(ordered, start=1):
        rank = previous_rank if score == previous_score else position
        ranks[pk] = rank
        previous_score, previous_rank = score, rank
    return ranks


def portfolio_ranks(*, portfolio: Portfolio) -> dict[int, int]:
    """The current rank of every ranked project of the portfolio (visibility aside: a rank
    is a fact about the portfolio, whoever looks)."""
    ids = list(ranked_scope(portfolio).values_list("pk", flat=True))
    return competition_ranks(priority_scores(project_ids=ids))


def value_per_cost(value: Decimal | None, cost: Decimal | None) -> Decimal | None:
    """Expected benefit per unit of budget; None when the budget is 0."""
    if value is None or not cost:
        return None
    return (Decimal(value) / Decimal(cost)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RankedProject:
    pk: int
    code: str
    name: str
    stage: str
    stage_label: str
    program_name: str | None
    budget: Decimal
    annual_cost: Decimal
    expected_benefit: Decimal
    annual_benefit: Decimal
    is_mandatory: bool
    priority_score: Decimal | None
    alignment: Decimal | None
    value_per_cost: Decimal | None
    rank: int | None
    previous_rank: int | None
    is_new: bool  # ranked now, not in the previous ranking (which exists)

    @property
    def rank_change(self) -> int | None:
        """Places gained (+) or lost (−) since the previous ranking."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def places_moved(self) -> int | None:
        change = self.rank_change
        return None if change is None else abs(change)


# Sort keys of the ranked list; `None` values always sort last.
RANKING_SORTS = {
    "rank": "rank",
    "score": "priority_score",
    "alignment": "alignment",
    "budget": "budget",
    "annual_cost": "annual_cost",
    "value": "expected_benefit",
    "annual_value": "annual_benefit",
    "value_per_cost": "value_per_cost",
    "code": "code",
}
# The natural direction of each column when first clicked: best first.
RANKING_SORT_DESCENDING = {"score", "alignment", "value", "annual_value", "value_per_cost"}


@dataclass(frozen=True)
class SortColumn:
    key: str
    label: str
    numeric: bool
    state: str  # "ascending", "descending", "none"; "" when the column does not sort
    param: str  # the ?sort= value a click on the header sets ("" when it does not sort)


@dataclass
class Ranking:
    rows: list[RankedProject]
    sort: str
    stage: str
    previous: RankingSnapshot | None
    ranked_count: int
    columns: list[SortColumn] = field(default_factory=list)
    # Ranked projects the user may not open: counted in `ranked_count`, never named.
    hidden_ranked_count: int = 0


def _sort_key(attribute: str, descending: bool):
    def key(row: RankedProject):
        value = getattr(row, attribute)
        missing = value is None
        if missing:
            return (1, 0, row.code)
        if descending and not isinstance(value, str):
            value = -value
        return (0, value, row.code)

    return key


def parse_ranking_sort(sort: str | None) -> tuple[str, bool]:
    """ "score" → ("score", natural direction); "-score" → the other direction."""
    sort = sort or "rank"
    flipped = sort.startswith("-")
    column = sort.lstrip("-")
    if column not in RANKING_SORTS:
        return "rank", False
    natural = column in RANKING_SORT_DESCENDING
    return column, natural != flipped


# The ranked list's columns in order: key (a RANKING_SORTS key, or "" when the column does not
# sort), label, numeric.
RANKING_COLUMNS = (
    ("rank", "Rank", True),
    ("", "Change", True),
    ("code", "Project", False),
    ("score", "Priority", True),
    ("alignment", "Alignment", True),
    ("budget", "Budget", True),
    ("annual_cost", "Cost / yr", True),
    ("value", "Benefit", True),
    ("annual_value", "Benefit / yr", True),
    ("value_per_cost", "Benefit ÷ budget", True),
)


def _sort_columns(column: str, descending: bool) -> list[SortColumn]:
    columns = []
    for key, label, numeric in RANKING_COLUMNS:
        if not key:
            state, param = "", ""
        elif key == column:
            state = "descending" if descending else "ascending"
            # A second click flips the column's direction.
            param = key if (key in RANKING_SORT_DESCENDING) == (not descending) else f"-{key}"
        else:
            state, param = "none", key
        columns.append(SortColumn(key=key, label=label, numeric=numeric, state=state, param=param))
    return columns


def previous_ranking(*, portfolio: Portfolio) -> RankingSnapshot | None:
    return (
        RankingSnapshot.objects.filter(portfolio=portfolio)
        .select_related("taken_by")
        .order_by("-taken_on", "-pk")
        .first()
    )


def ranked_projects(
    *, portfolio: Portfolio, user, as_of: date, stage: str = "", sort: str = ""
) -> Ranking:
    """Candidate and active projects of the portfolio, ranked by priority score (rank 1 is
    the highest score), with alignment, cost, value, benefit per cost, and the rank each held
    in the latest `RankingSnapshot` (taken before the latest scoring round).

    Ranks are over the whole portfolio; the rows are the ones `user` may see, optionally of
    one `stage`, sorted by `sort` (a RANKING_SORTS key, "-" for the other direction).
    Constant queries: the projects, the priority scores, the alignment and the snapshot."""
    column, descending = parse_ranking_sort(sort)
    visible = ranked_scope(portfolio).visible_to(user)
    records = list(
        ranked_scope(portfolio)
        .order_by()
        .annotate(
            is_visible=Case(
                When(pk__in=visible.values("pk"), then=Value(True)),
                default=Value(False),
            )
        )
        .values(
            "pk",
            "code",
            "name",
            "stage",
            "program__name",
            "budget",
            "annual_cost",
            "expected_benefit",
            "annual_benefit",
            "is_mandatory",
            "is_visible",
        )
    )
    scores = priority_scores(project_ids=[record["pk"] for record in records])
    ranks = competition_ranks(scores)
    shown = [
        record
        for record in records
        if record["is_visible"] and (not stage or record["stage"] == stage)
    ]
    alignment = strategic_alignment(project_ids=[record["pk"] for record in shown], as_of=as_of)
    previous = previous_ranking(portfolio=portfolio)
    previous_ranks = previous.ranks if previous else {}
    rows = []
    for record in shown:
        pk = record["pk"]
        previous_rank = previous_ranks.get(str(pk))
        rows.append(
            RankedProject(
                pk=pk,
                code=record["code"],
                name=record["name"],
                stage=record["stage"],
                stage_label=Stage(record["stage"]).label,
                program_name=record["program__name"],
                budget=record["budget"],
                annual_cost=record["annual_cost"],
                expected_benefit=record["expected_benefit"],
                annual_benefit=record["annual_benefit"],
                is_mandatory=record["is_mandatory"],
                priority_score=scores.get(pk),
                alignment=alignment.get(pk),
                value_per_cost=value_per_cost(record["expected_benefit"], record["budget"]),
                rank=ranks.get(pk),
                previous_rank=previous_rank,
                is_new=previous is not None and pk in ranks and previous_rank is None,
            )
        )
    rows.sort(key=_sort_key(RANKING_SORTS[column], descending))
    return Ranking(
        rows=rows,
        sort=column if (column in RANKING_SORT_DESCENDING) == descending else f"-{column}",
        stage=stage,
        previous=previous,
        ranked_count=len(ranks),
        columns=_sort_columns(column, descending),
        hidden_ranked_count=sum(
            1 for record in records if not record["is_visible"] and record["pk"] in ranks
        ),
    )


# --- Candidates --------------------------------------------------------------------------------


def candidate_projects(*, portfolio: Portfolio | None, user) -> QuerySet[Project]:
    """Ideas and candidates of the portfolio (of every portfolio the user sees, for None; the
    API's list) with their business case, links and requested roles (prefetched: a page of
    them is a fixed number of queries). The links are the ones to projects `user` may see
    (`visible_requires`, `visible_excludes`); `requires_count` and `excludes_count` count them
    all, so a page can say how many it does not name."""
    linked = Project.objects.visible_to(user).only("pk", "code").order_by("code")
    projects = Project.objects.visible_to(user)
    if portfolio is not None:
        projects = projects.filter(portfolio=portfolio)
    return (
        projects.filter(stage__in=(Stage.IDEA, Stage.CANDIDATE))
        .select_related("manager", "program")
        .annotate(
            requires_count=Count("requires", distinct=True),
            excludes_count=Count("excludes", distinct=True),
        )
        .prefetch_related(
            Prefetch("requires", queryset=linked, to_attr="visible_requires"),
            Prefetch("excludes", queryset=linked, to_attr="visible_excludes"),
            Prefetch(
                "allocations",
                queryset=Allocation.objects.select_related("role").order_by("start_month", "pk"),
            ),
        )
        .order_by("stage", "code", "pk")
    )


# --- Synergies and sequences ------------------------------------------------------------------


def portfolio_synergies(*, portfolio: Portfolio) -> QuerySet[Synergy]:
    """The portfolio's synergy groups with their members, by name (two queries). Its
    managers, who edit them, see every project of it."""
    return (
        Synergy.objects.filter(portfolio=portfolio)
        .prefetch_related(
            Prefetch(
                "members",
                queryset=Project.objects.only("pk", "code", "name", "stage").order_by("code"),
            )
        )
        .order_by("name", "pk")
    )


@dataclass(frozen=True)
class SynergyRow:
    """A synergy as one reader sees it on the synergies page: the members he may see, and
    how many he may not (counted, never named)."""

    synergy: Synergy
    members: tuple[Project, ...]
    hidden: int = 0


def synergies_seen_by(*, portfolio: Portfolio, user) -> list[SynergyRow]:
    """The portfolio's synergies naming only the members `user` may see; a synergy none of
    whose members he sees is left out. Three queries."""
    synergies = list(portfolio_synergies(portfolio=portfolio))
    members = {m.pk for s in synergies for m in s.members.all()}
    visible = set(
        Project.objects.visible_to(user).filter(pk__in=members).values_list("pk", flat=True)
    )
    rows = []
    for synergy in synergies:
        everyone = list(synergy.members.all())
        seen = tuple(m for m in everyone if m.pk in visible)
        if seen:
            rows.append(SynergyRow(synergy, seen, hidden=len(everyone) - len(seen)))
    return rows


@dataclass(frozen=True)
class SynergyLink:
    """A synergy seen from one of its members: the others the user may see, and how many
    he may not."""

    synergy: Synergy
    partners: tuple[Project, ...]
    hidden: int = 0


@dataclass(frozen=True)
class SequenceLink:
    """A finish-to-start dependency seen from one end: the project at the other end, the lag
    in months and why (the dependency's deliverable and description)."""

    other: Project
    lag_months: int
    reason: str


@dataclass(frozen=True)
class CandidateRelations:
    synergies: tuple[SynergyLink, ...] = ()
    after: tuple[SequenceLink, ...] = ()  # must finish before this project starts
    before: tuple[SequenceLink, ...] = ()  # start only after this project finishes

    def __bool__(self):
        return bool(self.synergies or self.after or self.before)


def _sequence_reason(dependency: ProjectDependency) -> str:
    parts = [dependency.deliverable, dependency.description]
    return " — ".join(part.strip() for part in parts if part and part.strip())


def candidate_relations(*, project_ids: Iterable[int], user) -> dict[int, CandidateRelations]:
    """Each project's synergies and sequences (finish-to-start dependencies), naming only the
    projects `user` may see. Four queries, however many projects."""
    ids = list(project_ids)
    if not ids:
        return {}
    synergy_ids = set(
        Synergy.members.through.objects.filter(project_id__in=ids).values_list(
            "synergy_id", flat=True
        )
    )
    synergies = list(
        Synergy.objects.filter(pk__in=synergy_ids)
        .prefetch_related(
            Prefetch(
                "members", queryset=Project.objects.only("pk", "code", "name").order_by("code")
            )
        )
        .order_by("name", "pk")
    )
    dependencies = list(
        ProjectDependency.objects.filter(kind=DependencyKind.FINISH_TO_START)
        .filter(Q(successor_id__in=ids) | Q(predecessor_id__in=ids))
        .select_related("predecessor", "successor")
        .order_by("needed_by", "pk")
    )
    others = {m.pk for s in synergies for m in s.members.all()}
    others |= {d.predecessor_id for d in dependencies} | {d.successor_id for d in dependencies}
    visible = set(
        Project.objects.visible_to(user).filter(pk__in=others).values_list("pk", flat=True)
    )
    found: dict[int, dict[str, list]] = {pid: {"s": [], "a": [], "b": []} for pid in ids}
    for synergy in synergies:
        members = list(synergy.members.all())
        for member in members:
            if member.pk not in found:
                continue
            partners = [m for m in members if m.pk != member.pk]
            seen = tuple(m for m in partners if m.pk in visible)
            found[member.pk]["s"].append(
                SynergyLink(synergy=synergy, partners=seen, hidden=len(partners) - len(seen))
            )
    for dependency in dependencies:
        reason = _sequence_reason(dependency)
        if dependency.successor_id in found and dependency.predecessor_id in visible:
            found[dependency.successor_id]["a"].append(
                SequenceLink(dependency.predecessor, dependency.lag_months, reason)
            )
        if dependency.predecessor_id in found and dependency.successor_id in visible:
            found[dependency.predecessor_id]["b"].append(
                SequenceLink(dependency.successor, dependency.lag_months, reason)
            )
    return {
        pid: CandidateRelations(
            synergies=tuple(links["s"]), after=tuple(links["a"]), before=tuple(links["b"])
        )
        for pid, links in found.items()
    }


# --- Stage gates -----------------------------------------------------------------------------

# The stages a gate may open from each stage ("go" moves the project there).
GATE_TARGETS: dict[str, tuple[str, ...]] = {
    Stage.IDEA: (Stage.CANDIDATE,),
    Stage.CANDIDATE: (Stage.APPROVED,),
    Stage.APPROVED: (Stage.IN_PROGRESS,),
    Stage.IN_PROGRESS: (Stage.CLOSING,),
    Stage.CLOSING: (Stage.CLOSED,),
    Stage.ON_HOLD: (Stage.CANDIDATE, Stage.APPROVED, Stage.IN_PROGRESS),
    Stage.CLOSED: (),
    Stage.CANCELLED: (),
}
# "Recycle" sends a project back one step to rework its case; a project in progress (or an
# idea, or one on hold) stays where it is and comes back to the same gate.
RECYCLE_TO: dict[str, str] = {
    Stage.CANDIDATE: Stage.IDEA,
    Stage.APPROVED: Stage.CANDIDATE,
    Stage.CLOSING: Stage.IN_PROGRESS,
}


def gate_targets(stage: str) -> tuple[str, ...]:
    return GATE_TARGETS.get(stage, ())


def gate_result_stage(*, from_stage: str, to_stage: str, outcome: str) -> str:
    """Where a gate decision leaves the project: go → the gate's stage; no-go → cancelled;
    hold → on hold; recycle → one step back (RECYCLE_TO), or where it was."""
    if outcome == GateOutcome.GO:
        return to_stage
    if outcome == GateOutcome.NO_GO:
        return Stage.CANCELLED
    if outcome == GateOutcome.HOLD:
        return Stage.ON_HOLD
    return RECYCLE_TO.get(from_stage, from_stage)


@dataclass(frozen=True)
class GateDecisionRow:
    decision: GateDecision
    from_label: str
    to_label: str
    result_stage: str
    result_label: str


def _stage_label(stage: str) -> str:
    return Stage(stage).label if stage in Stage.values else stage


def gate_checklist(*, portfolio_id: int, gate: str) -> list[GateCriterion]:
    """The portfolio's criteria for the gate to `gate`, in their order. One query."""
    return list(
        GateCriterion.objects.filter(portfolio_id=portfolio_id, gate=gate).order_by(
            "position", "pk"
        )
    )


def gate_checklists(*, portfolio_id: int, gates: Iterable[str]) -> dict[str, list[GateCriterion]]:
    """The criteria of each of `gates` (every gate listed, possibly empty). One query."""
    checklists: dict[str, list[GateCriterion]] = {gate: [] for gate in gates}
    for criterion in GateCriterion.objects.filter(
        portfolio_id=portfolio_id, gate__in=list(checklists)
    ).order_by("gate", "position", "pk"):
        checklists[criterion.gate].append(criterion)
    return checklists


def latest_assessments(
    *, project: Project, gates: Iterable[str]
) -> dict[int, GateCriterionAssessment]:
    """By criterion id, how each criterion of `gates` stood at the project's latest decision
    at that gate (a hold or recycle earlier, say): the decision form starts from it. One
    query."""
    latest = (
        GateDecision.objects.filter(project=project, to_stage=OuterRef("decision__to_stage"))
        .order_by("-decided_on", "-recorded_at", "-pk")
        .values("pk")[:1]
    )
    assessments = GateCriterionAssessment.objects.filter(
        decision__project=project,
        decision__to_stage__in=list(gates),
        criterion__isnull=False,
        decision=Subquery(latest),
    )
    return {assessment.criterion_id: assessment for assessment in assessments}


def project_gate_decisions(*, project: Project) -> list[GateDecisionRow]:
    """A project's gate decisions, newest first, with the stage each left it in and the
    criteria assessed with each. Two queries; for templates/includes/gate_decisions.html."""
    decisions = (
        GateDecision.objects.filter(project=project)
        .select_related("decided_by")
        .prefetch_related(
            Prefetch(
                "assessments",
                queryset=GateCriterionAssessment.objects.order_by("position", "pk"),
            )
        )
        .order_by("-decided_on", "-recorded_at", "-pk")
    )
    rows = []
    for decision in decisions:
        result = gate_result_stage(
            from_stage=decision.from_stage, to_stage=decision.to_stage, outcome=decision.outcome
        )
        rows.append(
            GateDecisionRow(
                decision=decision,
                from_label=_stage_label(decision.from_stage),
                to_label=_stage_label(decision.to_stage),
                result_stage=result,
                result_label=_stage_label(result),
            )
        )
    return rows


PENDING_GATE_RULE = (
    "A gate decision is pending when an approved project's start date has passed (go to "
    "in progress?), an in-progress project's end date has passed (go to closing?), or a "
    f"candidate has waited {CANDIDATE_DECISION_DAYS} days or more since it was proposed or "
    "last decided on (go to approved?)."
)


def pending_gate_decisions(*, portfolio: Portfolio, user, as_of: date) -> QuerySet[Project]:
    """Projects whose plan says a gate should have been passed (PENDING_GATE_RULE), longest
    overdue first. Each is annotated `due_gate` (the stage the decision would open) and
    `overdue_since` (the planned start, the planned end, or since when the candidate waits),
    and with how many of the gate's criteria it meets (`_criteria_counts`).
    A queryset: the view paginates it (a count and a page, whatever the number)."""
    last_decision = (
        GateDecision.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(last=Max("decided_on"))
        .values("last")
    )
    waiting_since = Coalesce(
        Subquery(last_decision, output_field=DateField()),
        TruncDate("created_at"),
        output_field=DateField(),
    )
    candidate_cutoff = as_of - timedelta(days=CANDIDATE_DECISION_DAYS)
    return (
        Project.objects.visible_to(user)
        .filter(portfolio=portfolio)
        .annotate(waiting_since=waiting_since)
        .filter(
            Q(stage=Stage.APPROVED, start_date__lt=as_of)
            | Q(stage=Stage.IN_PROGRESS, end_date__lt=as_of)
            | Q(stage=Stage.CANDIDATE, waiting_since__lte=candidate_cutoff)
        )
        .annotate(
            overdue_since=Case(
                When(stage=Stage.APPROVED, then=F("start_date")),
                When(stage=Stage.IN_PROGRESS, then=F("end_date")),
                default=F("waiting_since"),
                output_field=DateField(),
            ),
            due_gate=Case(
                When(stage=Stage.APPROVED, then=Value(Stage.IN_PROGRESS.value)),
                When(stage=Stage.IN_PROGRESS, then=Value(Stage.CLOSING.value)),
                default=Value(Stage.APPROVED.value),
            ),
        )
        .annotate(**_criteria_counts())
        .select_related("manager", "program")
        .order_by("overdue_since", "code", "pk")
    )


def _count(queryset, group_by: str):
    return Coalesce(
        Subquery(
            queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _criteria_counts() -> dict:
    """For a queryset of projects annotated `due_gate`: `criteria_total`, the portfolio's
    criteria for that gate; `criteria_met` and `criteria_waived`, how many of them the
    project's latest decision at that gate (a hold, say) found met or waived; `assessed`,
    whether there was one. Subqueries, so a page of any length is one query."""
    latest_at_gate = (
        GateDecision.objects.filter(
            project=OuterRef(OuterRef("pk")), to_stage=OuterRef(OuterRef("due_gate"))
        )
        .order_by("-decided_on", "-recorded_at", "-pk")
        .values("pk")[:1]
    )
    current = GateCriterionAssessment.objects.filter(
        decision=Subquery(latest_at_gate),
        criterion__portfolio=OuterRef("portfolio_id"),
        criterion__gate=OuterRef("due_gate"),
    )
    return {
        "criteria_total": _count(
            GateCriterion.objects.filter(
                portfolio=OuterRef("portfolio_id"), gate=OuterRef("due_gate")
            ),
            "portfolio",
        ),
        "criteria_met": _count(current.filter(status=CriterionStatus.MET), "decision"),
        "criteria_waived": _count(current.filter(status=CriterionStatus.WAIVED), "decision"),
    }
