"""Project-to-project dependencies, one module for the subject: the services that add, change
and remove a dependency, the selectors of the portfolio dependency page, and the edges and
columns of the dependency chart (`DependencyEdge`, `dependency_layers`).

The project page lists a project's own dependencies through `projects.selectors`; lateness
(`expected_on`, `is_late`) is defined once, in `DependencyQuerySet.with_lateness()`, and every
read here goes through it."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse

from core import access
from portfolio.models import Portfolio
from projects.models import DependencyKind, Milestone, Project, ProjectDependency

DEPENDENCY_FIELDS = (
    "predecessor",
    "predecessor_milestone",
    "kind",
    "deliverable",
    "needed_by",
    "description",
    "lag_months",
)


# --- Services -----------------------------------------------------------------------------


def _require_editor(user, successor: Project):
    access.require(
        access.can_edit_project(user, successor),
        "Only the project's manager, its portfolio's PMO or portfolio managers may change "
        "what it depends on.",
    )


def _lock_dependency_graph():
    """Serialise dependency writes: each takes this lock before it reads the graph to look for
    a cycle, so a second writer waits, then reads the graph with the first one's edge in it.

    Without it, two transactions could each check their new edge against a graph lacking the
    other's and together close a cycle. Locking the successor's row is not enough (A→B and
    B→A lock different successors), nor is locking both ends (with B→C and D→A saved, A→B and
    C→D lock four different rows yet close A→B→C→D→A): the lock must cover the whole graph,
    which spans portfolios through the cross-portfolio dependencies PMO admins may add. So
    every dependency write locks the rows of all portfolios, always in the same order (no
    deadlock between two writers). FOR NO KEY UPDATE does not block inserting rows that refer
    to a portfolio. Dependency writes are rare (a person submitting a form), so waiting costs
    nothing noticeable. SQLite ignores the clause: it lets one writer in at a time anyway."""
    list(Portfolio.objects.select_for_update(no_key=True).order_by("pk").values_list("pk"))


def _cycle_closed_by(predecessor: Project, successor: Project) -> list[str] | None:
    """The project codes around the cycle that "`successor` needs `predecessor`" would close,
    starting and ending at the predecessor; None when there is none.

    There is a cycle when the successor already delivers, directly or through other projects,
    to the predecessor. A breadth-first walk from the successor along the saved dependencies
    (all of them, in one query of ids and codes: a cycle can pass through other portfolios)
    finds the shortest such path, which the message names. When a dependency is changed, its
    saved edge leads into the successor, so no path from the successor uses it."""
    delivers_to: dict[int, set[int]] = defaultdict(set)
    codes = {successor.pk: successor.code}
    edges = ProjectDependency.objects.order_by().values_list(
        "predecessor_id", "successor_id", "successor__code"
    )
    for predecessor_id, successor_id, successor_code in edges:
        delivers_to[predecessor_id].add(successor_id)
        codes[successor_id] = successor_code
    reached_from: dict[int, int | None] = {successor.pk: None}
    queue = deque([successor.pk])
    while queue:
        project_id = queue.popleft()
        if project_id == predecessor.pk:
            path = []
            while project_id is not None:
                path.append(codes[project_id])
                project_id = reached_from[project_id]
            return [predecessor.code, *reversed(path)]
        for next_id in delivers_to[project_id]:
            if next_id not in reached_from:
                reached_from[next_id] = project_id
                queue.append(next_id)
    return None


def _check_predecessor(dependency: ProjectDependency, by):
    predecessor, successor = dependency.predecessor, dependency.successor
    if predecessor.pk == successor.pk:
        raise ValidationError({"predecessor": "A project cannot depend on itself."})
    if not Project.objects.visible_to(by).filter(pk=predecessor.pk).exists():
        raise ValidationError({"predecessor": "No such project."})
    if predecessor.portfolio_id != successor.portfolio_id and not access.is_pmo_admin(by):
        raise ValidationError(
            {
                "predecessor": (
                    f"{predecessor.code} is in another portfolio; only a PMO admin may make a "
                    "project depend on a project of another portfolio."
                )
            }
        )


def _validate(dependency: ProjectDependency, *, predecessor_changed: bool, by):
    """The rules of a dependency, in the order a person fixes them: the predecessor, the
    fields, then the graph. An unchanged predecessor is not checked again: the link was
    allowed when it was made (perhaps across portfolios, by a PMO admin)."""
    if predecessor_changed:
        _check_predecessor(dependency, by)
    if dependency.kind == DependencyKind.SHARED_DELIVERABLE and not dependency.deliverable:
        raise ValidationError(
            {"deliverable": "Name the shared deliverable, e.g. “Data architecture v2”."}
        )
    duplicate = ProjectDependency.objects.filter(
        predecessor=dependency.predecessor,
        successor=dependency.successor,
        deliverable=dependency.deliverable,
    ).exclude(pk=dependency.pk)
    if duplicate.exists():
        what = f"for “{dependency.deliverable}”" if dependency.deliverable else "for its finish"
        raise ValidationError(
            {
                "predecessor": (
                    f"{dependency.successor.code} already depends on "
                    f"{dependency.predecessor.code} {what}; change that dependency instead."
                )
            }
        )
    dependency.full_clean()  # the milestone belongs to the predecessor; dates; constraints
    if predecessor_changed:
        cycle = _cycle_closed_by(dependency.predecessor, dependency.successor)
        if cycle:
            raise ValidationError(
                {
                    "predecessor": (
                        f"{dependency.predecessor.code} already depends, directly or through "
                        f"other projects, on {dependency.successor.code}; this would make a "
                        f"cycle: {' → '.join(cycle)}."
                    )
                }
            )


def _apply(dependency: ProjectDependency, data: dict):
    for field in DEPENDENCY_FIELDS:
        if field in data:
            setattr(dependency, field, data[field])
    dependency.deliverable = (dependency.deliverable or "").strip()


@transaction.atomic
def dependency_create(*, successor: Project, data: dict, by) -> ProjectDependency:
    """`successor` needs something from `data["predecessor"]` by `data["needed_by"]`."""
    _require_editor(by, successor)
    dependency = ProjectDependency(successor=successor)
    _apply(dependency, data)
    if dependency.predecessor_id is None:
        raise ValidationError({"predecessor": "Choose the project this one depends on."})
    _lock_dependency_graph()
    _validate(dependency, predecessor_changed=True, by=by)
    dependency.save()
    return dependency


@transaction.atomic
def dependency_update(*, dependency: ProjectDependency, data: dict, by) -> ProjectDependency:
    """Change what a dependency needs, from whom and by when; its successor stays."""
    _require_editor(by, dependency.successor)
    saved_predecessor_id = dependency.predecessor_id
    _apply(dependency, data)
    predecessor_changed = dependency.predecessor_id != saved_predecessor_id
    if predecessor_changed:  # the graph changes only when the predecessor does
        _lock_dependency_graph()
    _validate(dependency, predecessor_changed=predecessor_changed, by=by)
    dependency.save()
    return dependency


@transaction.atomic
def dependency_delete(*, dependency: ProjectDependency, by) -> None:
    _require_editor(by, dependency.successor)
    dependency.delete()


# --- Selectors: the add/edit form ------------------------------------------------------------


def predecessor_choices(*, successor: Project, user) -> list[Project]:
    """Projects `successor` may depend on from its page: the ones of its portfolio the user
    sees, each with its milestones (`milestones_in_order`), by code. Two queries."""
    return list(
        Project.objects.visible_to(user)
        .filter(portfolio_id=successor.portfolio_id)
        .exclude(pk=successor.pk)
        .prefetch_related(
            Prefetch(
                "milestones",
                queryset=Milestone.objects.order_by("sequence", "baseline_date", "pk"),
                to_attr="milestones_in_order",
            )
        )
        .order_by("code")
    )


def dependency_for_edit(*, user, pk: int) -> ProjectDependency:
    """The dependency behind an edit or delete page, with its successor loaded as the project
    pages load it. Raises ProjectDependency.DoesNotExist unless the user sees the successor
    (the page belongs to it). `predecessor_visible` says whether the user may open the
    predecessor: a page names it only then."""
    visible = Project.objects.visible_to(user)
    return (
        ProjectDependency.objects.annotate(
            predecessor_visible=Exists(visible.filter(pk=OuterRef("predecessor_id")))
        )
        .select_related(
            "successor__portfolio",
            "successor__program",
            "successor__manager",
            "successor__sponsor",
            "predecessor",
            "predecessor_milestone",
        )
        .get(pk=pk, successor__in=visible.values("pk"))
    )


# --- Selectors: the portfolio dependency page ------------------------------------------------


def portfolio_dependencies(*, portfolio: Portfolio, user) -> QuerySet[ProjectDependency]:
    """Dependencies with either end in `portfolio` that the user sees, late first, then by
    the date they are needed; annotated with `expected_on` and `is_late`
    (`with_lateness()`), and whether the user may open each end. One query."""
    visible = Project.objects.visible_to(user)
    return (
        ProjectDependency.objects.visible_to(user)
        .filter(Q(successor__portfolio=portfolio) | Q(predecessor__portfolio=portfolio))
        .with_lateness()
        .annotate(
            predecessor_visible=Exists(visible.filter(pk=OuterRef("predecessor_id"))),
            successor_visible=Exists(visible.filter(pk=OuterRef("successor_id"))),
        )
        .select_related("predecessor__portfolio", "successor__portfolio", "predecessor_milestone")
        .order_by(F("is_late").desc(nulls_last=True), "needed_by", "pk")
    )


@dataclass(frozen=True)
class DependencyRow:
    dependency: ProjectDependency
    days_late: int | None  # expected on − needed by: positive is late, negative is to spare
    predecessor_url: str  # "" when the user may not open the project
    successor_url: str


def _project_url(project_id: int, visible: bool) -> str:
    return reverse("projects:detail", args=[project_id]) if visible else ""


def dependency_rows(dependencies) -> list[DependencyRow]:
    """The page's rows, from `portfolio_dependencies(...)`."""
    return [
        DependencyRow(
            dependency=dependency,
            days_late=dependency.days_late,
            predecessor_url=_project_url(dependency.predecessor_id, dependency.predecessor_visible),
            successor_url=_project_url(dependency.successor_id, dependency.successor_visible),
        )
        for dependency in dependencies
    ]


