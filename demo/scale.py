"""Synthetic data at the scale of a large PMO (10 portfolios, 10,000 projects) for
`manage.py seed_scale`.

For N projects: N//P projects in each of P portfolios (codes "scale-01"...), about 5 programs,
5 objectives and 5 scoring criteria per portfolio, 12 x N monthly status reports, 20 x N cost
entries, 3 x N risks (5 % portfolio-level, each threatening several projects), max(20, N//5)
people, 5 x N allocations, 4 milestones per project, N//10 dependencies. Defaults give the
§7 figures: 10 portfolios, 10,000 projects, 120k reports, 200k cost entries, 30k risks, 2,000
people, 50k allocations.

Rows are generated in plain Python from `random.Random(seed)` and written with bulk_create in
batches, so there are no per-row queries, no per-row validation and no history rows. Every
started project is internally consistent with projects/evm.py: the latest submitted report's
% complete and the actual costs are derived from a target SPI and CPI, so computed health is
spread across green, amber and red, with a few watermelons.

Scale rows are recognisable and removable: portfolio codes start with "scale-", people's
e-mails end with "@scale.example", users are named "scale-pm-NNNNN". Roles and skills are
shared reference data, reused by name and never deleted.
"""

from __future__ import annotations

import random
import time as clock
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone

from core.months import add_months, month_count, month_end, month_start
from demo.seed import RAG_NARRATIVE, ROLES, SKILLS
from portfolio.models import (
    GateDecision,
    ObjectiveContribution,
    Portfolio,
    PortfolioMembership,
    Program,
    ProjectScore,
    Scenario,
    ScoringCriterion,
    StrategicObjective,
)
from projects.models import CostEntry, Milestone, Project, ProjectDependency, StatusReport
from resources.models import Allocation, Calendar, CapacityAdjustment, Resource, Role, Skill
from risks.models import Risk

PREFIX = "scale-"
EMAIL_DOMAIN = "@scale.example"
BATCH_SIZE = 5000

# fmt: off
EXTRA_ROLES = [  # added to the demo's twelve roles: 20 in all
    ("Product owner", 95), ("Scrum master", 85), ("Technical writer", 65),
    ("Database administrator", 110), ("Network engineer", 100), ("Change manager", 90),
    ("Data scientist", 120), ("Site reliability engineer", 115),
]
ROLE_NAMES = [name for name, _ in ROLES + EXTRA_ROLES]
ROLE_RATES = dict(ROLES + EXTRA_ROLES)

STAGE_MIX = [  # stage, % of projects
    ("in_progress", 62), ("closing", 5), ("closed", 10), ("on_hold", 3), ("cancelled", 2),
    ("approved", 6), ("candidate", 8), ("idea", 4),
]
STARTED = {"in_progress", "closing", "closed", "on_hold", "cancelled"}
PIPELINE = {"idea", "candidate"}

THEMES = [
    "Customer", "Digital", "Cloud", "Data", "Security", "Mobile", "Supply chain", "Finance",
    "HR", "Analytics", "Platform", "Compliance", "Payments", "Identity", "Logistics", "Sales",
]
THINGS = [
    "portal", "migration", "modernisation", "integration", "automation", "upgrade",
    "replacement", "rollout", "consolidation", "redesign", "platform", "pilot",
]
OBJECTIVES = [
    "Grow revenue", "Customer experience", "Operational efficiency", "Risk and compliance",
    "Innovation",
]
CRITERIA = [  # name, direction
    ("Strategic fit", "higher"), ("Financial return", "higher"), ("Customer impact", "higher"),
    ("Delivery risk", "lower"), ("Urgency", "higher"),
]
WEIGHTS = [30, 25, 20, 15, 10]  # of the objectives and of the criteria
MILESTONES = [  # name, position in the baseline; equal weights of 25 %
    ("Design approved", 0.25), ("Build complete", 0.5), ("Testing complete", 0.75),
    ("Go-live", 1.0),
]
RISK_TITLES = [
    "Key supplier late", "Scope creep", "Skills shortage", "Integration defects",
    "Regulatory change", "Budget cut", "Data quality", "Security vulnerability",
    "Stakeholder resistance", "Vendor insolvency", "Performance below target",
    "Licence cost increase", "Test environment unavailable", "Key person leaves",
]
RISK_CATEGORIES = ["schedule", "technical", "resource", "financial", "external", "quality"]
FIRST_NAMES = [
    "Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Robin", "Quinn",
    "Avery", "Blake", "Cameron", "Dana", "Elliot", "Frankie", "Harper", "Jesse", "Kai", "Logan",
]
LAST_NAMES = [
    "Smith", "Jones", "Brown", "Wilson", "Evans", "Walker", "Wright", "Hall", "Green", "Hill",
    "Baker", "Clark", "Lewis", "Young", "King", "Scott", "Adams", "Mitchell", "Turner", "Price",
]
COST_CATEGORIES = ["labour"] * 6 + ["contractor"] * 3 + ["software", "hardware", "travel", "other"]
DELIVERABLES = ["API", "data model", "release"]
RAGS = ("green", "amber", "red")
# fmt: on


