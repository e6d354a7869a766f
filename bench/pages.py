"""The pages under test: which portfolio and project to open, and how a page is timed,
counted and profiled. Requests go through django.test.Client in-process, so the figures are
server time (middleware, views, SQL, templates) without network or a WSGI server."""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Count, Exists, OuterRef
from django.template import base as template_base
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from bench import agreement, floor
from demo.scale import PREFIX
from portfolio.models import Portfolio
from projects.models import CostEntry, Milestone, Project, ProjectDependency, StatusReport
from projects.periods import period_containing, previous_period
from risks.models import Risk

BENCH_USER = "bench-admin"


@dataclass(frozen=True)
class Page:
    key: str  # overview, dashboard, project
    label: str
    url: str
    statements: list[floor.Statement]  # the raw SQL floor
    checks: list[agreement.Check]  # its figures against reporting.kpis


@dataclass
class Measurement:
    page: Page
    timings: list[float] = field(default_factory=list)  # seconds
    queries: int | None = None
    size: int | None = None
    floor_timings: list[float] = field(default_factory=list)
    cached_timings: list[float] = field(default_factory=list)  # a repeat reader: KPI cache on
    error: str = ""

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.timings) * 1000 if self.timings else None

    @property
    def p90_ms(self) -> float | None:
        return percentile(self.timings, 90) * 1000 if self.timings else None

    @property
    def floor_ms(self) -> float | None:
        return statistics.median(self.floor_timings) * 1000 if self.floor_timings else None

    @property
    def cached_ms(self) -> float | None:
        return statistics.median(self.cached_timings) * 1000 if self.cached_timings else None


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `pct` % of values ≤ it."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


def bench_user():
    """A superuser (a PMO admin sees every portfolio), created on first use."""
    User = get_user_model()
    user = User.objects.filter(username=BENCH_USER).first()
    if user is None:
        user = User.objects.create_superuser(BENCH_USER, f"{BENCH_USER}@bench.invalid", None)
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def scale_portfolio() -> Portfolio:
    """The first scale portfolio, with its project count (~1,000 at 10,000 projects)."""
    portfolio = (
        Portfolio.objects.filter(code__startswith=PREFIX)
        .annotate(project_count=Count("projects"))
        .order_by("code")
        .first()
    )
    if portfolio is None:
        raise SystemExit(f"No scale data: run `manage.py seed_scale` first ({PREFIX}* portfolios).")
    return portfolio


def scale_project(portfolio: Portfolio) -> Project:
    """An in-progress project of `portfolio` with reports, costs, milestones and risks; one that
    a portfolio risk threatens and with dependencies if there is one, so every list shows."""
    here = OuterRef("pk")
    project = (
        Project.objects.filter(portfolio=portfolio, stage="in_progress")
        .filter(
            Exists(StatusReport.objects.filter(project=here)),
            Exists(CostEntry.objects.filter(project=here)),
            Exists(Milestone.objects.filter(project=here)),
            Exists(Risk.objects.filter(project=here)),
        )
        .annotate(
            threatened=Exists(Risk.threatened_projects.through.objects.filter(project=here)),
            depends=Exists(ProjectDependency.objects.filter(successor=here)),
        )
        .order_by("-threatened", "-depends", "pk")
        .first()
    )
    if project is None:
        raise SystemExit(f"No in-progress project with reports and risks in {portfolio.code}.")
    return project


def pages(*, as_of: date) -> list[Page]:
    portfolio = scale_portfolio()
    project = scale_project(portfolio)
    period_start, _ = period_containing(portfolio.reporting_period, as_of)
    _, previous_end = previous_period(portfolio.reporting_period, period_start)
    overview = floor.overview_statements(as_of=as_of)
    dashboard = floor.dashboard_statements(
        portfolio_id=portfolio.pk, as_of=as_of, previous_as_of=previous_end
    )
    project_page = floor.project_statements(project_id=project.pk, as_of=as_of)
    mine = [portfolio.pk]
    return [
        Page(
            "overview",
            f"Portfolio overview ({Portfolio.objects.count()} portfolios, "
            f"{Project.objects.count():,} projects)",
            "/",
            overview,
            [agreement.Check("overview", overview[0], as_of)],
        ),
        Page(
            "dashboard",
            f"Portfolio dashboard {portfolio.code} ({portfolio.project_count:,} projects)",
            f"/portfolios/{portfolio.code}/",
            dashboard,
            [
                agreement.Check("dashboard", dashboard[0], as_of, portfolio_ids=mine),
                agreement.Check(
                    f"dashboard, previous period ({previous_end})",
                    dashboard[1],
                    previous_end,
                    portfolio_ids=mine,
                ),
            ],
        ),
        Page(
            "project",
            f"Project page {project.code} (pk {project.pk})",
            f"/projects/{project.pk}/",
            project_page,
            [agreement.Check("project", project_page[0], as_of, project_id=project.pk)],
        ),
    ]


class PageError(Exception):
    pass


