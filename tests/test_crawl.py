"""Every page, as every demo login, on the demo data after a working month: reviews of every
kind, a risk escalated, a scenario committed and a timing plan committed (starts moved), an
allocation decided.

For each user the crawl GETs every URL pattern with real ids (`SAMPLES`), the dashboards at
several "as of" dates, every option of every GET filter or sort form it finds, and one level of
links found on those pages. It asserts that nothing answers 5xx, that the HTML is well formed,
that 404 answers exactly the objects the access rules hide from the user, and that no page
links a user to a page that is not there for them. A URL pattern without a sample fails the
coverage test, so a new page cannot escape the crawl."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import F, Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from portfolio import onboarding, scenarios
from portfolio.models import OnboardingImport, Portfolio, Program, Scenario, Synergy
from portfolio.selection.timing_report import timing_report
from projects import services as project_services
from projects.imports.services import plan_import_apply, plan_import_stage
from projects.models import (
    ChangeRequest,
    CostEntry,
    Milestone,
    PlanImport,
    Project,
    ProjectDependency,
    StatusReport,
)
from reporting import review_runs
from reporting.models import PortfolioReview, ReviewRun
from resources import services as resource_services
from resources.models import Allocation, AllocationStatus, CapacityAdjustment, Resource, Role
from resources.selectors import role_capacity_grid
from risks import services as risk_services
from risks.models import Risk, RiskStatus
from webhooks.models import WebhookDelivery, WebhookSubscription

USERS = (
    "pmo",
    "portfolio_manager",
    "executive",
    "resource_manager",
    "viewer",
    "project_manager",
    "amy.chen",
)
# Not crawled: the admin (Django's own), the API (tests/test_api.py and its schema tests cover
# it), the login and logout views, and a token link that only an e-mail carries.
UNCRAWLED = (
    "admin/",
    "api/",
    "login/",
    "logout/",
    "digests/unsubscribe/",
    "reminders/unsubscribe/",
)
LINK_LIMIT_PER_ROUTE = 2  # one level of links: this many distinct URLs per route and query keys


@dataclass(frozen=True)
class Sample:
    """A URL to GET and the object whose visibility decides whether the user may open it."""

    url: str
    subject: Model | None = None


@dataclass
class World:
    """Real ids from the demo data, a few per kind, from different portfolios."""

    portfolios: list[Portfolio]
    projects: list[Project]
    reviews: list[PortfolioReview]
    extra: dict = field(default_factory=dict)


def _first_per_portfolio(queryset, portfolio_field="portfolio_id", per=1):
    seen, chosen = Counter(), []
    for obj in queryset:
        key = getattr(obj, portfolio_field)
        if seen[key] < per:
            seen[key] += 1
            chosen.append(obj)
    return chosen


def _project_samples(name, world, **extra):
    return [
        Sample(reverse(name, kwargs={"pk": project.pk, **extra}), project)
        for project in world.projects
    ]


def _portfolio_samples(name, world):
    return [
        Sample(reverse(name, args=[portfolio.code]), portfolio) for portfolio in world.portfolios
    ]


def _scenario_samples(name, world):
    return [
        Sample(reverse(name, args=[s.portfolio.code, s.pk]), s.portfolio)
        for s in _first_per_portfolio(Scenario.objects.select_related("portfolio").order_by("pk"))
    ]


def _synergy_samples(name, world):
    return [
        Sample(reverse(name, args=[s.portfolio.code, s.pk]), s.portfolio)
        for s in _first_per_portfolio(Synergy.objects.select_related("portfolio").order_by("pk"))
    ]


def _child_samples(name, queryset, child_kwarg, *, project_field="project"):
    return [
        Sample(
            reverse(name, kwargs={"pk": getattr(obj, f"{project_field}_id"), child_kwarg: obj.pk}),
            getattr(obj, project_field),
        )
        for obj in _first_per_portfolio(
            queryset.select_related(project_field), f"{project_field}_id"
        )[:6]
    ]


def _role_month_samples(name, world):
    conflicts = world.extra["conflicts"]
    return [Sample(reverse(name, args=[role_id, month])) for role_id, month in conflicts[:2]]


def _report_samples(name, world, suffix=""):
    reports = _first_per_portfolio(
        StatusReport.objects.select_related("project").order_by("-period_start"), "project_id"
    )[:6]
    return [
        Sample(
            reverse(name, args=[report.project_id, report.period_start.isoformat()]) + suffix,
            report.project,
        )
        for report in reports
    ]


def _webhook_samples(name, model, per=2):
    """URLs of a portfolio's webhook objects; the portfolio decides who may open them."""
    return [
        Sample(reverse(name, args=[obj.portfolio.code, obj.pk]), obj.portfolio)
        for obj in model.objects.select_related("portfolio").order_by("pk")[:per]
    ]