def money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def pct(value: float) -> Decimal:
    return Decimal(f"{min(max(value, 0.0), 100.0):.2f}")


def band(index: float) -> int:
    """0 green, 1 amber, 2 red for a performance index (default thresholds)."""
    return 0 if index >= 0.95 else 1 if index >= 0.85 else 2


def spread(total: int, buckets: int) -> list[int]:
    """`total` split as evenly as possible into `buckets` whole numbers."""
    base, extra = divmod(total, buckets)
    return [base + (1 if i < extra else 0) for i in range(buckets)]


def scale_exists() -> bool:
    return Portfolio.objects.filter(code__startswith=PREFIX).exists()


# ---------------------------------------------------------------------------------------------
# Removal
# ---------------------------------------------------------------------------------------------


def purge(queryset, depth=0) -> int:
    """Delete the rows and everything that cascades from them with set-based SQL.

    QuerySet.delete() would load every row and send signals (django-simple-history writes a
    history row per deleted project, report and risk), which takes minutes at 500k rows. Here
    each related table gets one DELETE (or UPDATE for SET_NULL) with a subquery. PROTECT is
    treated like CASCADE: only scale rows are purged, and they only reference scale rows.
    """
    if depth > 12:
        raise RuntimeError(f"purge: relations nested too deep at {queryset.model}")
    deleted = 0
    for rel in queryset.model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete) or rel.many_to_many:
            continue  # reverse one-to-many / one-to-one only; M2M go through their tables
        on_delete = rel.on_delete
        if on_delete is models.DO_NOTHING:
            continue
        keys = queryset.values(rel.field.target_field.name)  # usually the primary key
        related = rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": keys})
        if on_delete is models.SET_NULL:
            related.update(**{rel.field.name: None})
        elif on_delete in (models.CASCADE, models.PROTECT, models.RESTRICT):
            deleted += purge(related, depth + 1)
        else:
            raise RuntimeError(f"purge: unsupported on_delete for {rel}")
    return deleted + queryset._raw_delete(queryset.db)


def delete_scale_data() -> int:
    User = get_user_model()
    deleted = purge(Portfolio.objects.filter(code__startswith=PREFIX))
    deleted += purge(Resource.objects.filter(email__endswith=EMAIL_DOMAIN))
    deleted += purge(User.objects.filter(username__startswith=PREFIX))
    return deleted


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------


