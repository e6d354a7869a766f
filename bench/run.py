"""`python -m bench.run`: time the overview, a 1,000-project portfolio dashboard and a project
page against their raw SQL floor, on the database in DATABASE_URL (PostgreSQL, with
`seed_scale` data). `make bench` prepares that database and runs this; docs/performance.md
explains the figures.

    python -m bench.run [--repeat 15] [--pages overview,dashboard,project]
                        [--small-database-url URL] [--profile PAGE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings

import django

PAGES = ("overview", "dashboard", "project")
MAX_HTML_BYTES = 1_000_000  # "no page over 1 MB of HTML"
# Issue 15's targets: (factor, allowance ms) of each page's raw SQL floor.
TARGETS = {"overview": (1.5, 0), "dashboard": (1.5, 0), "project": (2, 20)}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page")
    parser.add_argument("--warmups", type=int, default=2, help="untimed requests first")
    parser.add_argument(
        "--pages",
        type=lambda value: [p.strip() for p in value.split(",") if p.strip()],
        default=list(PAGES),
        help="comma-separated: overview,dashboard,project",
    )
    parser.add_argument(
        "--small-database-url",
        help="a database with `seed_scale --projects 100`: its query counts are compared",
    )
    parser.add_argument("--profile", choices=PAGES, help="print a cProfile of this page")
    parser.add_argument("--no-analyze", action="store_true", help="skip VACUUM ANALYZE")
    parser.add_argument(
        "--queries-only", action="store_true", help="print the query counts as JSON and stop"
    )
    parser.add_argument(
        "--scale-point",
        metavar="URL",
        help="only the scale point: overview and review on DATABASE_URL and on URL (e.g. "
        "10,000 and 50,000 projects), with their ratios and peak RSS",
    )
    parser.add_argument("--scale-child", choices=("overview", "review"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = set(args.pages) - set(PAGES)
    if unknown:
        parser.error(f"unknown page(s): {', '.join(sorted(unknown))}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def setup_django():
    sys.path.insert(0, os.getcwd())
    # whitenoise looks for collected static files, which in-process requests do not need
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench: DATABASE_URL must point at PostgreSQL (the floor is PostgreSQL).")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.scale_point:
        return scale_point(os.environ["DATABASE_URL"], args.scale_point)
    setup_django()
    if args.scale_child:
        print(json.dumps(SCALE_CHILDREN[args.scale_child]()))
        return 0
    from django.utils import timezone

    from bench import pages as bench_pages

    as_of = timezone.localdate()
    targets = [page for page in bench_pages.pages(as_of=as_of) if page.key in args.pages]
    client = bench_pages.client_for(bench_pages.bench_user())

    if args.queries_only:
        counts = {}
        for page in targets:
            try:
                counts[page.key] = bench_pages.count_queries(client, page.url)
            except Exception as error:
                counts[page.key] = f"{type(error).__name__}: {error}"[:100]
        from projects.models import Project

        print(json.dumps({"projects": Project.objects.count(), "queries": counts}))
        return 0

    if not args.no_analyze:
        vacuum_analyze()
    print_header(as_of)
    small = small_scale_counts(args.small_database_url, args.pages)
    measurements = []
    for page in targets:
        print(f"… {page.label}: {page.url}", flush=True)
        measurements.append(
            bench_pages.measure(client, page, repeat=args.repeat, warmups=args.warmups)
        )
    print()
    print_table(measurements, small, repeat=args.repeat, warmups=args.warmups)
    print()
    check_agreement(targets)
    print()
    print_breakdowns(client, targets)
    for page in targets:
        if page.key == args.profile:
            print(f"\ncProfile of {page.url}:\n")
            print(bench_pages.profile(client, page.url))
    return 0


def vacuum_analyze():
    """Fresh statistics and visibility maps, as a database in service has: right after
    seed_scale the planner would guess row counts and the timings would wander."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE: {time.perf_counter() - started:.1f}s")


def print_header(as_of):
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        [(version,)] = cursor.fetchall()
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    print(
        f"Slate bench {time.strftime('%Y-%m-%d %H:%M')} · today {as_of} · "
        f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · "
        f"Django {django.get_version()} · PostgreSQL {version} · DEBUG {settings.DEBUG} "
        f"(query log off while timing) · load {' '.join(f'{x:.2f}' for x in load)}"
    )


