"""`python -m bench.loadtest --users 50 --runtime 60s` (DATABASE_URL: PostgreSQL holding
`seed_scale`'s data; `make loadtest USERS=50 RUNTIME=60s` seeds it first).

1. Prepares the users on the database: executives `load-exec-NN` (executive of every scale
   portfolio, so the overview covers all 10,000 projects) and the managers of scale projects,
   all with one password; a draft status report for the current period on each manager's
   projects, and the version each draft is at.
2. Collects the static files and starts gunicorn (`--workers`, default 3) with DEBUG=0 on
   127.0.0.1 only, with the project's settings (persistent connections: CONN_MAX_AGE, unless
   `--conn-max-age` says otherwise).
3. Runs bench/locustfile.py headless: users spawned evenly over `--ramp` (each logs in once
   when spawned, so password hashing is spread over the ramp), then reading and writing with
   5–15 s of think time for `--runtime` more; locust's statistics restart when the ramp ends.
4. Prints p50/p95/p99 per page over the `--runtime` after the ramp (locust's own figures:
   exact under 100 ms, then rounded to two significant digits), requests per second and errors,
   the logins' times over the ramp, against the targets of issue 15, and
   counts the writes in the database: every cost entry the server answered "saved" is a row,
   every draft save it answered "saved" is one version more; a stale version is answered 409.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-2026"
TARGETS_MS = [(50, 1500), (100, 3000)]  # p95 at up to this many users
PAGES = ["overview", "dashboard", "project", "costs", "costs: add", "report", "report: save draft"]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--runtime", default="60s", help="measured time after the ramp: 60s, 5m, 90 (seconds)"
    )
    parser.add_argument(
        "--ramp", type=float, default=30, help="seconds to spawn every user (each logs in once)"
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--conn-max-age", help="CONN_MAX_AGE for gunicorn (default: settings')")
    parser.add_argument("--managers", type=int, default=20, help="project managers' logins")
    parser.add_argument("--no-collectstatic", action="store_true")
    parser.add_argument("--out", default=str(BASE_DIR / "var" / "loadtest"))
    return parser.parse_args(argv)


def prepare(managers: int) -> tuple[dict, dict]:
    """The plan handed to locust and the database's state before the run."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.urls import reverse
    from django.utils import timezone

    from demo.scale import PREFIX
    from portfolio.models import Portfolio, PortfolioMembership
    from projects import selectors, services
    from projects.models import Project

    portfolios = list(Portfolio.objects.filter(code__startswith=PREFIX).order_by("code"))
    if not portfolios:
        raise SystemExit("loadtest: no scale data; run `manage.py seed_scale` first")
    User = get_user_model()
    hashed = make_password(PASSWORD)  # one hash for all: preparing costs one hashing
    executives = []
    for i in range(1, 26):
        user, _ = User.objects.update_or_create(
            username=f"load-exec-{i:02d}",
            defaults={"password": hashed, "first_name": "Load", "last_name": f"Executive {i}"},
        )
        executives.append(user.username)
        for portfolio in portfolios:
            PortfolioMembership.objects.get_or_create(
                user=user, portfolio=portfolio, defaults={"role": "executive"}
            )
    today = timezone.localdate()
    by_manager: dict[int, list] = {}
    for project in (
        Project.objects.filter(portfolio__in=portfolios, stage="in_progress", manager__isnull=False)
        .select_related("portfolio", "manager")
        .order_by("manager__username", "code")
    ):
        chosen = by_manager.setdefault(project.manager_id, [])
        if len(chosen) >= 3:
            continue
        report = selectors.status_report_for_period(project=project, day=today)
        if report.is_submitted:
            continue
        if report.pk is None:
            report = services.status_report_save(
                report=report, data={}, expected_version=None, by=project.manager
            )
        chosen.append((project, report))
        if sum(len(v) == 3 for v in by_manager.values()) >= managers:
            break
    plan_managers, versions = [], {}
    for entries in by_manager.values():
        if len(entries) < 3:
            continue
        manager = entries[0][0].manager
        manager.password = hashed
        manager.save(update_fields=["password"])
        plan_managers.append(
            {
                "username": manager.username,
                "projects": [
                    {
                        "pk": project.pk,
                        "report": report.pk,
                        "report_url": reverse(
                            "projects:report", args=[project.pk, report.period_start.isoformat()]
                        ),
                    }
                    for project, report in entries
                ],
            }
        )
        versions.update({str(report.pk): report.version for _, report in entries})
    sample = list(
        Project.objects.filter(portfolio__in=portfolios, stage="in_progress")
        .order_by("pk")
        .values_list("pk", flat=True)[::20][:300]
    )
    marker = f"loadtest-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    plan = {
        "password": PASSWORD,
        "marker": marker,
        "executives": executives,
        "portfolios": [p.code for p in portfolios],
        "projects": sample,
        "managers": plan_managers,
    }
    return plan, {"versions": versions}