@dataclass(frozen=True)
class DependencyEdge:
    """One dependency as the dependency chart draws it: plain values, the lateness settled
    (`DependencyQuerySet.with_lateness()`), and the URL of each end ("" when the user may not
    open that project)."""

    predecessor_id: int
    predecessor_code: str
    successor_id: int
    successor_code: str
    deliverable: str
    needed_by: date
    expected_on: date | None  # None: the predecessor has no date to deliver on
    is_late: bool
    predecessor_url: str
    successor_url: str


def dependency_layers(edges: Sequence[DependencyEdge]) -> dict[int, int]:
    """Project id → column: the longest path from a project nothing depends on. Kahn's
    topological order, so each project is settled once; projects on a cycle (refused on
    save, so only from bad data) keep the column their settled predecessors give them."""
    successors: dict[int, set[int]] = defaultdict(set)
    waiting: dict[int, int] = {}
    for edge in edges:
        waiting.setdefault(edge.predecessor_id, 0)
        waiting.setdefault(edge.successor_id, 0)
    for edge in edges:
        if edge.successor_id not in successors[edge.predecessor_id]:
            successors[edge.predecessor_id].add(edge.successor_id)
            waiting[edge.successor_id] += 1
    layer = dict.fromkeys(waiting, 0)
    ready = [node for node, count in waiting.items() if count == 0]
    while ready:
        node = ready.pop()
        for successor in successors[node]:
            layer[successor] = max(layer[successor], layer[node] + 1)
            waiting[successor] -= 1
            if waiting[successor] == 0:
                ready.append(successor)
    return layer


def dependency_edges(rows: list[DependencyRow]) -> list[DependencyEdge]:
    """The rows as the edges of the dependency chart (charts.dependencies)."""
    return [
        DependencyEdge(
            predecessor_id=row.dependency.predecessor_id,
            predecessor_code=row.dependency.predecessor.code
            if row.predecessor_url
            else access.HIDDEN_PROJECT,
            successor_id=row.dependency.successor_id,
            successor_code=row.dependency.successor.code
            if row.successor_url
            else access.HIDDEN_PROJECT,
            deliverable=row.dependency.deliverable,
            needed_by=row.dependency.needed_by,
            expected_on=row.dependency.expected_on,
            is_late=bool(row.dependency.is_late),
            predecessor_url=row.predecessor_url,
            successor_url=row.successor_url,
        )
        for row in rows
    ]