def _people(name, world, per=3):
    return [
        Sample(reverse(name, args=[person.pk])) for person in Resource.objects.order_by("pk")[:per]
    ]


SAMPLES: dict[str, Callable[[World], list[Sample]]] = {
    # Portfolios and dashboards
    "portfolio:list": lambda w: [Sample(reverse("portfolio:list"))],
    "portfolio:detail": lambda w: _portfolio_samples("portfolio:detail", w),
    "portfolio:program": lambda w: [
        Sample(reverse("portfolio:program", args=[p.portfolio.code, p.pk]), p.portfolio)
        for p in _first_per_portfolio(Program.objects.select_related("portfolio"))
    ],
    "portfolio:missing-reports": lambda w: _portfolio_samples("portfolio:missing-reports", w),
    "portfolio:dependencies": lambda w: _portfolio_samples("portfolio:dependencies", w),
    "risks:portfolio-register": lambda w: _portfolio_samples("risks:portfolio-register", w),
    # Strategy, scoring, candidates, gates
    "portfolio:objectives": lambda w: _portfolio_samples("portfolio:objectives", w),
    "portfolio:contributions": lambda w: _portfolio_samples("portfolio:contributions", w),
    "portfolio:scoring-criteria": lambda w: _portfolio_samples("portfolio:scoring-criteria", w),
    "portfolio:project-scores": lambda w: [
        Sample(reverse("portfolio:project-scores", args=[p.portfolio.code, p.pk]), p)
        for p in w.projects
    ],
    "portfolio:ranking": lambda w: _portfolio_samples("portfolio:ranking", w),
    "portfolio:candidates": lambda w: _portfolio_samples("portfolio:candidates", w),
    "portfolio:candidate-create": lambda w: _portfolio_samples("portfolio:candidate-create", w),
    "portfolio:candidate-edit": lambda w: [
        Sample(reverse("portfolio:candidate-edit", args=[p.portfolio.code, p.pk]), p)
        for p in _first_per_portfolio(
            Project.objects.filter(stage__in=["idea", "candidate"]).select_related("portfolio")
        )
    ],
    "portfolio:synergies": lambda w: _portfolio_samples("portfolio:synergies", w),
    "portfolio:synergy-create": lambda w: _portfolio_samples("portfolio:synergy-create", w),
    "portfolio:synergy-edit": lambda w: _synergy_samples("portfolio:synergy-edit", w),
    "portfolio:synergy-delete": lambda w: _synergy_samples("portfolio:synergy-delete", w),
    "portfolio:pending-gates": lambda w: _portfolio_samples("portfolio:pending-gates", w),
    "portfolio:gate-decision": lambda w: _project_samples("portfolio:gate-decision", w),
    "portfolio:gate-criteria": lambda w: [
        Sample(f"{sample.url}?gate={gate}", sample.subject)
        for sample in _portfolio_samples("portfolio:gate-criteria", w)
        for gate in ("approved", "in_progress")
    ],
    # Selection and scenarios
    "portfolio:selection": lambda w: _portfolio_samples("portfolio:selection", w),
    "portfolio:frontier": lambda w: _portfolio_samples("portfolio:frontier", w)[:2],
    "portfolio:selection-timing": lambda w: (
        _portfolio_samples("portfolio:selection-timing", w)
        + [
            Sample(
                f"{reverse('portfolio:selection-timing', args=[s.portfolio.code])}?scenario={s.pk}",
                s.portfolio,
            )
            for s in _first_per_portfolio(
                Scenario.objects.select_related("portfolio").order_by("pk")
            )
        ][:2]
    ),
    "portfolio:selection-timing-save": lambda w: _portfolio_samples(
        "portfolio:selection-timing-save", w
    )[:1],
    "portfolio:scenarios": lambda w: _portfolio_samples("portfolio:scenarios", w),
    "portfolio:scenario-create": lambda w: _portfolio_samples("portfolio:scenario-create", w),
    "portfolio:scenario-compare": lambda w: [
        Sample(
            reverse("portfolio:scenario-compare", args=[portfolio.code])
            + "?"
            + urlencode([("s", pk) for pk in portfolio.scenarios.values_list("pk", flat=True)[:3]]),
            portfolio,
        )
        for portfolio in w.portfolios
    ],
    "portfolio:scenario": lambda w: _scenario_samples("portfolio:scenario", w),
    "portfolio:scenario-edit": lambda w: _scenario_samples("portfolio:scenario-edit", w),
    "portfolio:scenario-commit": lambda w: _scenario_samples("portfolio:scenario-commit", w),
    # Projects
    "projects:detail": lambda w: _project_samples("projects:detail", w),
    "projects:edit": lambda w: _project_samples("projects:edit", w),
    "projects:set-baseline": lambda w: _project_samples("projects:set-baseline", w),
    "projects:change-request-create": lambda w: _project_samples(
        "projects:change-request-create", w
    ),
    "projects:change-requests": lambda w: _portfolio_samples("projects:change-requests", w),
    "projects:change-request-decide": lambda w: [
        Sample(
            reverse("projects:change-request-decide", args=[c.project.portfolio.code, c.pk]),
            c.project.portfolio,
        )
        for c in ChangeRequest.objects.filter(status="proposed").select_related(
            "project__portfolio"
        )
    ],
    "projects:milestones": lambda w: _project_samples("projects:milestones", w),
    "projects:milestone-create": lambda w: _project_samples("projects:milestone-create", w),
    "projects:milestones-reorder": lambda w: _project_samples("projects:milestones-reorder", w),
    "projects:milestone-edit": lambda w: _child_samples(
        "projects:milestone-edit", Milestone.objects.order_by("pk"), "milestone_pk"
    ),
    "projects:milestone-delete": lambda w: _child_samples(
        "projects:milestone-delete", Milestone.objects.order_by("pk"), "milestone_pk"
    ),
    "projects:plan-import": lambda w: _project_samples("projects:plan-import", w),
    "projects:plan-import-new": lambda w: _portfolio_samples("projects:plan-import-new", w),
    "projects:plan-import-preview": lambda w: [
        Sample(reverse("projects:plan-import-preview", args=[kept.pk]), kept.portfolio)
        # the one waiting on its preview first (an imported one answers with a redirect)
        for kept in PlanImport.objects.select_related("portfolio").order_by(
            F("applied_at").desc(nulls_first=True), "pk"
        )
    ],
    # Onboarding from a spreadsheet: a kept upload is its uploader's (403 for the others)
    "portfolio:onboarding": lambda w: [Sample(reverse("portfolio:onboarding"))],
    "portfolio:onboarding-mapping": lambda w: [
        Sample(reverse("portfolio:onboarding-mapping", args=[kept.pk]))
        for kept in OnboardingImport.objects.filter(applied_at=None)
    ],
    "portfolio:onboarding-preview": lambda w: [
        Sample(reverse("portfolio:onboarding-preview", args=[kept.pk]))
        for kept in OnboardingImport.objects.filter(applied_at=None)
    ],
    "portfolio:onboarding-result": lambda w: [
        Sample(reverse("portfolio:onboarding-result", args=[kept.pk]))
        for kept in OnboardingImport.objects.exclude(applied_at=None)
    ],
    "resources:plan-allocations": lambda w: [
        Sample(reverse("resources:plan-allocations", args=[kept.pk]), kept.portfolio)
        for kept in PlanImport.objects.exclude(applied_at=None).select_related("portfolio")
    ],
    "projects:costs": lambda w: _project_samples("projects:costs", w),
    "projects:cost-upload": lambda w: _project_samples("projects:cost-upload", w),
    "projects:cost-template": lambda w: [Sample(reverse("projects:cost-template"))],
    "projects:cost-edit": lambda w: _child_samples(
        "projects:cost-edit", CostEntry.objects.order_by("-pk"), "entry_pk"
    ),
    "projects:cost-delete": lambda w: _child_samples(
        "projects:cost-delete", CostEntry.objects.order_by("-pk"), "entry_pk"
    ),
    "projects:report-current": lambda w: _project_samples("projects:report-current", w),
    "projects:report": lambda w: _report_samples("projects:report", w),
    "projects:report-reopen": lambda w: _report_samples("projects:report-reopen", w),
    "projects:dependency-create": lambda w: _project_samples("projects:dependency-create", w),
    "projects:dependency-edit": lambda w: [
        Sample(reverse("projects:dependency-edit", args=[d.pk]), d.successor)
        for d in ProjectDependency.objects.select_related("successor")[:3]
    ],
    "projects:dependency-delete": lambda w: [
        Sample(reverse("projects:dependency-delete", args=[d.pk]), d.successor)
        for d in ProjectDependency.objects.select_related("successor")[:3]
    ],
    # Risks
    "risks:project-register": lambda w: _project_samples("risks:project-register", w),
    "risks:create": lambda w: _project_samples("risks:create", w),
    "risks:edit": lambda w: [
        Sample(reverse("risks:edit", args=[r.pk]), r.project)
        for r in _first_per_portfolio(
            Risk.objects.filter(project__isnull=False).select_related("project"), "project_id"
        )[:6]
    ],
    "risks:close": lambda w: [
        Sample(reverse("risks:close", args=[r.pk]), r.project)
        for r in Risk.objects.filter(project__isnull=False, status=RiskStatus.OPEN)
        .select_related("project")
        .order_by("pk")[:3]
    ],
    "risks:escalate": lambda w: [
        Sample(reverse("risks:escalate", args=[r.pk]), r.project)
        for r in Risk.objects.filter(project__isnull=False, status=RiskStatus.OPEN)
        .select_related("project")
        .order_by("-pk")[:3]
    ],
    # People, allocations, capacity
    "resources:people": lambda w: [Sample(reverse("resources:people"))],
    "resources:person": lambda w: _people("resources:person", w),
    "resources:person-create": lambda w: [Sample(reverse("resources:person-create"))],
    "resources:person-edit": lambda w: _people("resources:person-edit", w, per=1),
    "resources:adjustment-create": lambda w: _people("resources:adjustment-create", w, per=1),
    "resources:adjustment-delete": lambda w: [
        Sample(reverse("resources:adjustment-delete", args=[a.resource_id, a.pk]))
        for a in CapacityAdjustment.objects.order_by("pk")[:2]
    ],
    "resources:roles": lambda w: [Sample(reverse("resources:roles"))],
    "resources:role-create": lambda w: [Sample(reverse("resources:role-create"))],
    "resources:role-edit": lambda w: [
        Sample(reverse("resources:role-edit", args=[r.pk])) for r in Role.objects.all()[:2]
    ],
    "resources:project-allocations": lambda w: _project_samples("resources:project-allocations", w),
    "resources:allocation-queue": lambda w: [Sample(reverse("resources:allocation-queue"))],
    **{
        name: (
            lambda w, name=name: [
                Sample(reverse(name, args=[a.pk]), a.project)
                for a in _first_per_portfolio(
                    Allocation.objects.select_related("project").order_by("status", "pk"),
                    "project_id",
                )[:4]
            ]
        )
        for name in (
            "resources:allocation-change",
            "resources:allocation-confirm",
            "resources:allocation-reject",
            "resources:allocation-withdraw",
            "resources:allocation-undo",
        )
    },
    "resources:capacity": lambda w: [Sample(reverse("resources:capacity"))],
    "resources:capacity-role": lambda w: [
        Sample(reverse("resources:capacity-role", args=[r.pk])) for r in Role.objects.all()[:3]
    ],
    "resources:conflict": lambda w: _role_month_samples("resources:conflict", w),
    "resources:conflict-shift": lambda w: _role_month_samples("resources:conflict-shift", w),
    "resources:conflict-release": lambda w: _role_month_samples("resources:conflict-release", w),
    "resources:conflict-reassign": lambda w: _role_month_samples("resources:conflict-reassign", w),
    # Reviews and digests
    "reporting:review": lambda w: [
        Sample(reverse("reporting:review", args=[review.pk]), review.portfolio)
        for review in w.reviews
    ],
    "reporting:runs": lambda w: [Sample(reverse("reporting:runs"))],
    "reporting:home": lambda w: [Sample(reverse("reporting:home"))],
    "reporting:my-work": lambda w: [Sample(reverse("reporting:my-work"))],
    "reporting:audit": lambda w: [Sample(reverse("reporting:audit"))],
    "reporting:subscriptions": lambda w: [Sample(reverse("reporting:subscriptions"))],
    "reporting:subscribers": lambda w: _portfolio_samples("reporting:subscribers", w),
    "reporting:portfolio-reviews": lambda w: _portfolio_samples("reporting:portfolio-reviews", w),
    "reporting:run-review": lambda w: _portfolio_samples("reporting:run-review", w),
    "reporting:review-run": lambda w: [
        Sample(reverse("reporting:review-run", args=[run.pk]), run.portfolio)
        for run in _first_per_portfolio(ReviewRun.objects.select_related("portfolio"))
    ],
    "reporting:digest-preview": lambda w: (
        [
            Sample(
                reverse("reporting:digest-preview", args=[portfolio.code])
                + "?"
                + urlencode(
                    {
                        "subscriber": subscription.user_id,
                        "review": portfolio.reviews.filter(kind=subscription.kind).first().pk,
                    }
                ),
                portfolio,
            )
            for portfolio in w.portfolios
            for subscription in portfolio.digest_subscriptions.order_by("pk")[:1]
            if portfolio.reviews.filter(kind=subscription.kind).exists()
        ]
        + _portfolio_samples("reporting:digest-preview", w)
    ),
    # Access tokens (the user's own; revoking is POST-only, so a GET is a 405)
    "access_tokens:list": lambda w: [Sample(reverse("access_tokens:list"))],
    "access_tokens:revoke": lambda w: [Sample(reverse("access_tokens:revoke", args=[1]))],
    # Webhooks (the demo's finance portfolio has two subscriptions and a delivery log)
    "webhooks:subscriptions": lambda w: _portfolio_samples("webhooks:subscriptions", w),
    "webhooks:subscription-create": lambda w: _portfolio_samples("webhooks:subscription-create", w),
    "webhooks:subscription-edit": lambda w: _webhook_samples(
        "webhooks:subscription-edit", WebhookSubscription
    ),
    "webhooks:subscription-delete": lambda w: _webhook_samples(
        "webhooks:subscription-delete", WebhookSubscription
    ),
    "webhooks:deliveries": lambda w: _portfolio_samples("webhooks:deliveries", w),
    "webhooks:delivery": lambda w: _webhook_samples("webhooks:delivery", WebhookDelivery, per=3),
    "webhooks:redeliver": lambda w: _webhook_samples("webhooks:redeliver", WebhookDelivery),
    # Password reset (Django's views; a made-up token shows the "link expired" page)
    "password_reset": lambda w: [Sample(reverse("password_reset"))],
    "password_reset_done": lambda w: [Sample(reverse("password_reset_done"))],
    "password_reset_confirm": lambda w: [
        Sample(reverse("password_reset_confirm", args=["MQ", "made-up-token"]))
    ],
    "password_reset_complete": lambda w: [Sample(reverse("password_reset_complete"))],
}


