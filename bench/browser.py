"""`python -m bench.browser` (DATABASE_URL: PostgreSQL with `seed_scale`'s data; the last step
of `make bench`): the dashboard and the project page in the system Chromium (Playwright), served
as in production — gunicorn with DEBUG=0 and whitenoise serving the collected, hashed,
compressed static files — and as `make demo` serves them (runserver, DEBUG on,
STATIC_HASHED=1), both on 127.0.0.1.

Per page: cold (a fresh browser context — empty cache — holding only the session cookie) and
warm (the same page opened again in that context), `--repeat` times each, medians of:
first paint and first contentful paint (the Paint Timing API), DOMContentLoaded, load, the
moment every chart is drawn (each chart div holds Plotly's SVG), all from navigation start,
and the bytes transferred (Resource Timing's transferSize: what crossed the network,
compressed, 0 for a file served from the cache). Targets (issue 15): first paint < 1.5 s cold
and < 0.5 s on repeat."""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
from pathlib import Path

import django

from bench.loadtest import BASE_DIR, server_env, wait_until_up

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [  # as tests/browser/conftest.py
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USERNAME, PASSWORD = "bench-browser", "bench-browser-2026"
FIRST_PAINT_MS, REPEAT_MS = 1500, 500
METRICS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const paint = Object.fromEntries(
    performance.getEntriesByType("paint").map((e) => [e.name, e.startTime]));
  const bytes = [nav, ...performance.getEntriesByType("resource")]
    .reduce((sum, e) => sum + (e.transferSize || 0), 0);
  return {
    first_paint: paint["first-paint"], fcp: paint["first-contentful-paint"],
    dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, bytes: bytes,
    ttfb: nav.responseStart,
  };
}"""
CHARTS_DRAWN = """() => {
  const charts = document.querySelectorAll("script[data-chart]").length;
  return document.querySelectorAll(".js-plotly-plot .main-svg").length >= charts;
}"""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="cold and warm loads per page")
    parser.add_argument(
        "--servers",
        default="gunicorn,demo",
        help="gunicorn (production: DEBUG=0) and/or demo (runserver, DEBUG on, hashed static)",
    )
    parser.add_argument("--port", type=int, default=8775)
    parser.add_argument("--no-collectstatic", action="store_true")
    return parser.parse_args(argv)


def prepare() -> list[tuple[str, str]]:
    """The bench's user (a superuser with a password) and the pages to open."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from bench.pages import scale_portfolio, scale_project

    User = get_user_model()
    user = User.objects.filter(username=USERNAME).first() or User(username=USERNAME)
    user.is_superuser = user.is_staff = True
    user.set_password(PASSWORD)
    user.save()
    portfolio = scale_portfolio()
    project = scale_project(portfolio)
    dashboard = reverse("portfolio:detail", args=[portfolio.code])
    project_page = reverse("projects:detail", args=[project.pk])
    return [
        ("dashboard", f"Portfolio dashboard {portfolio.code} — {dashboard}", dashboard),
        ("project", f"Project page {project.code} — {project_page}", project_page),
    ]


def start(kind: str, port: int, env: dict) -> subprocess.Popen:
    if kind == "gunicorn":
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "3", "--log-level", "warning",
        ]  # fmt: skip
    else:
        env = {**env, "DEBUG": "1", "STATIC_HASHED": "1"}
        command = [
            sys.executable, str(BASE_DIR / "manage.py"), "runserver", "--noreload",
            f"127.0.0.1:{port}",
        ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def measure(browser, base: str, state: dict, url: str, repeat: int) -> dict[str, list[dict]]:
    runs: dict[str, list[dict]] = {"cold": [], "warm": []}
    for _ in range(repeat):
        context = browser.new_context(storage_state=state, viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            for kind in ("cold", "warm"):
                page.goto(f"{base}{url}", wait_until="load", timeout=120_000)
                page.wait_for_function(CHARTS_DRAWN, timeout=120_000)
                charts = page.evaluate("() => performance.now()")
                runs[kind].append({**page.evaluate(METRICS), "charts": charts})
        finally:
            context.close()
    return runs


def median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] or 0 for run in runs)


def table(server: str, results: list[tuple[str, str, dict]]) -> tuple[str, bool]:
    lines = [
        f"{'page':<10}{'load':<6}{'TTFB':>7}{'paint':>8}{'FCP':>8}{'DCL':>8}{'load':>8}"
        f"{'charts':>8}{'KB':>8}  target",
        "-" * 92,
    ]
    holds = True
    for key, _label, runs in results:
        for kind in ("cold", "warm"):
            paint = median(runs[kind], "first_paint")
            limit = FIRST_PAINT_MS if kind == "cold" else REPEAT_MS
            ok = paint < limit
            holds &= ok
            lines.append(
                f"{key:<10}{kind:<6}{median(runs[kind], 'ttfb'):>7.0f}{paint:>8.0f}"
                f"{median(runs[kind], 'fcp'):>8.0f}{median(runs[kind], 'dcl'):>8.0f}"
                f"{median(runs[kind], 'load'):>8.0f}{median(runs[kind], 'charts'):>8.0f}"
                f"{median(runs[kind], 'bytes') / 1024:>8.0f}  first paint < {limit} ms: "
                f"{'holds' if ok else 'does not hold'}"
            )
    return "\n".join([f"Browser ({server})", *lines]), holds


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM only before Playwright
    django.setup()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"bench.browser: no Chromium at {CHROMIUM}")
    targets = prepare()
    from playwright.sync_api import sync_playwright

    env = server_env(argparse.Namespace(conn_max_age=None))
    if not args.no_collectstatic:
        manage = [sys.executable, str(BASE_DIR / "manage.py")]
        subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], env=env, check=True)
    output, all_hold = [], True
    for server in [s.strip() for s in args.servers.split(",") if s.strip()]:
        process = start(server, args.port, env)
        base = f"http://127.0.0.1:{args.port}"
        try:
            wait_until_up(f"{base}/login/", seconds=120)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    login = browser.new_context()
                    page = login.new_page()
                    page.goto(f"{base}/login/")
                    page.fill("#id_username", USERNAME)
                    page.fill("#id_password", PASSWORD)
                    page.click("button[type=submit]")
                    # each role lands on its own page: wait to leave the login page
                    page.wait_for_url(lambda url: "/login/" not in url, timeout=120_000)
                    state = login.storage_state()
                    login.close()
                    results = [
                        (key, label, measure(browser, base, state, url, args.repeat))
                        for key, label, url in targets
                    ]
                finally:
                    browser.close()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        text, holds = table(server, results)
        all_hold &= holds
        output.append(text)
        print(text, flush=True)
    print(
        "\nms from navigation start (medians of "
        f"{args.repeat}): TTFB first byte of the page, paint first paint, FCP first "
        "contentful paint, DCL DOMContentLoaded, load the load event, charts every chart drawn; "
        "KB transferred (compressed, cached files count 0).\n"
        + "\n".join(f"  {key}: {label}" for key, label, _ in targets)
    )
    return 0 if all_hold else 1


if __name__ == "__main__":
    sys.exit(main())
