"""`python -m bench.jobs`: the background and capacity work at PMO scale, each beside
the raw SQL that computes the same figures (its floor):

- the monthly review of every portfolio (target: under 30 s, within 3× the floor);
- the capacity heat map, 2,000 people × 24 months × 50,000 allocations (target: under 1 s
  server time, constant queries).

Run on the `make bench` database (DATABASE_URL, PostgreSQL with `seed_scale` data)."""

from __future__ import annotations

import argparse
import statistics
import time

from bench.run import setup_django

REVIEW_FACTOR, HEAT_MAP_LIMIT_S = 2, 1.0  # issue 15: the review ≤ 2× its floor

# Every project's KPIs written as one row each (what the review stores as snapshots), plus
# the per-portfolio rollup: the review's work in one statement per step.
SNAPSHOT_FLOOR = """
CREATE TEMP TABLE bench_snapshots ON COMMIT DROP AS
WITH {project_kpis} SELECT * FROM project_kpis
"""

CAPACITY_FLOOR = """
WITH months AS (
    SELECT generate_series(%(first)s::date, %(last)s::date, interval '1 month')::date AS m
), days AS (
    SELECT d::date AS d FROM generate_series(
        %(first)s::date, (%(last)s::date + interval '1 month - 1 day'), interval '1 day') d
    WHERE extract(isodow FROM d) < 6
), calendar_days AS (
    SELECT c.id AS calendar_id, c.hours_per_day, days.d FROM resources_calendar c, days
    WHERE NOT EXISTS (SELECT 1 FROM resources_publicholiday h
                      WHERE h.calendar_id = c.id AND h.date = days.d)
), person_days AS (
    SELECT r.id, r.role_id, r.fte * cd.hours_per_day AS day_hours,
           date_trunc('month', cd.d)::date AS m, cd.d
    FROM resources_resource r JOIN calendar_days cd ON cd.calendar_id = r.calendar_id
    WHERE cd.d >= r.start_date AND (r.end_date IS NULL OR cd.d <= r.end_date)
), base AS (
    SELECT role_id, m, sum(day_hours) AS hours FROM person_days GROUP BY 1, 2
), leave AS (
    SELECT pd.role_id, pd.m,
           sum(LEAST(COALESCE(a.hours_per_day, pd.day_hours), pd.day_hours)) AS hours
    FROM person_days pd JOIN resources_capacityadjustment a
         ON a.resource_id = pd.id AND pd.d BETWEEN a.start_date AND a.end_date
    GROUP BY 1, 2
), capacity AS (
    SELECT base.role_id, base.m, base.hours - COALESCE(leave.hours, 0) AS hours
    FROM base LEFT JOIN leave USING (role_id, m)
), standard AS (
    SELECT calendar_id, date_trunc('month', d)::date AS m, sum(hours_per_day) AS hours
    FROM calendar_days GROUP BY 1, 2
), demand AS (
    SELECT al.role_id, months.m, al.status,
           sum(CASE WHEN al.unit = 'hours' THEN al.amount
                    ELSE al.amount * COALESCE(s.hours, 8 * 21) END) AS hours
    FROM resources_allocation al
    JOIN months ON months.m BETWEEN al.start_month AND al.end_month
    LEFT JOIN resources_resource r ON r.id = al.resource_id
    LEFT JOIN standard s ON s.calendar_id = r.calendar_id AND s.m = months.m
    WHERE al.status <> 'rejected'
    GROUP BY 1, 2, 3
)
SELECT role.id, months.m, COALESCE(c.hours, 0) AS capacity,
       COALESCE(sum(d.hours) FILTER (WHERE d.status = 'confirmed'), 0) AS confirmed,
       COALESCE(sum(d.hours) FILTER (WHERE d.status = 'requested'), 0) AS requested
FROM resources_role role CROSS JOIN months
LEFT JOIN capacity c ON c.role_id = role.id AND c.m = months.m
LEFT JOIN demand d ON d.role_id = role.id AND d.m = months.m
GROUP BY role.id, months.m, c.hours
ORDER BY role.id, months.m
"""


def timed(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def bench_review(repeat: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from bench import floor
    from core.months import add_months, month_end
    from portfolio.models import Portfolio
    from reporting import services
    from reporting.models import PortfolioReview

    today = timezone.localdate()
    period = add_months(today, -1)
    period_end = month_end(period)
    portfolios = list(Portfolio.objects.order_by("code"))

    class RollBack(Exception):
        pass

    def review_all():
        # Each run inside a transaction rolled back at the end: every run computes afresh.
        try:
            with transaction.atomic():
                PortfolioReview.objects.filter(kind="monthly", period_start=period).delete()
                for portfolio in portfolios:
                    services.run_review(portfolio=portfolio, kind="monthly", period=period)
                raise RollBack
        except RollBack:
            pass

    def floor_all():
        with transaction.atomic():
            statement = floor.overview_statements(as_of=period_end)[0]
            floor.run([statement])
            sql = SNAPSHOT_FLOOR.format(project_kpis=floor.PROJECT_KPIS.format(in_scope=floor.ALL))
            with connection.connection.cursor() as cursor:
                cursor.execute(sql, {"as_of": period_end})

    app, _ = timed(review_all, repeat)
    sql, _ = timed(floor_all, repeat)
    ratio = app / sql if sql else float("inf")
    holds = app < 30 and ratio <= REVIEW_FACTOR
    print(
        f"monthly review, {len(portfolios)} portfolios ({period:%Y-%m}): {app:.2f} s · floor "
        f"{sql:.2f} s · ratio {ratio:.1f}× · target < 30 s and ≤ {REVIEW_FACTOR}× floor: "
        f"{'holds' if holds else 'does not hold'}"
    )


def bench_heat_map(repeat: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from bench import pages as bench_pages
    from core.months import add_months

    client = bench_pages.client_for(bench_pages.bench_user())
    first = timezone.localdate().replace(day=1)
    url = f"/resources/capacity/?from={first:%Y-%m}&months=24"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    queries = bench_pages.count_queries(client, url)
    with bench_pages.no_query_log():
        app, _ = timed(lambda: client.get(url), repeat)
    params = {"first": first, "last": add_months(first, 23)}

    def floor_run():
        with connection.connection.cursor() as cursor:
            cursor.execute(CAPACITY_FLOOR, params)
            return cursor.fetchall()

    sql, rows = timed(floor_run, repeat)
    print(
        f"capacity heat map, 24 months: {app * 1000:.0f} ms · {queries} queries · "
        f"{len(response.content) / 1024:.0f} KiB · floor {sql * 1000:.0f} ms ({len(rows)} cells) · "
        f"ratio {app / sql:.1f}× · target < {HEAT_MAP_LIMIT_S:.0f} s: "
        f"{'holds' if app < HEAT_MAP_LIMIT_S else 'does not hold'}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.jobs", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    setup_django()
    bench_review(args.repeat)
    bench_heat_map(max(args.repeat, 5))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