def _url_patterns(patterns=None, prefix="", namespace=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _url_patterns(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield route, f"{namespace}:{pattern.name}" if namespace else pattern.name


def crawled_pattern_names() -> set[str]:
    return {name for route, name in _url_patterns() if not route.startswith(UNCRAWLED) and name}


def test_every_url_pattern_has_crawl_samples():
    assert sorted(crawled_pattern_names() - set(SAMPLES)) == []
    assert sorted(set(SAMPLES) - crawled_pattern_names()) == []


# --- HTML well-formedness -----------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
VOID |= {"track", "wbr"}


class _TagBalance(HTMLParser):
    """Every element the page opens is closed, in order (void elements aside)."""

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.open or self.open[-1] != tag:
            where = f"line {self.getpos()[0]}"
            self.problems.append(
                f"</{tag}> closes <{self.open[-1] if self.open else '-'}> at {where}"
            )
            if tag in self.open:
                while self.open.pop() != tag:
                    pass
            return
        self.open.pop()


def html_problems(body: str) -> list[str]:
    parser = _TagBalance()
    parser.feed(body)
    parser.close()
    if parser.open:
        parser.problems.append(f"left open: {parser.open[-5:]}")
    return parser.problems[:3]


# --- Content-Security-Policy and Permissions-Policy ---------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+=", re.I)


def security_problems(response, body: str) -> list[str]:
    """An HTML page carries the CSP (scripts from Slate only, no inline script) and the
    Permissions-Policy, and holds nothing the CSP would block: no inline script, no on*=."""
    problems = []
    policy = response.get("Content-Security-Policy", "")
    script_src = next((d for d in policy.split(";") if d.strip().startswith("script-src")), "")
    if "'self'" not in script_src or "unsafe" in script_src:
        problems.append(f"Content-Security-Policy script-src is {script_src!r}")
    if "camera=()" not in response.get("Permissions-Policy", ""):
        problems.append("no Permissions-Policy")
    if INLINE_SCRIPT.search(body):
        problems.append(f"inline script {INLINE_SCRIPT.search(body).group(0)}")
    if HANDLER_ATTRIBUTE.search(body):
        problems.append(f"inline handler {HANDLER_ATTRIBUTE.search(body).group(0)[:80]}")
    return problems


# --- The crawl ----------------------------------------------------------------------------

HREF = re.compile(r'href="([^"#]+)"')
GET_FORM = re.compile(r"<form\b(?![^>]*method=\"post\")[^>]*>(.*?)</form>", re.S | re.I)
SELECT = re.compile(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', re.S)
OPTION = re.compile(r'<option[^>]*value="([^"]*)"')


def _same_site(base: str, href: str) -> str | None:
    href = href.replace("&amp;", "&")
    url = urlparse(urljoin(base, href))
    if url.scheme not in ("", "http") or url.netloc not in ("", "testserver"):
        return None
    if url.path.startswith(tuple(f"/{prefix}" for prefix in (*UNCRAWLED, "static/"))):
        return None
    return url.path + (f"?{url.query}" if url.query else "")


def _filter_variants(url: str, body: str) -> list[str]:
    """Each option of each select of the page's GET forms, one at a time."""
    base = urlparse(url)
    kept = dict(parse_qsl(base.query))
    variants = []
    for form in GET_FORM.findall(body):
        for name, options in SELECT.findall(form):
            for value in OPTION.findall(options):
                query = urlencode({**kept, name: value})
                variants.append(f"{base.path}?{query}")
    return variants


def _route_key(url: str) -> tuple[str, tuple[str, ...]]:
    parsed = urlparse(url)
    try:
        route = resolve(parsed.path).route
    except Exception:  # a link to a path with no view: keep it, so it is checked
        route = parsed.path
    return route, tuple(sorted(key for key, _value in parse_qsl(parsed.query)))


def _visible(user, subject) -> bool:
    if subject is None:
        return True
    model = type(subject)
    return model.objects.visible_to(user).filter(pk=subject.pk).exists()


def hidden_codes_pattern(user) -> re.Pattern | None:
    """Matches the code of any project the user may not see, as a whole code: a code is not
    matched inside a longer one ("FIN" in "FIN-CORE"), and a code that a visible project of
    another portfolio also carries is not hidden."""
    visible = set(Project.objects.visible_to(user).values_list("code", flat=True))
    hidden = set(Project.objects.values_list("code", flat=True)) - visible
    if not hidden:
        return None
    alternatives = "|".join(re.escape(code) for code in sorted(hidden, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


def hidden_codes_in(body: str, pattern: re.Pattern | None) -> list[str]:
    return sorted(set(pattern.findall(body))) if pattern else []


@dataclass
class Crawl:
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    hidden_codes: dict = field(default_factory=dict)  # username -> pattern of hidden codes

    def get(self, client, username, url):
        self.requests += 1
        response = client.get(url)
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.failures.append(f"{username} {url}: {response.status_code}")
            return response, ""
        content_type = response.get("Content-Type", "")
        body = response.content.decode() if content_type.startswith("text/html") else ""
        if response.status_code == 200 and body:
            for problem in html_problems(body) + security_problems(response, body):
                self.failures.append(f"{username} {url}: HTML {problem}")
            leaked = hidden_codes_in(body, self.hidden_codes.get(username))
            if leaked:
                self.failures.append(f"{username} {url}: names hidden projects {leaked}")
        return response, body


def _small_plan(project) -> bytes:
    """An MS Project XML plan of `project`'s dates with one milestone and one person."""
    start, end = project.start_date, project.end_date
    return (
        '<Project xmlns="http://schemas.microsoft.com/project"><Title>Crawled plan</Title>'
        f"<StartDate>{start}T08:00:00</StartDate><FinishDate>{end}T17:00:00</FinishDate><Tasks>"
        f"<Task><UID>1</UID><ID>1</ID><Name>Plan signed</Name><Milestone>1</Milestone>"
        f"<Start>{start}T08:00:00</Start><Finish>{start}T08:00:00</Finish></Task>"
        "</Tasks><Resources><Resource><UID>1</UID><Name>Analyst</Name><Type>1</Type></Resource>"
        "</Resources><Assignments><Assignment><UID>1</UID><TaskUID>1</TaskUID>"
        f"<ResourceUID>1</ResourceUID><Start>{start}T08:00:00</Start>"
        f"<Finish>{end}T17:00:00</Finish><Work>PT40H0M0S</Work></Assignment></Assignments>"
        "</Project>"
    ).encode()


def _working_month(pmo):
    """What a month of use leaves behind, beyond what seed_demo stores."""
    today = timezone.localdate()
    risk = (
        Risk.objects.filter(project__isnull=False, status=RiskStatus.OPEN, escalated_to=None)
        .order_by("-cost_impact", "pk")
        .first()
    )
    risk_services.risk_escalate(
        risk=risk, by=pmo, reason="Threatens the portfolio", expected_version=risk.version
    )
    committed = []
    for scenario in Scenario.objects.filter(committed_at__isnull=True).order_by("pk"):
        with suppress(ValidationError):  # the crawl needs one commit, not every scenario's
            committed.append(scenarios.scenario_commit(scenario=scenario, by=pmo, as_of=today))
            break
    assert committed
    # A timing plan kept in a scenario and committed: planned starts moved (issue 17).
    product = Portfolio.objects.get(code="product")
    plan = timing_report(portfolio=product, as_of=today)
    kept = scenarios.scenario_keep_starts(
        portfolio=product,
        by=pmo,
        start_months=plan.start_months,
        chosen=plan.chosen_pipeline,
        name="Timing plan",
        budget_limit=product.budget_envelope,
    )
    assert scenarios.scenario_commit(scenario=kept, by=pmo, as_of=today).moved
    request = Allocation.objects.filter(status=AllocationStatus.REQUESTED).order_by("pk").first()
    resource_services.allocation_confirm(
        allocation=request, by=pmo, override=True, override_reason="The release needs the hours"
    )
    # A re-baselined project (a BAC cut, within any envelope) and a change request waiting.
    baselined = list(
        Project.objects.active()
        .exclude(baseline_start=None)
        .exclude(manager=None)
        .select_related("portfolio")
        .order_by("pk")[:2]
    )
    for project, decide in zip(baselined, (True, False), strict=True):
        change = project_services.change_request_propose(
            project=project,
            data={"budget": project.budget * 9 / 10, "reason": "Scope moved to phase 2"},
            by=project.manager,
        )
        if decide:
            project_services.change_request_approve(change_request=change, by=pmo, note="Agreed")
    # Project plans the PMO uploaded: one imported (its people still to request), one
    # waiting on its preview.
    applied, preview = plan_import_stage(
        portfolio=baselined[0].portfolio,
        project=baselined[0],
        file_name="plan.xml",
        content=_small_plan(baselined[0]),
        by=pmo,
    )
    plan_import_apply(plan_import=applied, fingerprint=preview.fingerprint, by=pmo)
    plan_import_stage(
        portfolio=baselined[1].portfolio,
        project=baselined[1],
        file_name="plan.xml",
        content=_small_plan(baselined[1]),
        by=pmo,
    )
    # A spreadsheet the PMO onboarded (its rows as Slate has them: nothing changes) and one
    # waiting on its mapping.
    onboarded = Project.objects.filter(portfolio__in=onboarding.managed_portfolios(pmo)).first()
    quoted = onboarded.name.replace('"', '""')
    sheet = f'Code,Name\n{onboarded.code},"{quoted}"\n'.encode()
    for apply in (True, False):
        staged = onboarding.onboarding_stage(
            kind="projects", portfolio=onboarded.portfolio, file_name="sheet.csv",
            content=sheet, by=pmo,
        )  # fmt: skip
        if apply:
            preview = onboarding.onboarding_preview(staged=staged, by=pmo)
            onboarding.onboarding_apply(staged=staged, fingerprint=preview.fingerprint, by=pmo)
    # A review asked for from the browser, still waiting for a worker.
    review_runs.review_run_request(
        portfolio=Portfolio.objects.visible_to(pmo).order_by("code").first(),
        kind="quarterly", period=f"{today:%Y-%m}", by=pmo,
    )  # fmt: skip


@pytest.mark.django_db
def test_every_page_as_every_demo_user():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    users = get_user_model().objects.in_bulk(USERS, field_name="username")
    _working_month(users["pmo"])
    today = timezone.localdate()
    grid = role_capacity_grid(first_month=today.replace(day=1), month_count=12)
    world = World(
        portfolios=list(Portfolio.objects.order_by("code")),
        projects=_first_per_portfolio(
            Project.objects.select_related("portfolio").order_by("pk"), per=2
        ),
        reviews=list(
            PortfolioReview.objects.select_related("portfolio").order_by(
                "portfolio", "kind", "-period_start"
            )
        ),
        extra={
            "conflicts": [(row.key, f"{month:%Y-%m}") for row, month, _ in grid.conflicts],
        },
    )
    samples = [sample for make in SAMPLES.values() for sample in make(world)]
    as_of_dates = [today, today - timedelta(days=14), today.replace(day=1) - timedelta(days=1)]
    samples += [
        Sample(f"{reverse(name, args=[portfolio.code])}?as_of={day:%Y-%m-%d}", portfolio)
        for name in ("portfolio:detail",)
        for portfolio in world.portfolios
        for day in as_of_dates
    ] + [Sample(f"{reverse('portfolio:list')}?as_of={day:%Y-%m-%d}") for day in as_of_dates]
    samples += [
        Sample(f"{reverse('projects:detail', args=[project.pk])}?as_of={day:%Y-%m-%d}", project)
        for project in world.projects
        for day in as_of_dates[1:]
    ]

    crawl = Crawl(hidden_codes={name: hidden_codes_pattern(users[name]) for name in USERS})
    for username in USERS:
        user = users[username]
        client = Client(raise_request_exception=False)
        client.force_login(user)
        found: dict[str, str] = {}  # linked URL -> the page that links to it
        for sample in samples:
            response, body = crawl.get(client, username, sample.url)
            status = response.status_code
            visible = _visible(user, sample.subject)
            if visible and status == 404:
                crawl.failures.append(f"{username} {sample.url}: 404 for an object they see")
            # 405: a POST-only address refuses a GET before it looks anything up.
            if not visible and status not in (403, 404, 405):
                crawl.failures.append(f"{username} {sample.url}: {status}, not hidden (404)")
            if status != 200 or not body:
                continue
            for href in HREF.findall(body):
                link = _same_site(sample.url, href)
                if link:
                    found.setdefault(link, sample.url)
            for variant in _filter_variants(sample.url, body):
                found.setdefault(variant, sample.url)
        per_route: defaultdict = defaultdict(int)
        sampled = {sample.url for sample in samples}
        for link, page in sorted(found.items()):
            key = _route_key(link)
            if link in sampled or per_route[key] >= LINK_LIMIT_PER_ROUTE:
                continue
            per_route[key] += 1
            response, _body = crawl.get(client, username, link)
            if response.status_code in (403, 404):
                crawl.failures.append(
                    f"{username} {link}: {response.status_code}, linked from {page}"
                )

    print(f"crawl: {len(USERS)} users, {crawl.requests} requests, {dict(crawl.statuses)}")
    assert crawl.failures == [], "\n".join(crawl.failures)
    assert crawl.statuses[200] > 1000


def test_the_security_check_finds_a_missing_policy_and_inline_script():
    class Page(dict):
        pass

    page = Page()
    page["Content-Security-Policy"] = "default-src 'self'; script-src 'self'"
    page["Permissions-Policy"] = "camera=(), microphone=()"
    clean = '<script src="/static/js/slate.js" defer></script><script type="application/json">'
    assert security_problems(page, clean) == []
    assert security_problems(page, "<script>alert(1)</script>") == ["inline script <script>"]
    assert security_problems(page, '<select onchange="go()">') == [
        "inline handler <select onchange="
    ]
    assert len(security_problems(Page(), clean)) == 2


def test_the_hidden_code_check_matches_whole_codes_only():
    pattern = re.compile(r"(?<![\w-])(?:FIN|RET-PAY)(?![\w-])")
    assert hidden_codes_in("<td>FIN-CORE</td> <td>RET-PAY2</td> XFIN", pattern) == []
    assert hidden_codes_in("<td>FIN</td> (RET-PAY) FIN.", pattern) == ["FIN", "RET-PAY"]


def test_the_html_check_finds_unbalanced_tags():
    assert html_problems("<main><div><p>Fine</p><br></div></main>") == []
    assert html_problems("<div><span>oops</div>") == [
        "</div> closes <span> at line 1",
    ]
    assert html_problems("<section><div>") == ["left open: ['section', 'div']"]