def get(client: Client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        location = response.get("Location", "")
        raise PageError(f"HTTP {response.status_code} {location}".strip())
    return response


@contextmanager
def no_query_log():
    """With DEBUG on, every cursor records its SQL in connection.queries; timed runs turn
    that off (DEBUG is read per cursor) so the log's cost is not measured."""
    with override_settings(DEBUG=False):
        yield


def _timed(function, *args):
    started = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - started, value


def measure(client: Client, page: Page, *, repeat: int, warmups: int = 2) -> Measurement:
    """Time the page and its floor alternately, so both see the same load on the machine;
    then count the page's queries once. The page is computed each time (KPI cache off): that is
    what the floor bounds. Then the same page with the cache on, as a repeat reader gets it. A
    failing page or floor is reported, not raised: pages change while they are rebuilt."""
    result = Measurement(page)
    errors = {}
    with override_settings(KPI_CACHE=False), no_query_log():
        for run in range(warmups + repeat):
            if "page" not in errors:
                try:
                    elapsed, response = _timed(get, client, page.url)
                except Exception as error:
                    errors["page"] = error
                else:
                    result.size = len(response.content)
                    if run >= warmups:
                        result.timings.append(elapsed)
            if "floor" not in errors:
                try:
                    elapsed, _ = _timed(floor.run, page.statements)
                except Exception as error:
                    errors["floor"] = error
                    connection.close()  # a failed statement leaves the transaction aborted
                else:
                    if run >= warmups:
                        result.floor_timings.append(elapsed)
    if "page" not in errors:
        try:
            with override_settings(KPI_CACHE=False):
                result.queries = count_queries(client, page.url)
            with override_settings(KPI_CACHE=True), no_query_log():
                get(client, page.url)
                result.cached_timings = [_timed(get, client, page.url)[0] for _ in range(repeat)]
        except Exception as error:
            errors["page"] = error
    result.error = "; ".join(
        f"{what} {type(error).__name__}: {str(error)[:200]}" for what, error in errors.items()
    )
    return result


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        get(client, url)
    return len(captured.captured_queries)


# --- Where the time goes --------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    total_ms: float
    sql_ms: float  # inside cursor.execute: the database's work and the transfer of the rows
    fetch_ms: float  # inside cursor.fetch*: psycopg2 turning rows into Python objects
    template_ms: float  # rendering templates (the outermost render)
    queries: int

    @property
    def python_ms(self) -> float:
        """Everything else: views, selectors, ORM, EVM, charts, middleware."""
        return self.total_ms - self.sql_ms - self.fetch_ms - self.template_ms


class Stopwatch:
    """While active, adds up the time spent in SQL (a connection.execute_wrapper), in fetching
    rows (CursorWrapper's fetch methods) and in rendering templates (the outermost
    Template.render: included templates render inside it)."""

    FETCH_METHODS = frozenset({"fetchone", "fetchmany", "fetchall"})

    def __init__(self):
        self.sql = self.fetch = self.templates = 0.0
        self.queries = self._depth = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql += time.perf_counter() - started
            self.queries += 1

    def _timed_fetch(self, method):
        def fetch(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.fetch += time.perf_counter() - started

        return fetch

    def _timed_render(self, render):
        def timed(template, context):
            self._depth += 1
            started = time.perf_counter()
            try:
                return render(template, context)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.templates += time.perf_counter() - started

        return timed

    @contextmanager
    def active(self):
        original_render = template_base.Template.render
        original_getattr = CursorWrapper.__getattr__

        def getattr_(wrapper, name):
            value = original_getattr(wrapper, name)
            return self._timed_fetch(value) if name in self.FETCH_METHODS else value

        template_base.Template.render = self._timed_render(original_render)
        CursorWrapper.__getattr__ = getattr_
        try:
            with connection.execute_wrapper(self):
                yield self
        finally:
            template_base.Template.render = original_render
            CursorWrapper.__getattr__ = original_getattr


def breakdown(client: Client, url: str, *, repeat: int = 3) -> Breakdown:
    """Median split of one page's server time into SQL, template rendering and the rest."""
    samples = []
    for _ in range(repeat):
        with override_settings(KPI_CACHE=False), no_query_log(), Stopwatch().active() as stopwatch:
            started = time.perf_counter()
            get(client, url)
            total = time.perf_counter() - started
        samples.append(
            Breakdown(
                total_ms=total * 1000,
                sql_ms=stopwatch.sql * 1000,
                fetch_ms=stopwatch.fetch * 1000,
                template_ms=stopwatch.templates * 1000,
                queries=stopwatch.queries,
            )
        )
    samples.sort(key=lambda sample: sample.total_ms)
    return samples[len(samples) // 2]


def profile(client: Client, url: str, *, lines: int = 25) -> str:
    """cProfile of one request: the top functions by cumulative and by own time."""
    profiler = cProfile.Profile()
    with override_settings(KPI_CACHE=False), no_query_log():
        profiler.enable()
        get(client, url)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(lines)
    stats.sort_stats("tottime").print_stats(lines)
    return out.getvalue()