def small_scale_counts(url: str | None, pages: list[str]) -> dict:
    """Query counts of the same pages on a 100-project database, in a child process (the
    settings read DATABASE_URL once)."""
    if not url:
        return {}
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--queries-only", "--pages", ",".join(pages)],
        env={**os.environ, "DATABASE_URL": url, "KPI_CACHE": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(f"small-scale query counts failed:\n{result.stderr[-2000:]}")
        return {}
    return json.loads(result.stdout.strip().splitlines()[-1])


def print_table(measurements, small: dict, *, repeat: int, warmups: int):
    small_counts = small.get("queries", {})
    small_label = f"@{small['projects']}" if small else "@small"
    columns = (
        ("page", 11, "<"),
        ("median ms", 9, ">"),
        ("p90 ms", 8, ">"),
        ("queries", 7, ">"),
        (f"q {small_label}", 7, ">"),
        ("HTML KB", 8, ">"),
        ("floor ms", 8, ">"),
        ("page/floor", 10, ">"),
        ("limit ms", 8, ">"),
        ("target", 14, "<"),
        ("", 14, "<"),
        ("cached ms", 9, ">"),
    )
    header = row([name for name, _, _ in columns], columns)
    print(
        f"Median and p90 of {repeat} requests after {warmups} warm-ups (server time, in-process "
        "test client), computed each time (KPI cache off); floor: median of as many runs, "
        "alternating with the requests; cached: median with the KPI cache on (a repeat reader)."
    )
    print(header)
    print("-" * len(header))
    notes = []
    for m in measurements:
        verdict = target_verdict(m, small_counts.get(m.page.key))
        cells = (
            m.page.key,
            fmt(m.median_ms),
            fmt(m.p90_ms),
            fmt(m.queries),
            fmt(small_counts.get(m.page.key)),
            fmt(m.size / 1000 if m.size is not None else None, ".1f"),
            fmt(m.floor_ms, ".1f"),
            fmt(m.median_ms / m.floor_ms if m.median_ms and m.floor_ms else None, ".1f"),
            fmt(limit_ms(m), ".0f"),
            target_label(m.page.key),
            "holds" if not verdict else "does not hold",
            fmt(m.cached_ms),
        )
        print(row(cells, columns))
        notes += [f"{m.page.key}: {reason}" for reason in verdict]
        if m.error:
            notes.append(f"{m.page.key}: error {m.error}")
    print("-" * len(header))
    print(
        f"Target: same query count at {small['projects'] if small else 100} and 10,000 projects, "
        "median ≤ the page's target (× its floor, + ms), HTML ≤ 1 MB."
    )
    for m in measurements:
        print(f"  {m.page.key:<10} {m.page.label} — {m.page.url}")
    for note in notes:
        print(f"  ! {note}")


def row(cells, columns) -> str:
    return "  ".join(
        f"{cell:{align}{width}}" for cell, (_, width, align) in zip(cells, columns, strict=True)
    )


def target_label(key: str) -> str:
    factor, allowance = TARGETS[key]
    return f"≤ {factor:g}× floor" + (f" + {allowance} ms" if allowance else "")


def limit_ms(m) -> float | None:
    factor, allowance = TARGETS[m.page.key]
    return factor * m.floor_ms + allowance if m.floor_ms else None


def target_verdict(m, small_count) -> list[str]:
    """Why the target does not hold for this page (empty when it holds)."""
    if m.error and not m.timings:
        return ["not measured"]
    reasons = []
    if m.median_ms is not None and limit_ms(m) is not None and m.median_ms > limit_ms(m):
        reasons.append(f"{m.median_ms:.1f} ms > {limit_ms(m):.1f} ms allowed")
    if m.size is not None and m.size > MAX_HTML_BYTES:
        reasons.append(f"{m.size:,} bytes of HTML > 1 MB")
    if isinstance(small_count, int) and m.queries is not None and small_count != m.queries:
        reasons.append(f"{m.queries} queries at 10,000 projects vs {small_count} at small scale")
    return reasons


def fmt(value, spec: str = ".0f") -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return "err"
    return f"{value:{spec}}" if isinstance(value, float) else str(value)


def check_agreement(targets):
    """The floor must compute the application's figures: compare with reporting.kpis."""
    for page in targets:
        for check in page.checks:
            try:
                differences = check.differences()
            except Exception as error:
                print(f"floor agrees with kpis ({check.label}): error {type(error).__name__}")
                print(f"    {error}")
                continue
            print(f"floor agrees with kpis ({check.label}): {'no' if differences else 'yes'}")
            for difference in differences[:20]:
                print(f"    {difference}")


def print_breakdowns(client, targets):
    from bench import pages as bench_pages

    print(
        "Where the time goes (median of 3 requests): SQL = in cursor.execute (database and "
        "transfer), fetch = psycopg2 building Python rows, templates, other Python"
    )
    for page in targets:
        try:
            b = bench_pages.breakdown(client, page.url)
        except Exception as error:
            print(f"  {page.key:<10} error {type(error).__name__}: {error}")
            continue
        print(
            f"  {page.key:<10} {b.total_ms:5.0f} ms = SQL {b.sql_ms:4.0f} ms ({b.queries} queries)"
            f" + fetch {b.fetch_ms:4.0f} + templates {b.template_ms:4.0f}"
            f" + other Python {b.python_ms:4.0f} ms"
        )


# --- Scale point: the same overview and review at 10,000 and 50,000 projects ----------------

RSS_LIMIT_MB = 1024  # "both under 1 GB"
SCALE_REPEAT = 3


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _scale_overview() -> dict:
    """One process as a web worker serves the overview: median of 3 requests after one warm-up,
    the floor alike, and the process's peak RSS."""
    import statistics

    from django.utils import timezone

    from bench import floor
    from bench import pages as bench_pages
    from projects.models import Project

    vacuum_analyze()  # fresh statistics, as for the pages
    as_of = timezone.localdate()
    client = bench_pages.client_for(bench_pages.bench_user())
    bench_pages.get(client, "/")
    times, floors = [], []
    statements = floor.overview_statements(as_of=as_of)
    with bench_pages.no_query_log():
        for _ in range(SCALE_REPEAT):
            started = time.perf_counter()
            bench_pages.get(client, "/")
            times.append(time.perf_counter() - started)
            started = time.perf_counter()
            floor.run(statements)
            floors.append(time.perf_counter() - started)
    return {
        "projects": Project.objects.count(),
        "ms": statistics.median(times) * 1000,
        "floor_ms": statistics.median(floors) * 1000,
        "rss_mb": _peak_rss_mb(),
    }


def _scale_review() -> dict:
    """The monthly review of every portfolio (rolled back), as the worker runs it, its floor,
    and the process's peak RSS."""
    from django.db import connection, transaction
    from django.utils import timezone

    from bench import floor
    from bench.jobs import SNAPSHOT_FLOOR
    from core.months import add_months, month_end
    from portfolio.models import Portfolio
    from reporting import services
    from reporting.models import PortfolioReview

    period = add_months(timezone.localdate(), -1)
    period_end = month_end(period)

    class RollBack(Exception):
        pass

    started = time.perf_counter()
    try:
        with transaction.atomic():
            PortfolioReview.objects.filter(kind="monthly", period_start=period).delete()
            for portfolio in Portfolio.objects.order_by("code"):
                services.run_review(portfolio=portfolio, kind="monthly", period=period)
            raise RollBack
    except RollBack:
        pass
    app = time.perf_counter() - started
    started = time.perf_counter()
    with transaction.atomic():
        floor.run(floor.overview_statements(as_of=period_end))
        sql = SNAPSHOT_FLOOR.format(project_kpis=floor.PROJECT_KPIS.format(in_scope=floor.ALL))
        with connection.connection.cursor() as cursor:
            cursor.execute(sql, {"as_of": period_end})
    return {
        "ms": app * 1000,
        "floor_ms": (time.perf_counter() - started) * 1000,
        "rss_mb": _peak_rss_mb(),
    }


SCALE_CHILDREN = {"overview": _scale_overview, "review": _scale_review}


def _child(kind: str, url: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--scale-child", kind],
        env={**os.environ, "DATABASE_URL": url, "KPI_CACHE": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"scale point ({kind}) failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def scale_point(small_url: str, large_url: str) -> int:
    """Overview and review at two scales, each in its own process (so its peak RSS is its
    own): times, ratio to the floor, growth from the smaller scale and peak RSS."""
    print(f"Scale point · load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = {}
    for url in (small_url, large_url):
        overview = _child("overview", url)
        review = _child("review", url)
        results[url] = (overview, review)
    (small_overview, small_review), (large_overview, large_review) = results.values()
    growth = large_overview["projects"] / small_overview["projects"]
    small_label, large_label = (f"{o['projects']:,} pr." for o in (small_overview, large_overview))
    print(f"{'measure':<34}{small_label:>12}{large_label:>12}{'growth':>9}  target")
    all_hold = True
    for label, small, large in (
        ("overview ms", small_overview, large_overview),
        ("monthly review, all portfolios ms", small_review, large_review),
    ):
        ratio = large["ms"] / small["ms"]
        holds = ratio <= growth * 1.1 and large["rss_mb"] < RSS_LIMIT_MB
        all_hold &= holds
        print(
            f"{label:<34}{small['ms']:>12.0f}{large['ms']:>12.0f}{ratio:>8.1f}×  "
            f"≤ {growth:.0f}× (linear): {'holds' if ratio <= growth * 1.1 else 'does not hold'}"
        )
        print(
            f"{'  its floor ms':<34}{small['floor_ms']:>12.0f}{large['floor_ms']:>12.0f}"
            f"{large['floor_ms'] / small['floor_ms']:>8.1f}×"
        )
        print(
            f"{'  page/floor':<34}{small['ms'] / small['floor_ms']:>12.2f}"
            f"{large['ms'] / large['floor_ms']:>12.2f}"
        )
        print(
            f"{'  peak RSS of the process MB':<34}{small['rss_mb']:>12.0f}{large['rss_mb']:>12.0f}"
            f"{'':>9}  < {RSS_LIMIT_MB} MB: "
            f"{'holds' if large['rss_mb'] < RSS_LIMIT_MB else 'does not hold'}"
        )
    print(
        f"projects: {small_overview['projects']:,} and {large_overview['projects']:,} "
        f"({growth:.1f}×); linear allows 10 % over the growth in projects"
    )
    return 0 if all_hold else 1


if __name__ == "__main__":
    sys.exit(main())
