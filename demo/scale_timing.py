"""A timing portfolio at issue 17's bench size for `manage.py seed_scale --timing N`: the
instance `bench.selection --timing-portfolio` loads from the database and solves.

One portfolio (`TIMING_CODE`) of N projects over `months` months from the current one:

- 5 % in progress (started, their start fixed), the rest candidates with a start window of
  1 to `window` months around the planned start; 1 % of the candidates (small ones) are
  mandatory; 20 % have a market window: a target launch month with 5, 10 or 20 % of the
  value lost per month late, or a deadline;
- budgets of 100k to 3M spread over 3 to 18 months, expected benefits of 0.5 to 4 × the
  budget;
- each project asks 1 to 4 of the 20 roles for 16 to 160 hours a month over its whole plan
  (a requested allocation), so its demand moves with its start;
- people per role (full time, the standard calendar) for 60 % of the demand at the planned
  starts in four bottleneck roles and 85 to 130 % in the others, and a yearly envelope of
  55 % of what the planned starts spend a year: the plan as requested does not fit;
- `synergies` groups of 2 to 4 candidates (a value bonus of 10 to 30 % of their benefit, or
  a cost saving of 20 % of the smallest budget) and `sequences` finish-to-start
  dependencies between candidates with a lag of 0 to 2 months.

It lives in a database of its own in `make bench`: capacity is the organisation's, and the
10,000-project data set's committed work already takes all of it. Its rows are scale rows
(the portfolio code, people's e-mails and users' names), removed by `seed_scale --reset`.
"""

from __future__ import annotations

import math
import time as clock
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from core.months import add_months, month_end
from demo.scale import (
    EMAIL_DOMAIN,
    FIRST_NAMES,
    LAST_NAMES,
    PREFIX,
    ROLE_RATES,
    ScaleGenerator,
    scale_exists,
)
from portfolio.models import Portfolio, PortfolioMembership, Synergy
from projects.models import DependencyKind, Project, ProjectDependency
from resources.models import Allocation, Resource

TIMING_CODE = f"{PREFIX}timing"
STANDARD_MONTH_HOURS = 8 * 21  # the sizing of people per role; the loader uses the calendar