@dataclass
class ScaleGenerator:
    projects: int = 10_000
    portfolios: int = 10
    seed: int = 2026
    today: date = field(default_factory=timezone.localdate)
    batch_size: int = BATCH_SIZE
    counts: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.this_month = month_start(self.today)
        self.now = timezone.now()

    # -- helpers ------------------------------------------------------------------------------
    def insert(self, model, objs):
        if objs:
            model._default_manager.bulk_create(objs, batch_size=self.batch_size)
            self.counts[model._meta.label] += len(objs)
        return objs

    def stream(self, model, objs):
        """bulk_create an iterable in batches without holding it all in memory."""
        buffer = []
        for obj in objs:
            buffer.append(obj)
            if len(buffer) >= self.batch_size:
                self.insert(model, buffer)
                buffer = []
        self.insert(model, buffer)

    def month(self, offset: int) -> date:
        return add_months(self.this_month, offset)

    @staticmethod
    def at(day: date) -> datetime:
        return datetime.combine(day, time(10, 0), tzinfo=UTC)

    # -- the run ------------------------------------------------------------------------------
    def run(self) -> Counter:
        with transaction.atomic():
            self.reference_data()
            self.make_users()
            self.make_portfolios()
            self.make_people()
            self.make_projects()
            self.make_project_children()
            self.make_risks()
            self.make_allocations()
            self.make_dependencies_and_gates()
        return self.counts

    def reference_data(self):
        existing = set(Role.objects.filter(name__in=ROLE_NAMES).values_list("name", flat=True))
        self.insert(
            Role,
            [
                Role(name=n, default_cost_rate=Decimal(ROLE_RATES[n]))
                for n in ROLE_NAMES
                if n not in existing
            ],
        )
        self.roles = list(Role.objects.filter(name__in=ROLE_NAMES).values_list("pk", "name"))
        existing = set(Skill.objects.filter(name__in=SKILLS).values_list("name", flat=True))
        self.insert(Skill, [Skill(name=n) for n in SKILLS if n not in existing])
        self.skill_ids = list(Skill.objects.filter(name__in=SKILLS).values_list("pk", flat=True))
        self.calendar, _ = Calendar.objects.get_or_create(
            name="Standard", defaults={"hours_per_day": Decimal("8")}
        )

    def make_users(self):
        User = get_user_model()
        count = max(2 * self.portfolios, self.projects // 50)
        unusable = make_password(None)  # scale users cannot log in
        users = self.insert(
            User,
            [
                User(
                    username=f"{PREFIX}pm-{i:05d}",
                    first_name=self.rng.choice(FIRST_NAMES),
                    last_name=self.rng.choice(LAST_NAMES),
                    email=f"pm{i:05d}{EMAIL_DOMAIN}",
                    password=unusable,
                )
                for i in range(1, count + 1)
            ],
        )
        self.user_ids = [u.pk for u in users]

    def make_portfolios(self):
        rng, n_pf = self.rng, self.portfolios
        portfolios = self.insert(
            Portfolio,
            [
                Portfolio(
                    code=f"{PREFIX}{i:02d}",
                    name=f"Scale portfolio {i:02d}",
                    description="Synthetic data for load and performance testing.",
                    budget_envelope=Decimal(rng.randrange(50, 500) * 1_000_000),
                    fiscal_year_start_month=rng.choice([1, 1, 4, 7, 10]),
                )
                for i in range(1, n_pf + 1)
            ],
        )
        self.portfolio_ids = [p.pk for p in portfolios]
        self.insert(
            PortfolioMembership,
            [
                PortfolioMembership(
                    user_id=self.user_ids[(2 * i + k) % len(self.user_ids)],
                    portfolio_id=pid,
                    role=role,
                )
                for i, pid in enumerate(self.portfolio_ids)
                for k, role in enumerate(("portfolio_manager", "executive"))
            ],
        )
        per_portfolio = max(1, min(5, self.projects // (n_pf * 40)))
        programs = self.insert(
            Program,
            [
                Program(
                    portfolio_id=pid,
                    name=f"{THEMES[(i * 5 + k) % len(THEMES)]} programme",
                    manager_id=rng.choice(self.user_ids),
                )
                for i, pid in enumerate(self.portfolio_ids)
                for k in range(per_portfolio)
            ],
        )
        self.programs = {pid: [] for pid in self.portfolio_ids}
        for program in programs:
            self.programs[program.portfolio_id].append(program.pk)
        active_from = date(self.today.year - 1, 1, 1)
        objectives = self.insert(
            StrategicObjective,
            [
                StrategicObjective(
                    portfolio_id=pid, name=name, weight=Decimal(weight), active_from=active_from
                )
                for pid in self.portfolio_ids
                for name, weight in zip(OBJECTIVES, WEIGHTS, strict=True)
            ],
        )
        criteria = self.insert(
            ScoringCriterion,
            [
                ScoringCriterion(
                    portfolio_id=pid,
                    name=name,
                    weight=Decimal(weight),
                    direction=direction,
                    anchors={"1": "Very low", "3": "Moderate", "5": "Very high"},
                )
                for pid in self.portfolio_ids
                for (name, direction), weight in zip(CRITERIA, WEIGHTS, strict=True)
            ],
        )
        self.objectives = {pid: [] for pid in self.portfolio_ids}
        for objective in objectives:
            self.objectives[objective.portfolio_id].append(objective.pk)
        self.criteria = {pid: [] for pid in self.portfolio_ids}
        for criterion in criteria:
            self.criteria[criterion.portfolio_id].append(criterion.pk)
        self.insert(
            Scenario,
            [
                Scenario(
                    portfolio_id=p.pk,
                    name="Next year plan",
                    budget_limit=p.budget_envelope,
                    description="Synthetic scenario.",
                    created_by_id=self.user_ids[0],
                )
                for p in portfolios
            ],
        )

    def make_people(self):
        rng = self.rng
        count = max(20, self.projects // 5)
        people = []
        for i in range(1, count + 1):
            # every role has someone; the rest are drawn at random
            role_id, role_name = (
                self.roles[i - 1] if i <= len(self.roles) else rng.choice(self.roles)
            )
            rate = ROLE_RATES[role_name] * rng.uniform(0.85, 1.15)
            people.append(
                Resource(
                    name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    email=f"person{i:05d}{EMAIL_DOMAIN}",
                    role_id=role_id,
                    calendar_id=self.calendar.pk,
                    fte=Decimal(rng.choice(["1", "1", "1", "0.8", "0.6"])),
                    cost_rate=money(rate),
                    start_date=self.month(-rng.randint(12, 60)),
                )
            )
        self.insert(Resource, people)
        self.people = [(p.pk, p.role_id) for p in people]
        through = Resource.skills.through
        self.insert(
            through,
            [
                through(resource_id=pk, skill_id=skill)
                for pk, _ in self.people
                for skill in rng.sample(self.skill_ids, rng.randint(0, 2))
            ],
        )
        adjustments = []
        for pk, _ in rng.sample(self.people, len(self.people) // 4):
            start = self.today + timedelta(days=rng.randint(-90, 180))
            adjustments.append(
                CapacityAdjustment(
                    resource_id=pk,
                    kind=rng.choice(["leave", "leave", "training"]),
                    start_date=start,
                    end_date=start + timedelta(days=rng.randint(1, 14)),
                    note="Synthetic leave",
                )
            )
        self.insert(CapacityAdjustment, adjustments)

    def stages(self) -> list[str]:
        n = self.projects
        stages = [stage for stage, share in STAGE_MIX for _ in range(n * share // 100)]
        stages += ["in_progress"] * (n - len(stages))
        self.rng.shuffle(stages)
        return stages

    def make_projects(self):
        """Projects with their dates and a target SPI/CPI; children are generated later."""
        rng, n = self.rng, self.projects
        stages = self.stages()
        started = [i for i, s in enumerate(stages) if s in STARTED]
        report_counts = dict(zip(started, spread(12 * n, len(started)), strict=True))
        self.plans = []
        projects = []
        for i, stage in enumerate(stages):
            pid = self.portfolio_ids[i % self.portfolios]
            plan = {"stage": stage, "portfolio": pid, "reports": report_counts.get(i, 0)}
            slip = rng.choice([0, 0, 0, 0, 14, 30, 45, 60, 90])
            if stage in STARTED:
                k = plan["reports"]
                if stage == "closed":
                    last = self.month(-rng.randint(1, 4))
                    first = add_months(last, -k + 1)
                    start = add_months(first, -rng.randint(0, 3))
                    end = month_end(last)
                    baseline_end = max(start, end - timedelta(days=slip))
                else:
                    first, last = self.month(-k), self.month(-1)
                    start = add_months(first, -rng.randint(0, 6))
                    ahead = {"closing": (0, 1)}.get(stage, (1, 18))
                    baseline_end = month_end(self.month(rng.randint(*ahead)))
                    end = baseline_end + timedelta(days=slip)
                plan.update(
                    report_months=(first, last),
                    spi=min(max(rng.gauss(0.95, 0.1), 0.55), 1.15),
                    cpi=min(max(rng.gauss(0.96, 0.09), 0.6), 1.2),
                )
                if stage == "closed":
                    plan["spi"] = 1.0
            else:
                lead = {"approved": (1, 3)}.get(stage, (2, 12))
                start = self.month(rng.randint(*lead))
                baseline_end = month_end(add_months(start, rng.randint(3, 18)))
                end = baseline_end + timedelta(days=slip if stage == "approved" else 0)
            baselined = stage not in PIPELINE
            budget = rng.choice([1, 2, 3, 5, 8, 13, 21]) * rng.randint(40, 160) * 1000
            programs = self.programs[pid]
            plan.update(
                start=start,
                baseline_end=baseline_end,
                end=end,
                budget=budget,
                slip=slip,
                baselined=baselined,
            )
            self.plans.append(plan)
            projects.append(
                Project(
                    portfolio_id=pid,
                    program_id=rng.choice(programs) if rng.random() < 0.9 else None,
                    code=f"SC-{i + 1:05d}",
                    name=f"{rng.choice(THEMES)} {rng.choice(THINGS)} {i + 1}",
                    stage=stage,
                    manager_id=rng.choice(self.user_ids),
                    sponsor_id=rng.choice(self.user_ids),
                    start_date=start,
                    end_date=end,
                    baseline_start=start if baselined else None,
                    baseline_end=baseline_end if baselined else None,
                    baseline_set_at=self.at(start - timedelta(days=7)) if baselined else None,
                    budget=Decimal(budget),
                    expected_benefit=Decimal(budget * rng.randint(1, 4)),
                    annual_benefit=Decimal(budget * rng.randint(3, 9) // 10)
                    if not baselined
                    else Decimal(0),
                    annual_cost=Decimal(budget // 10) if not baselined else Decimal(0),
                    is_mandatory=rng.random() < 0.05,
                )
            )
        self.insert(Project, projects)
        for plan, project in zip(self.plans, projects, strict=True):
            plan["pk"] = project.pk
            plan["manager"] = project.manager_id

    def planned(self, plan, day: date) -> float:
        """Planned % at `day`: linear, as the four equally weighted, evenly spaced milestones
        make the piecewise-linear PV of projects/evm.py."""
        start, end = plan["start"], plan["baseline_end"]
        if day <= start:
            return 0.0
        if day >= end:
            return 100.0
        return 100.0 * (day - start).days / (end - start).days

    def make_project_children(self):
        rng = self.rng
        started = [p for p in self.plans if p["stage"] in STARTED]
        cost_counts = spread(20 * self.projects, len(started))
        for plan, costs in zip(started, cost_counts, strict=True):
            plan["costs"] = costs
        self.stream(Milestone, self.milestones())
        self.stream(StatusReport, self.reports(started))
        self.stream(CostEntry, self.cost_entries(started))
        self.stream(
            ProjectScore,
            (
                ProjectScore(
                    project_id=plan["pk"],
                    criterion_id=criterion,
                    score=rng.randint(1, 5),
                    scored_by_id=plan["manager"],
                )
                for plan in self.plans
                for criterion in self.criteria[plan["portfolio"]]
            ),
        )
        self.stream(
            ObjectiveContribution,
            (
                ObjectiveContribution(
                    project_id=plan["pk"],
                    objective_id=objective,
                    contribution=rng.choice([0, 1, 1, 2, 2, 3]),
                )
                for plan in self.plans
                for objective in self.objectives[plan["portfolio"]]
            ),
        )

    def milestones(self):
        for plan in self.plans:
            span = (plan["baseline_end"] - plan["start"]).days
            started = plan["stage"] in STARTED
            for sequence, (name, position) in enumerate(MILESTONES, start=1):
                baseline = plan["start"] + timedelta(days=round(span * position))
                forecast = baseline + timedelta(days=round(plan["slip"] * position))
                done = started and (plan["stage"] == "closed" or forecast < self.today)
                yield Milestone(
                    project_id=plan["pk"],
                    name=name,
                    sequence=sequence,
                    weight=Decimal(25),
                    baseline_date=baseline if plan["baselined"] else None,
                    forecast_date=forecast,
                    actual_date=forecast if done else None,
                    status="done"
                    if done
                    else "in_progress"
                    if baseline < self.today
                    else "planned",
                )

    def reports(self, started):
        rng = self.rng
        for plan in started:
            first, last = plan["report_months"]
            # As in the demo: the latest report's % complete gives today's SPI as planned.
            if plan["stage"] == "closed":
                final = 100.0
            else:
                final = min(100.0, self.planned(plan, self.today) * plan["spi"])
            last_planned = self.planned(plan, month_end(last)) or 1.0
            plan["final"] = final
            # SPI as the selector will see it (the % complete is capped at 100)
            planned_today = self.planned(plan, self.today)
            spi = final / planned_today if planned_today else plan["spi"]
            spi_band, cpi_band = band(round(spi, 3)), band(round(plan["cpi"], 3))
            computed = max(spi_band, cpi_band)
            draw = rng.random()
            if draw < 0.02 and computed == 2:
                reported = 0  # watermelon: green outside, red inside
            elif draw < 0.12:
                reported = max(0, computed - 1)
            elif draw < 0.15:
                reported = min(2, computed + 1)
            else:
                reported = computed
            plan["computed"] = RAGS[computed]
            dims = [RAGS[spi_band], RAGS[cpi_band]] + [
                RAGS[0 if rng.random() < 0.85 else 1] for _ in range(3)
            ]
            month, count, index = first, plan["reports"], 0
            while month <= last:
                period_end = month_end(month)
                early = index < count // 2
                overall = max(0, reported - 1) if early else reported
                percent = final * self.planned(plan, period_end) / last_planned
                if month == last:
                    percent = final
                yield StatusReport(
                    project_id=plan["pk"],
                    period_start=month,
                    period_end=period_end,
                    state="submitted",
                    overall_rag=RAGS[overall],
                    schedule_rag="green" if early else dims[0],
                    budget_rag="green" if early else dims[1],
                    scope_rag=dims[2],
                    quality_rag=dims[3],
                    risk_rag=dims[4],
                    percent_complete=pct(percent),
                    forecast_end=plan["end"],
                    summary=RAG_NARRATIVE[RAGS[overall]],
                    created_by_id=plan["manager"],
                    submitted_by_id=plan["manager"],
                    submitted_at=self.at(min(period_end + timedelta(days=3), self.today)),
                )
                month = add_months(month, 1)
                index += 1

    def cost_entries(self, started):
        rng = self.rng
        for plan in started:
            first = plan["report_months"][0]
            last_day = self.today
            if plan["stage"] == "closed":
                last_day = month_end(plan["report_months"][1])
            days = max(1, (last_day - first).days)
            earned = plan["budget"] * plan["final"] / 100
            actual = earned / plan["cpi"]
            shares = [rng.random() + 0.2 for _ in range(plan["costs"])]
            total = sum(shares)
            for share in shares:
                yield CostEntry(
                    project_id=plan["pk"],
                    date=first + timedelta(days=rng.randint(0, days)),
                    amount=money(actual * share / total),
                    category=rng.choice(COST_CATEGORIES),
                    description="Synthetic actuals",
                    created_by_id=plan["manager"],
                )

    def make_risks(self):
        rng, n = self.rng, self.projects
        total = 3 * n
        n_portfolio = min(total, max(self.portfolios, total // 20))
        by_portfolio = {pid: [] for pid in self.portfolio_ids}
        for plan in self.plans:
            by_portfolio[plan["portfolio"]].append(plan["pk"])

        def risk(**kwargs):
            p, i = rng.randint(1, 5), rng.randint(1, 5)
            status = rng.choice(["open"] * 6 + ["monitoring"] * 2 + ["closed"])
            return Risk(
                title=rng.choice(RISK_TITLES),
                category=rng.choice(RISK_CATEGORIES),
                probability=p,
                impact=i,
                cost_impact=Decimal(rng.randint(1, 500) * 1000),
                response=rng.choice(["mitigate", "mitigate", "accept", "avoid", "transfer"]),
                status=status,
                closed_at=self.now if status == "closed" else None,
                due_date=self.today + timedelta(days=rng.randint(-30, 180)),
                **kwargs,
            )

        portfolio_risks = self.insert(
            Risk,
            [
                risk(
                    portfolio_id=self.portfolio_ids[k % self.portfolios],
                    owner_id=rng.choice(self.user_ids),
                )
                for k in range(n_portfolio)
            ],
        )
        through = Risk.threatened_projects.through
        self.stream(
            through,
            (
                through(risk_id=r.pk, project_id=project)
                for r in portfolio_risks
                for project in rng.sample(
                    by_portfolio[r.portfolio_id],
                    min(len(by_portfolio[r.portfolio_id]), rng.randint(2, 6)),
                )
            ),
        )
        targets = {pid: [] for pid in self.portfolio_ids}
        for r in portfolio_risks:
            targets[r.portfolio_id].append(r.pk)

        def project_risks():
            for _ in range(total - n_portfolio):
                plan = self.plans[rng.randrange(n)]
                obj = risk(
                    portfolio_id=plan["portfolio"], project_id=plan["pk"], owner_id=plan["manager"]
                )
                if rng.random() < 0.02 and targets[plan["portfolio"]]:
                    obj.status = "escalated"
                    obj.closed_at = None
                    obj.escalated_to_id = rng.choice(targets[plan["portfolio"]])
                    obj.escalated_by_id = plan["manager"]
                    obj.escalated_at = self.now
                    obj.escalation_reason = "Threatens other projects in the portfolio."
                yield obj

        self.stream(Risk, project_risks())

    def make_allocations(self):
        rng = self.rng
        eligible = [p for p in self.plans if p["stage"] not in PIPELINE | {"closed", "cancelled"}]
        window_start, window_end = self.month(-6), self.month(12)

        def allocations():
            for _ in range(5 * self.projects):
                plan = rng.choice(eligible)
                first = max(month_start(plan["start"]), window_start)
                last = min(month_start(plan["end"]), window_end)
                if last < first:
                    first = last = month_start(plan["start"])
                months = month_count(first, last) - 1
                a = rng.randint(0, months)
                b = rng.randint(a, min(months, a + 6))
                if rng.random() < 0.1:
                    resource_id, role_id = None, rng.choice(self.roles)[0]
                    status = "requested"
                else:
                    resource_id, role_id = rng.choice(self.people)
                    status = rng.choice(["confirmed"] * 16 + ["requested"] * 3 + ["rejected"])
                hours = rng.random() < 0.05
                yield Allocation(
                    project_id=plan["pk"],
                    role_id=role_id,
                    resource_id=resource_id,
                    start_month=add_months(first, a),
                    end_month=add_months(first, b),
                    unit="hours" if hours else "fte",
                    amount=Decimal(rng.randint(10, 80))
                    if hours
                    else Decimal(rng.choice(["0.1", "0.2", "0.25", "0.3", "0.4", "0.5"])),
                    status=status,
                    requested_by_id=plan["manager"],
                    decided_by_id=None if status == "requested" else self.user_ids[0],
                    decided_at=None if status == "requested" else self.now,
                )

        self.stream(Allocation, allocations())

    def make_dependencies_and_gates(self):
        rng = self.rng
        by_portfolio = {pid: [] for pid in self.portfolio_ids}
        for plan in self.plans:
            if plan["stage"] not in PIPELINE:
                by_portfolio[plan["portfolio"]].append(plan)
        pairs, dependencies = set(), []
        candidates = [plans for plans in by_portfolio.values() if len(plans) >= 2]
        attempts = 0
        while candidates and len(dependencies) < self.projects // 10 and attempts < self.projects:
            attempts += 1
            pred, succ = rng.sample(rng.choice(candidates), 2)
            if (pred["pk"], succ["pk"]) in pairs:
                continue
            pairs.add((pred["pk"], succ["pk"]))
            dependencies.append(
                ProjectDependency(
                    predecessor_id=pred["pk"],
                    successor_id=succ["pk"],
                    kind=rng.choice(["finish_to_start", "shared_deliverable"]),
                    deliverable=f"{rng.choice(THEMES)} {rng.choice(DELIVERABLES)}",
                    needed_by=pred["end"] + timedelta(days=rng.randint(-60, 60)),
                )
            )
        self.insert(ProjectDependency, dependencies)
        gate = {
            "approved": ("candidate", "go"),
            "on_hold": ("in_progress", "hold"),
            "cancelled": ("in_progress", "no_go"),
            "closed": ("closing", "go"),
        }
        self.insert(
            GateDecision,
            [
                GateDecision(
                    project_id=plan["pk"],
                    from_stage=gate[plan["stage"]][0],
                    to_stage=plan["stage"],
                    outcome=gate[plan["stage"]][1],
                    decided_by_id=plan["manager"],
                    decided_on=self.today - timedelta(days=rng.randint(5, 90)),
                    rationale="Synthetic gate decision.",
                )
                for plan in self.plans
                if plan["stage"] in gate
            ],
        )
        # Cache computed health as the health task would.
        for health in RAGS:
            pks = [p["pk"] for p in self.plans if p.get("computed") == health]
            for chunk in range(0, len(pks), self.batch_size):
                Project.objects.filter(pk__in=pks[chunk : chunk + self.batch_size]).update(
                    computed_health=health, health_computed_at=self.now
                )


def generate(*, projects=10_000, portfolios=10, seed=2026, reset=False, log=print):
    """Create the scale data set; returns (created counts, seconds) or None if it exists."""
    started = clock.monotonic()
    if reset:
        with transaction.atomic():
            removed = delete_scale_data()
        log(f"Removed {removed} rows of previous scale data in {clock.monotonic() - started:.1f}s.")
    elif scale_exists():
        return None
    counts = ScaleGenerator(projects=projects, portfolios=portfolios, seed=seed).run()
    return counts, clock.monotonic() - started