def server_env(args) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DEBUG", "STATIC_HASHED")}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        # Plain HTTP on loopback: no HTTPS redirect, cookies without the Secure flag.
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        # Many logins from one address within minutes: not an attack here.
        AXES_FAILURE_LIMIT="1000",
    )
    if args.conn_max_age is not None:
        env["CONN_MAX_AGE"] = args.conn_max_age
    return env


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise SystemExit(f"loadtest: gunicorn did not answer {url}")


def percentile(values: list[float], pct: float) -> float:
    """Nearest rank, as bench/pages.py: the smallest value with `pct` % of values ≤ it."""
    ordered = sorted(values)
    return ordered[int(max(1, -(-len(ordered) * pct // 100))) - 1]


def seconds_of(duration: str) -> float:
    """'90', '90s', '5m', '1h' in seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    if duration[-1] in units:
        return float(duration[:-1]) * units[duration[-1]]
    return float(duration)


def read_stats(path: Path) -> dict[str, dict]:
    with path.open() as stats:
        return {row["Name"]: row for row in csv.DictReader(stats)}


def report(args, stats: dict, checks: dict, seconds: float) -> tuple[str, bool]:
    target = next((ms for users, ms in TARGETS_MS if args.users <= users), None)
    lines = [
        f"Load test: {args.users} users ({checks['executives']} executives, "
        f"{checks['managers']} project managers), ramp {args.ramp:.0f} s, run {args.runtime}, "
        f"gunicorn {args.workers} workers, DEBUG=0, loopback",
        "",
        f"{'page':<20}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}  target p95",
        "-" * 90,
    ]
    holds = True
    for name in PAGES:
        row = stats.get(name)
        if row is None:
            continue
        p95 = float(row["95%"])
        errors = int(row["Failure Count"])
        verdict = ""
        if target is not None:
            ok = p95 < target and errors == 0
            holds &= ok
            verdict = f"< {target} ms: {'holds' if ok else 'does not hold'}"
        lines.append(
            f"{name:<20}{row['Request Count']:>9}{errors:>8}{float(row['50%']):>9.0f}"
            f"{p95:>9.0f}{float(row['99%']):>9.0f}{float(row['Max Response Time']):>9.0f}"
            f"  {verdict}"
        )
    total = stats["Aggregated"]
    pages = sum(
        int(stats[name]["Request Count"])
        for name in ("overview", "dashboard", "project")
        if name in stats
    )
    errors = int(total["Failure Count"])
    holds &= errors == 0 and checks["lost"] == 0 and not checks["reports_off"]
    logins = sorted(checks["login_ms"])
    if logins:
        lines.append(
            f"{'login (ramp)':<20}{len(logins):>9}{checks['login_errors']:>8}"
            f"{percentile(logins, 50):>9.0f}{percentile(logins, 95):>9.0f}"
            f"{percentile(logins, 99):>9.0f}{logins[-1]:>9.0f}  login form + POST, once a user"
        )
    holds &= checks["login_errors"] == 0
    lines += [
        "-" * 90,
        f"after the ramp: {total['Request Count']} requests in {seconds:.0f} s = "
        f"{float(total['Requests/s']):.2f} requests/s; executive page requests "
        f"{pages / seconds:.2f}/s; errors {errors}",
        f"writes: {checks['costs_saved']} cost entries answered saved, {checks['cost_rows']} rows "
        f"in the database; {checks['drafts_saved']} draft saves answered saved, "
        f"{checks['versions_gained']} versions gained; {checks['drafts_conflict']} stale saves "
        f"answered 409; lost writes: {checks['lost']}; reports whose versions differ from "
        f"their saves: {len(checks['reports_off'])}",
        f"target (issue 15): p95 < 1.5 s at 50 users, < 3 s at 100 users, 0 errors, 0 lost "
        f"writes: {'holds' if holds else 'does not hold'}",
    ]
    return "\n".join(lines), holds


def check_writes(plan: dict, before: dict, ledger: dict) -> dict:
    from projects.models import CostEntry, StatusReport

    rows = CostEntry.objects.filter(description__startswith=plan["marker"]).count()
    after = dict(
        StatusReport.objects.filter(pk__in=[int(pk) for pk in before["versions"]]).values_list(
            "pk", "version"
        )
    )
    gained = sum(after[int(pk)] - version for pk, version in before["versions"].items())
    saves = sum(ledger["drafts_saved"].values())
    per_report = [
        pk
        for pk, version in before["versions"].items()
        if after[int(pk)] - version != ledger["drafts_saved"].get(pk, 0)
    ]
    return {
        "executives": 0,
        "managers": 0,
        "costs_saved": ledger["costs_saved"],
        "cost_rows": rows,
        "drafts_saved": saves,
        "versions_gained": gained,
        "drafts_conflict": ledger["drafts_conflict"],
        "draft_errors": ledger["draft_errors"] + ledger["cost_errors"],
        "reports_off": per_report,
        "login_ms": ledger["login_ms"],
        "login_errors": ledger["login_errors"],
        # Answered "saved" but not in the database; a report whose versions differ from its
        # saves is listed in reports_off (more versions than saves would be a phantom write).
        "lost": max(0, ledger["costs_saved"] - rows) + max(0, saves - gained),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("loadtest: set DATABASE_URL to the PostgreSQL database to load")
    django.setup()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plan, before = prepare(args.managers)
    stamp = plan["marker"]
    plan_path, ledger_path = out / f"{stamp}-plan.json", out / f"{stamp}-ledger.json"
    plan_path.write_text(json.dumps(plan))
    env = server_env(args)
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    if not args.no_collectstatic:
        subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], env=env, check=True)
    url = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers),
            "--timeout", "120", "--log-level", "warning",
        ],
        cwd=BASE_DIR,
        env=env,
    )  # fmt: skip
    try:
        wait_until_up(f"{url}/login/")
        log = (out / f"{stamp}-locust.log").open("w")  # locust's own summary and errors
        subprocess.run(
            [
                sys.executable, "-m", "locust", "-f", str(BASE_DIR / "bench" / "locustfile.py"),
                "--headless", "--users", str(args.users),
                "--spawn-rate", f"{args.users / args.ramp:.3f}", "--reset-stats",
                "--run-time", f"{round(args.ramp + seconds_of(args.runtime))}s",
                "--host", url, "--csv", str(out / stamp), "--only-summary",
                "--stop-timeout", "30", "--loglevel", "WARNING",
            ],
            cwd=BASE_DIR,
            env={**os.environ, "LOADTEST_PLAN": str(plan_path),
                 "LOADTEST_LEDGER": str(ledger_path)},
            stdout=log, stderr=subprocess.STDOUT,
            check=False,
        )  # fmt: skip
        seconds = seconds_of(args.runtime)  # locust's figures cover the time after the ramp
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    log.close()
    ledger = json.loads(ledger_path.read_text())
    checks = check_writes(plan, before, ledger)
    checks["executives"] = round(args.users * 4 / 5)
    checks["managers"] = args.users - checks["executives"]
    text, holds = report(args, read_stats(out / f"{stamp}_stats.csv"), checks, seconds)
    print(text)
    (out / f"{stamp}-result.txt").write_text(text + "\n")
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main())