class TimingGenerator(ScaleGenerator):
    def __init__(self, *, candidates, months, window, synergies, sequences, seed):
        super().__init__(projects=candidates, portfolios=1, seed=seed)
        self.horizon, self.window = months, window
        self.synergy_count, self.sequence_count = synergies, sequences

    def run(self):
        with transaction.atomic():
            self.reference_data()
            self.make_users()
            self.portfolio = self.insert(
                Portfolio,
                [
                    Portfolio(
                        code=TIMING_CODE,
                        name="Scale timing portfolio",
                        description="Synthetic timing data (issue 17's bench).",
                        budget_envelope=Decimal(0),  # set from the plans below
                    )
                ],
            )[0]
            self.insert(
                PortfolioMembership,
                [
                    PortfolioMembership(
                        user_id=self.user_ids[0],
                        portfolio_id=self.portfolio.pk,
                        role="portfolio_manager",
                    )
                ],
            )
            self.make_timed_projects()
            self.make_people_for_demand()
            self.make_synergies_and_sequences()
        return self.counts

    def make_timed_projects(self):
        rng, horizon = self.rng, self.horizon
        role_ids = [pk for pk, _ in self.roles]
        self.plans, projects, allocations = [], [], []
        for i in range(self.projects):
            duration = rng.randint(3, 18)
            running = rng.random() < 0.05
            planned = -rng.randint(1, 6) if running else rng.randrange(1, horizon - 3)
            start = self.month(planned)
            end = month_end(add_months(start, duration - 1))
            budget = rng.randint(100, 3000) * 1000
            timing = {}
            if not running:
                size = rng.randint(1, self.window)
                first = max(0, min(planned - rng.randint(0, size - 1), horizon - size))
                timing = {
                    "earliest_start": self.month(first),
                    "latest_start": self.month(first + size - 1),
                }
                if rng.random() < 0.2:
                    target = min(horizon - 1, planned + duration - 1 + rng.randint(0, 3))
                    if rng.random() < 0.7:
                        timing["target_launch"] = self.month(target)
                        timing["value_decay_percent"] = Decimal(rng.choice([5, 10, 20]))
                    else:
                        timing["value_deadline"] = self.month(min(horizon - 1, target + 2))
            project = Project(
                portfolio_id=self.portfolio.pk,
                code=f"SC-T{i + 1:04d}",
                name=f"Timed project {i + 1}",
                stage="in_progress" if running else "candidate",
                manager_id=rng.choice(self.user_ids),
                sponsor_id=rng.choice(self.user_ids),
                start_date=start,
                end_date=end,
                baseline_start=start if running else None,
                baseline_end=end if running else None,
                baseline_set_at=self.at(start - timedelta(days=7)) if running else None,
                budget=Decimal(budget),
                expected_benefit=Decimal(round(budget * rng.uniform(0.5, 4), -3)),
                is_mandatory=not running and budget < 1_000_000 and rng.random() < 0.03,
                **timing,
            )
            projects.append(project)
            demand = {
                role: rng.choice([16, 32, 40, 64, 80, 120, 160])
                for role in rng.sample(role_ids, rng.randint(1, 4))
            }
            self.plans.append(
                {"planned": planned, "duration": duration, "budget": budget, "demand": demand}
            )
        self.insert(Project, projects)
        for project, plan in zip(projects, self.plans, strict=True):
            plan["project"] = project
            for role_id, hours in plan["demand"].items():
                allocations.append(
                    Allocation(
                        project_id=project.pk,
                        role_id=role_id,
                        start_month=project.start_date,
                        end_month=add_months(project.start_date, plan["duration"] - 1),
                        unit="hours",
                        amount=Decimal(hours),
                        status="requested",
                        requested_by_id=project.manager_id,
                    )
                )
        self.insert(Allocation, allocations)

    def make_people_for_demand(self):
        """People per role for a share of the demand at the planned starts, and the envelope."""
        rng, horizon = self.rng, self.horizon
        role_hours, spend = defaultdict(float), 0.0
        for plan in self.plans:
            months = [m for m in range(plan["duration"]) if 0 <= plan["planned"] + m < horizon]
            spend += plan["budget"] * len(months) / plan["duration"]
            for role_id, hours in plan["demand"].items():
                role_hours[role_id] += hours * len(months) / horizon
        bottlenecks = set(rng.sample([pk for pk, _ in self.roles], 4))
        people, number = [], 0
        for role_id, role_name in self.roles:
            share = 0.6 if role_id in bottlenecks else rng.uniform(0.85, 1.3)
            for _ in range(max(1, math.ceil(role_hours[role_id] * share / STANDARD_MONTH_HOURS))):
                number += 1
                people.append(
                    Resource(
                        name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                        email=f"timing{number:05d}{EMAIL_DOMAIN}",
                        role_id=role_id,
                        calendar_id=self.calendar.pk,
                        fte=Decimal(1),
                        cost_rate=Decimal(ROLE_RATES[role_name]),
                        start_date=self.month(-24),
                    )
                )
        self.insert(Resource, people)
        envelope = 0.55 * spend / (horizon / 12)
        Portfolio.objects.filter(pk=self.portfolio.pk).update(
            budget_envelope=Decimal(round(envelope, -3))
        )

    def make_synergies_and_sequences(self):
        rng = self.rng
        open_plans = [p for p in self.plans if p["project"].stage == "candidate"]
        synergies, members = [], []
        for number in range(1, self.synergy_count + 1):
            group = rng.sample(open_plans, rng.randint(2, 4))
            saving = rng.random() < 0.3
            benefit = sum(float(p["project"].expected_benefit) for p in group)
            synergies.append(
                Synergy(
                    portfolio_id=self.portfolio.pk,
                    name=f"Synergy {number}",
                    reason="Synthetic: " + ("one shared build." if saving else "one launch."),
                    value_bonus=Decimal(0 if saving else round(benefit * rng.uniform(0.1, 0.3))),
                    cost_saving=Decimal(
                        round(0.2 * min(p["budget"] for p in group)) if saving else 0
                    ),
                )
            )
            members.append(group)
        self.insert(Synergy, synergies)
        through = Synergy.members.through
        self.insert(
            through,
            [
                through(synergy_id=synergy.pk, project_id=plan["project"].pk)
                for synergy, group in zip(synergies, members, strict=True)
                for plan in group
            ],
        )
        pairs, dependencies = set(), []
        mandatory = {p["project"].pk for p in open_plans if p["project"].is_mandatory}
        for _attempt in range(100 * self.sequence_count):  # bounded: few plans, few pairs
            if len(dependencies) == self.sequence_count:
                break
            a, b = rng.sample(open_plans, 2)
            before, after = (a, b) if a["planned"] <= b["planned"] else (b, a)
            pair = (before["project"].pk, after["project"].pk)
            if pair in pairs or pair[::-1] in pairs or pair[1] in mandatory:
                continue
            pairs.add(pair)
            dependencies.append(
                ProjectDependency(
                    predecessor_id=pair[0],
                    successor_id=pair[1],
                    kind=DependencyKind.FINISH_TO_START,
                    deliverable=f"Hand-over {len(dependencies) + 1}",
                    needed_by=after["project"].start_date,
                    lag_months=rng.randint(0, 2),
                )
            )
        self.insert(ProjectDependency, dependencies)


def generate_timing(
    *, candidates=500, months=36, window=12, synergies=50, sequences=50, seed=2026
) -> tuple[dict, float] | None:
    """Create the timing portfolio; (created counts, seconds), or None if it exists. Refused
    (ValueError) beside other scale data, whose committed work would take its capacity."""
    if Portfolio.objects.filter(code=TIMING_CODE).exists():
        return None
    if scale_exists():
        raise ValueError(
            "This database holds scale data: the timing portfolio needs a database of its own "
            "(capacity is the organisation's, and the scale projects' work takes all of it)."
        )
    started = clock.monotonic()
    counts = TimingGenerator(
        candidates=candidates,
        months=months,
        window=window,
        synergies=synergies,
        sequences=sequences,
        seed=seed,
    ).run()
    return counts, clock.monotonic() - started
