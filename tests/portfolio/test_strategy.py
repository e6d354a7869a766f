"""Strategy selectors and services: alignment and ranking on hand-worked numbers,
objective and criterion sets that must weigh 100 %, scores on the 1–5 scale, the
contribution matrix upsert, candidate intake and its "requires" / "excludes" links."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from portfolio import services, strategy
from portfolio.models import (
    ObjectiveContribution,
    ProjectScore,
    RankingSnapshot,
    ScoringCriterion,
    StrategicObjective,
)
from projects.models import Project
from resources.models import Allocation
from tests.factories import (
    MembershipFactory,
    ObjectiveFactory,
    PortfolioFactory,
    ProjectFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)


@pytest.fixture
def manager(portfolio):
    return MembershipFactory(portfolio=portfolio, role="portfolio_manager").user


def contribute(project, objective, level):
    ObjectiveContribution.objects.create(project=project, objective=objective, contribution=level)


def criterion(portfolio, name, weight, direction="higher", **anchors):
    return ScoringCriterion.objects.create(
        portfolio=portfolio,
        name=name,
        weight=Decimal(weight),
        direction=direction,
        anchors=anchors,
    )


def score(project, criterion_, value):
    ProjectScore.objects.create(project=project, criterion=criterion_, score=value)


# --- Strategic alignment ----------------------------------------------------------------


class TestStrategicAlignment:
    @pytest.fixture
    def objectives(self, portfolio):
        start = date(2026, 1, 1)
        return [
            ObjectiveFactory(portfolio=portfolio, name="Growth", weight=50, active_from=start),
            ObjectiveFactory(portfolio=portfolio, name="Cost", weight=30, active_from=start),
            ObjectiveFactory(portfolio=portfolio, name="Risk", weight=20, active_from=start),
        ]

    def test_hand_worked(self, portfolio, objectives, django_assert_num_queries):
        growth, cost, risk = objectives
        # Ended before TODAY: its weight and contributions no longer count.
        retired = ObjectiveFactory(
            portfolio=portfolio,
            name="Old",
            weight=40,
            active_from=date(2025, 1, 1),
            active_until=date(2026, 5, 31),
        )
        strong, even, silent = ProjectFactory.create_batch(3, portfolio=portfolio)
        contribute(strong, growth, 3)
        contribute(strong, cost, 2)
        contribute(strong, retired, 3)
        for objective in objectives:
            contribute(even, objective, 1)
        with django_assert_num_queries(1):
            alignment = strategy.strategic_alignment(
                project_ids=[strong.pk, even.pk, silent.pk], as_of=TODAY
            )
        # strong: (50×3 + 30×2 + 20×0) / (100 × 3) = 210 / 300 = 70 %
        # even:   (50 + 30 + 20) × 1 / 300 = 33.33… → 33.3 %
        # silent: no contributions → 0 %
        assert alignment == {
            strong.pk: Decimal("70.0"),
            even.pk: Decimal("33.3"),
            silent.pk: Decimal("0.0"),
        }

    def test_objective_not_yet_active_does_not_count(self, portfolio, objectives):
        growth = objectives[0]
        future = ObjectiveFactory(
            portfolio=portfolio, name="Later", weight=100, active_from=date(2027, 1, 1)
        )
        project = ProjectFactory(portfolio=portfolio)
        contribute(project, growth, 2)
        contribute(project, future, 3)
        # 50 × 2 / 300 = 33.3 %
        assert strategy.strategic_alignment(project_ids=[project.pk], as_of=TODAY) == {
            project.pk: Decimal("33.3")
        }

    def test_none_without_active_objectives(self, portfolio, other_portfolio, objectives):
        aligned = ProjectFactory(portfolio=portfolio)
        contribute(aligned, objectives[0], 3)
        orphan = ProjectFactory(portfolio=other_portfolio)
        ObjectiveFactory(portfolio=other_portfolio, weight=100, active_until=date(2026, 2, 1))
        alignment = strategy.strategic_alignment(project_ids=[aligned.pk, orphan.pk], as_of=TODAY)
        assert alignment == {aligned.pk: Decimal("50.0"), orphan.pk: None}

    def test_a_queryset_of_ids_gives_the_same_as_the_ids(
        self, portfolio, other_portfolio, objectives, django_assert_num_queries
    ):
        aligned = ProjectFactory(portfolio=portfolio)
        contribute(aligned, objectives[0], 3)
        ProjectFactory(portfolio=portfolio)
        ObjectiveFactory(portfolio=other_portfolio, weight=100, active_until=date(2026, 2, 1))
        ProjectFactory(portfolio=other_portfolio)
        ids = Project.objects.filter(portfolio__in=[portfolio, other_portfolio]).values("pk")
        with django_assert_num_queries(1):  # a subquery, not the ids fetched first
            by_queryset = strategy.strategic_alignment(project_ids=ids, as_of=TODAY)
        by_list = strategy.strategic_alignment(project_ids=[row["pk"] for row in ids], as_of=TODAY)
        assert by_queryset == by_list and len(by_list) == 3
        assert by_list[aligned.pk] == Decimal("50.0")

    def test_each_portfolio_against_its_own_objectives(self, portfolio, other_portfolio):
        mine = ObjectiveFactory(portfolio=portfolio, weight=100)
        theirs = ObjectiveFactory(portfolio=other_portfolio, weight=100)
        a = ProjectFactory(portfolio=portfolio)
        b = ProjectFactory(portfolio=other_portfolio)
        contribute(a, mine, 3)
        contribute(b, theirs, 1)
        assert strategy.strategic_alignment(project_ids=[a.pk, b.pk], as_of=TODAY) == {
            a.pk: Decimal("100.0"),
            b.pk: Decimal("33.3"),
        }


# --- Ranking --------------------------------------------------------------------------------


def test_competition_ranks_share_ties_and_skip():
    ranks = strategy.competition_ranks(
        {1: Decimal("80"), 2: Decimal("50"), 3: Decimal("50"), 4: Decimal("10"), 5: None}
    )
    assert ranks == {1: 1, 2: 2, 3: 2, 4: 4}


class TestRankedProjects:
    @pytest.fixture
    def world(self, portfolio):
        value = criterion(portfolio, "Value", 60)
        risk = criterion(portfolio, "Risk", 40, direction="lower")
        objective = ObjectiveFactory(portfolio=portfolio, weight=100)
        make = ProjectFactory
        alpha = make(
            portfolio=portfolio,
            code="A",
            stage="candidate",
            budget=Decimal("100000"),
            expected_benefit=Decimal("300000"),
            annual_cost=Decimal("20000"),
            annual_benefit=Decimal("90000"),
            is_mandatory=True,
        )
        bravo = make(portfolio=portfolio, code="B", stage="in_progress", budget=Decimal("0"))
        charlie = make(
            portfolio=portfolio, code="C", stage="approved", expected_benefit=Decimal("50000")
        )
        delta = make(portfolio=portfolio, code="D", stage="candidate")  # never scored
        make(portfolio=portfolio, code="E", stage="idea")  # ideas are not ranked
        make(portfolio=portfolio, code="F", stage="closed")
        # Priority = Σ weight × normalised score; higher: (s − 1)/4, lower: (5 − s)/4.
        # A: 60 × 1 + 40 × 1 = 100; B: 60 × 0.5 + 40 × 0.5 = 50; C: 60 × 0.75 + 0 = 45.
        for project, (v, r) in {alpha: (5, 1), bravo: (3, 3), charlie: (4, 5)}.items():
            score(project, value, v)
            score(project, risk, r)
        contribute(alpha, objective, 3)
        contribute(charlie, objective, 1)
        return {"A": alpha, "B": bravo, "C": charlie, "D": delta}

    def rank(self, portfolio, user, **kwargs):
        return strategy.ranked_projects(portfolio=portfolio, user=user, as_of=TODAY, **kwargs)

    def test_hand_worked_ranking(self, portfolio, world, pmo_admin):
        ranking = self.rank(portfolio, pmo_admin)
        rows = {row.code: row for row in ranking.rows}
        assert [row.code for row in ranking.rows] == ["A", "B", "C", "D"]
        assert set(rows) == {"A", "B", "C", "D"}  # not the idea nor the closed project
        assert [rows[c].priority_score for c in "ABC"] == [
            Decimal("100"),
            Decimal("50"),
            Decimal("45"),
        ]
        assert [rows[c].rank for c in "ABCD"] == [1, 2, 3, None]
        assert rows["A"].alignment == Decimal("100.0")
        assert rows["C"].alignment == Decimal("33.3")
        assert rows["B"].alignment == Decimal("0.0")
        assert rows["A"].value_per_cost == Decimal("3.00")  # 300,000 / 100,000
        assert rows["B"].value_per_cost is None  # no budget
        assert rows["C"].value_per_cost == Decimal("0.50")  # 50,000 / 100,000
        assert rows["A"].is_mandatory and rows["A"].annual_benefit == Decimal("90000")
        assert ranking.ranked_count == 3
        assert ranking.previous is None
        assert all(row.rank_change is None and not row.is_new for row in ranking.rows)

    def test_rank_change_against_the_previous_ranking(self, portfolio, world, pmo_admin):
        a, b, d = world["A"], world["B"], world["D"]
        RankingSnapshot.objects.create(
            portfolio=portfolio, taken_on=TODAY, ranks={str(b.pk): 1, str(a.pk): 2, "99999": 3}
        )
        rows = {row.code: row for row in self.rank(portfolio, pmo_admin).rows}
        assert (rows["A"].previous_rank, rows["A"].rank_change) == (2, 1)  # up one
        assert (rows["B"].previous_rank, rows["B"].rank_change) == (1, -1)  # down one
        assert rows["B"].places_moved == 1
        assert rows["C"].is_new and rows["C"].rank_change is None
        assert not rows["D"].is_new  # not ranked now either
        assert d.pk not in {int(pk) for pk in RankingSnapshot.objects.get().ranks}

    def test_sorting_and_stage_filter(self, portfolio, world, pmo_admin):
        by = self.rank
        assert [r.code for r in by(portfolio, pmo_admin, sort="-rank").rows] == [
            "C",
            "B",
            "A",
            "D",
        ]
        # Best value per cost first; a project without one (no budget) last.
        assert [r.code for r in by(portfolio, pmo_admin, sort="value_per_cost").rows] == [
            "A",
            "C",
            "D",
            "B",
        ]
        assert [r.code for r in by(portfolio, pmo_admin, sort="-value_per_cost").rows] == [
            "D",
            "C",
            "A",
            "B",
        ]
        candidates = by(portfolio, pmo_admin, stage="candidate")
        assert [r.code for r in candidates.rows] == ["A", "D"]
        assert candidates.rows[0].rank == 1  # ranks stay portfolio-wide
        assert [r.code for r in by(portfolio, pmo_admin, sort="nonsense").rows] == list("ABCD")

    def test_sort_headers_flip_direction(self, portfolio, world, pmo_admin):
        columns = {c.key: c for c in self.rank(portfolio, pmo_admin, sort="score").columns}
        assert columns["score"].state == "descending" and columns["score"].param == "-score"
        assert columns["rank"].state == "none" and columns["rank"].param == "rank"
        assert columns[""].param == ""  # the change column does not sort
        columns = {c.key: c for c in self.rank(portfolio, pmo_admin).columns}
        assert columns["rank"].state == "ascending" and columns["rank"].param == "-rank"

    def test_rows_are_those_the_user_sees(self, portfolio, world):
        lead = UserFactory()
        Project.objects.filter(pk=world["C"].pk).update(manager=lead)
        ranking = self.rank(portfolio, lead)
        assert [(r.code, r.rank) for r in ranking.rows] == [("C", 3)]

    def test_constant_queries(self, portfolio, world, pmo_admin, django_assert_num_queries):
        # Projects, priority scores, alignment, previous ranking.
        with django_assert_num_queries(4):
            self.rank(portfolio, pmo_admin)


# --- Objectives --------------------------------------------------------------------------------


def objective_row(objective=None, **values):
    row = {
        "id": objective.pk if objective else None,
        "name": objective.name if objective else "New",
        "description": "",
        "weight": objective.weight if objective else Decimal("0"),
        "active_from": objective.active_from if objective else date(2026, 1, 1),
        "active_until": objective.active_until if objective else None,
        "deactivate": False,
    }
    return {**row, **values}


class TestObjectivesSave:
    @pytest.fixture
    def objectives(self, portfolio):
        return [
            ObjectiveFactory(portfolio=portfolio, name="Growth", weight=60),
            ObjectiveFactory(portfolio=portfolio, name="Cost", weight=40),
        ]

    def save(self, portfolio, rows, by):
        return services.objectives_save(portfolio=portfolio, rows=rows, by=by, as_of=TODAY)

    def test_weights_must_add_up_to_100(self, portfolio, objectives, manager):
        growth, cost = objectives
        rows = [objective_row(growth, weight=Decimal("50")), objective_row(cost)]
        with pytest.raises(services.SetValidationError) as refused:
            self.save(portfolio, rows, manager)
        assert refused.value.message_dict == {
            "weight": [
                "The weights of the active objectives add up to 90%; they must add up to 100%."
            ]
        }
        assert StrategicObjective.objects.get(pk=growth.pk).weight == 60

    def test_reweight_add_and_deactivate(self, portfolio, objectives, manager):
        growth, cost = objectives
        rows = [
            objective_row(growth, weight=Decimal("70")),
            objective_row(cost, deactivate=True),
            objective_row(name="Customers", weight=Decimal("30.00")),
        ]
        self.save(portfolio, rows, manager)
        saved = {o.name: o for o in StrategicObjective.objects.filter(portfolio=portfolio)}
        assert saved["Growth"].weight == 70
        assert saved["Cost"].active_until == TODAY - timedelta(days=1)
        assert saved["Customers"].weight == 30

    def test_inactive_weights_do_not_count(self, portfolio, objectives, manager):
        growth, cost = objectives
        rows = [
            objective_row(growth, weight=Decimal("100")),
            objective_row(cost, active_until=date(2026, 3, 1)),
        ]
        self.save(portfolio, rows, manager)
        assert StrategicObjective.objects.get(pk=cost.pk).active_until == date(2026, 3, 1)

    def test_no_active_objectives_is_allowed(self, portfolio, objectives, manager):
        rows = [objective_row(o, deactivate=True) for o in objectives]
        self.save(portfolio, rows, manager)
        alignment = strategy.strategic_alignment(
            project_ids=[ProjectFactory(portfolio=portfolio).pk], as_of=TODAY
        )
        assert list(alignment.values()) == [None]

    def test_row_errors(self, portfolio, objectives, manager):
        growth, cost = objectives
        rows = [
            objective_row(growth, active_until=date(2025, 1, 1)),  # before it starts
            objective_row(cost, name="Growth"),
        ]
        with pytest.raises(services.SetValidationError) as refused:
            self.save(portfolio, rows, manager)
        assert set(refused.value.row_errors) == {0, 1}
        assert refused.value.row_errors[1] == {"name": ["Another row has the same name."]}

    @pytest.mark.parametrize("role", ["executive", "viewer", "resource_manager"])
    def test_readers_refused(self, portfolio, objectives, role):
        reader = MembershipFactory(portfolio=portfolio, role=role).user
        with pytest.raises(PermissionDenied):
            self.save(portfolio, [objective_row(o) for o in objectives], reader)

    def test_objective_of_another_portfolio_refused(self, portfolio, other_portfolio, manager):
        foreign = ObjectiveFactory(portfolio=other_portfolio, weight=100)
        with pytest.raises(ValidationError):
            self.save(portfolio, [objective_row(foreign)], manager)


# --- Contribution matrix -------------------------------------------------------------------


class TestContributionsSave:
    def test_bulk_upsert(self, portfolio, manager):
        growth = ObjectiveFactory(portfolio=portfolio, weight=60, active_from=date(2026, 1, 1))
        cost = ObjectiveFactory(portfolio=portfolio, weight=40, active_from=date(2026, 1, 1))
        a, b = ProjectFactory.create_batch(2, portfolio=portfolio, stage="candidate")
        contribute(a, growth, 1)
        levels = {(a.pk, growth.pk): 3, (a.pk, cost.pk): 0, (b.pk, growth.pk): 2}
        services.contributions_save(portfolio=portfolio, levels=levels, by=manager)
        stored = {
            (c.project_id, c.objective_id): c.contribution
            for c in ObjectiveContribution.objects.all()
        }
        assert stored == levels

    def test_levels_outside_0_to_3_refused(self, portfolio, manager):
        objective = ObjectiveFactory(portfolio=portfolio, weight=100)
        project = ProjectFactory(portfolio=portfolio, stage="candidate")
        with pytest.raises(ValidationError) as refused:
            services.contributions_save(
                portfolio=portfolio, levels={(project.pk, objective.pk): 4}, by=manager
            )
        assert list(refused.value.message_dict) == [f"c-{project.pk}-{objective.pk}"]
        assert not ObjectiveContribution.objects.exists()

    def test_foreign_cells_refused(self, portfolio, other_portfolio, manager):
        objective = ObjectiveFactory(portfolio=portfolio, weight=100)
        foreign = ProjectFactory(portfolio=other_portfolio, stage="candidate")
        closed = ProjectFactory(portfolio=portfolio, stage="closed")
        for project in (foreign, closed):
            with pytest.raises(ValidationError):
                services.contributions_save(
                    portfolio=portfolio, levels={(project.pk, objective.pk): 2}, by=manager
                )
        assert not ObjectiveContribution.objects.exists()

    def test_project_manager_refused(self, portfolio):
        objective = ObjectiveFactory(portfolio=portfolio, weight=100)
        project = ProjectFactory(portfolio=portfolio, stage="candidate", manager=UserFactory())
        with pytest.raises(PermissionDenied):
            services.contributions_save(
                portfolio=portfolio, levels={(project.pk, objective.pk): 3}, by=project.manager
            )


# --- Scoring criteria and scores -----------------------------------------------------------


def criterion_row(criterion_=None, **values):
    row = {
        "id": criterion_.pk if criterion_ else None,
        "name": criterion_.name if criterion_ else "New",
        "description": "",
        "weight": criterion_.weight if criterion_ else Decimal("0"),
        "direction": criterion_.direction if criterion_ else "higher",
        "anchors": criterion_.anchors if criterion_ else {},
    }
    return {**row, **values}


class TestCriteriaSave:
    @pytest.fixture
    def criteria(self, portfolio):
        return [criterion(portfolio, "Value", 70), criterion(portfolio, "Risk", 30, "lower")]

    def test_weights_must_add_up_to_100(self, portfolio, criteria, manager):
        value, risk = criteria
        rows = [criterion_row(value), criterion_row(risk, weight=Decimal("35.5"))]
        with pytest.raises(services.SetValidationError) as refused:
            services.criteria_save(portfolio=portfolio, rows=rows, by=manager)
        assert refused.value.message_dict["weight"] == [
            "The weights of the scoring criteria add up to 105.5%; they must add up to 100%."
        ]

    def test_save_anchors_add_and_delete(self, portfolio, criteria, manager):
        value, risk = criteria
        score(ProjectFactory(portfolio=portfolio), risk, 2)
        rows = [
            criterion_row(value, anchors={"1": " Nothing ", "5": "A lot", "3": ""}),
            criterion_row(name="Urgency", weight=Decimal("30")),
        ]
        services.criteria_save(portfolio=portfolio, rows=rows, delete_ids=[risk.pk], by=manager)
        saved = {c.name: c for c in ScoringCriterion.objects.filter(portfolio=portfolio)}
        assert set(saved) == {"Value", "Urgency"}
        assert saved["Value"].anchors == {"1": "Nothing", "5": "A lot"}
        assert not ProjectScore.objects.exists()  # the removed criterion's scores went too


class TestProjectScoresSave:
    @pytest.fixture
    def criteria(self, portfolio):
        return [criterion(portfolio, "Value", 70), criterion(portfolio, "Risk", 30, "lower")]

    @pytest.mark.parametrize("bad", [0, 6, -1, "3", 2.5, True])
    def test_scores_outside_1_to_5_refused(self, portfolio, criteria, manager, bad):
        project = ProjectFactory(portfolio=portfolio, stage="candidate")
        value, risk = criteria
        with pytest.raises(ValidationError) as refused:
            services.project_scores_save(
                project=project, scores={value.pk: 4, risk.pk: bad}, by=manager
            )
        assert list(refused.value.message_dict) == [f"criterion_{risk.pk}"]
        assert not ProjectScore.objects.exists()
        assert not RankingSnapshot.objects.exists()

    def test_save_update_and_clear(self, portfolio, criteria, manager):
        project = ProjectFactory(portfolio=portfolio, stage="candidate")
        value, risk = criteria
        services.project_scores_save(project=project, scores={value.pk: 4, risk.pk: 2}, by=manager)
        services.project_scores_save(
            project=project, scores={value.pk: 5, risk.pk: None}, by=manager
        )
        stored = list(ProjectScore.objects.values_list("criterion_id", "score", "scored_by"))
        assert stored == [(value.pk, 5, manager.pk)]

    def test_first_scoring_of_the_day_keeps_the_ranking_before_it(
        self, portfolio, criteria, manager
    ):
        value, _ = criteria
        a, b = ProjectFactory.create_batch(2, portfolio=portfolio, stage="candidate")
        score(a, value, 5)
        score(b, value, 3)
        services.project_scores_save(project=b, scores={value.pk: 5}, by=manager)
        services.project_scores_save(project=a, scores={value.pk: 1}, by=manager)
        snapshot = RankingSnapshot.objects.get()  # one per day: the round's starting point
        assert snapshot.taken_on == timezone.localdate()
        assert snapshot.ranks == {str(a.pk): 1, str(b.pk): 2}
        assert snapshot.taken_by == manager
        rows = {
            row.pk: row
            for row in strategy.ranked_projects(portfolio=portfolio, user=manager, as_of=TODAY).rows
        }
        assert (rows[b.pk].rank, rows[b.pk].rank_change) == (1, 1)
        assert (rows[a.pk].rank, rows[a.pk].rank_change) == (2, -1)

    def test_project_manager_may_not_score_own_project(self, portfolio, criteria):
        project = ProjectFactory(portfolio=portfolio, manager=UserFactory())
        with pytest.raises(PermissionDenied):
            services.project_scores_save(
                project=project, scores={criteria[0].pk: 5}, by=project.manager
            )

    def test_criterion_of_another_portfolio_refused(
        self, portfolio, other_portfolio, criteria, manager
    ):
        foreign = criterion(other_portfolio, "Foreign", 100)
        project = ProjectFactory(portfolio=portfolio)
        with pytest.raises(ValidationError):
            services.project_scores_save(project=project, scores={foreign.pk: 3}, by=manager)


# --- Candidate intake ------------------------------------------------------------------------


def business_case(**changes):
    data = {
        "name": "Offline mode",
        "description": "Work offline.",
        "program": None,
        "stage": "candidate",
        "annual_benefit": Decimal("500000"),
        "annual_cost": Decimal("50000"),
        "budget": Decimal("450000"),
        "expected_benefit": Decimal("900000"),
        "start_date": date(2027, 1, 1),
        "end_date": date(2027, 6, 30),
        "is_mandatory": False,
    }
    return {**data, **changes}


class TestCandidatePropose:
    def test_proposer_becomes_manager_and_roles_are_requested(self, portfolio, manager):
        needed = ProjectFactory(portfolio=portfolio, code="PLAT")
        rival = ProjectFactory(portfolio=portfolio, code="RIVAL")
        role = RoleFactory(name="Mobile developer")
        project = services.candidate_propose(
            portfolio=portfolio,
            code=" NEW-1 ",
            data=business_case(),
            requires=[needed],
            excludes=[rival],
            role_requests=[
                {
                    "role": role,
                    "start_month": date(2027, 1, 1),
                    "end_month": date(2027, 3, 1),
                    "fte": Decimal("0.5"),
                }
            ],
            by=manager,
        )
        project.refresh_from_db()
        assert (project.code, project.stage, project.manager) == ("NEW-1", "candidate", manager)
        assert project.annual_benefit == 500000 and project.annual_cost == 50000
        assert list(project.requires.all()) == [needed]
        assert list(rival.excludes.all()) == [project]  # excludes works both ways
        allocation = Allocation.objects.get(project=project)
        assert (allocation.role, allocation.unit, allocation.amount, allocation.status) == (
            role,
            "fte",
            Decimal("0.50"),
            "requested",
        )
        assert allocation.requested_by == manager
        assert project.history.get().history_user == manager

    def test_a_project_manager_of_the_portfolio_may_propose(self, portfolio):
        lead = ProjectFactory(portfolio=portfolio, manager=UserFactory()).manager
        project = services.candidate_propose(
            portfolio=portfolio, code="IDEA-1", data=business_case(stage="idea"), by=lead
        )
        assert project.manager == lead and project.stage == "idea"

    @pytest.mark.parametrize("role", ["executive", "viewer", "resource_manager"])
    def test_readers_may_not_propose(self, portfolio, role):
        reader = MembershipFactory(portfolio=portfolio, role=role).user
        with pytest.raises(PermissionDenied):
            services.candidate_propose(
                portfolio=portfolio, code="X", data=business_case(), by=reader
            )
        assert not Project.objects.exists()

    def test_refusals(self, portfolio, other_portfolio, manager):
        taken = ProjectFactory(portfolio=portfolio, code="TAKEN")
        foreign = ProjectFactory(portfolio=other_portfolio)

        def propose(code="OK", requires=(), excludes=(), **changes):
            with pytest.raises(ValidationError) as refused:
                services.candidate_propose(
                    portfolio=portfolio,
                    code=code,
                    data=business_case(**changes),
                    requires=requires,
                    excludes=excludes,
                    by=manager,
                )
            return refused.value.message_dict

        assert propose(code="TAKEN") == {
            "code": ["The code TAKEN is already used in this portfolio."]
        }
        assert list(propose(stage="approved")) == ["stage"]
        assert list(propose(annual_cost=Decimal("-1"))) == ["annual_cost"]
        assert list(propose(requires=[foreign])) == ["requires"]
        both = propose(requires=[taken], excludes=[taken])
        assert "cannot both require and exclude TAKEN" in both["excludes"][0]
        assert Project.objects.filter(portfolio=portfolio).count() == 1

    def test_role_request_outside_the_project_dates_refused(self, portfolio, manager):
        role = RoleFactory()
        with pytest.raises(services.SetValidationError) as refused:
            services.candidate_propose(
                portfolio=portfolio,
                code="NEW",
                data=business_case(),
                role_requests=[
                    {
                        "role": role,
                        "start_month": date(2027, 1, 1),
                        "end_month": date(2027, 2, 1),
                        "fte": Decimal("1"),
                    },
                    {
                        "role": role,
                        "start_month": date(2027, 5, 1),
                        "end_month": date(2027, 8, 1),
                        "fte": Decimal("0.5"),
                    },
                ],
                by=manager,
            )
        assert list(refused.value.row_errors) == [1]
        assert "Jan 2027 – Jun 2027" in refused.value.row_errors[1]["start_month"][0]
        assert not Project.objects.exists() and not Allocation.objects.exists()


class TestPortfolioManagerFields:
    """Whether the selection must take a project is the portfolio managers' call."""

    def test_a_project_manager_may_not_propose_a_mandatory_project(self, portfolio):
        lead = ProjectFactory(portfolio=portfolio, manager=UserFactory()).manager
        with pytest.raises(ValidationError) as refused:
            services.candidate_propose(
                portfolio=portfolio,
                code="MINE",
                data=business_case(is_mandatory=True),
                by=lead,
            )
        assert list(refused.value.message_dict) == ["is_mandatory"]
        assert not Project.objects.filter(code="MINE").exists()

    def test_a_project_manager_may_not_make_his_candidate_mandatory(self, portfolio):
        project = ProjectFactory(portfolio=portfolio, stage="candidate", manager=UserFactory())
        with pytest.raises(ValidationError) as refused:
            services.candidate_update(
                project=project,
                data={"is_mandatory": True},
                requires=[],
                excludes=[],
                expected_version=project.version,
                by=project.manager,
            )
        assert list(refused.value.message_dict) == ["is_mandatory"]
        project.refresh_from_db()
        assert (project.is_mandatory, project.version) == (False, 1)

    def test_a_project_manager_may_keep_a_mandatory_flag_he_did_not_set(self, portfolio):
        project = ProjectFactory(
            portfolio=portfolio, stage="candidate", manager=UserFactory(), is_mandatory=True
        )
        services.candidate_update(
            project=project,
            data={"is_mandatory": True, "name": "Renamed"},
            requires=[],
            excludes=[],
            expected_version=project.version,
            by=project.manager,
        )
        project.refresh_from_db()
        assert (project.name, project.is_mandatory) == ("Renamed", True)

    def test_a_portfolio_manager_may(self, portfolio, manager):
        project = services.candidate_propose(
            portfolio=portfolio, code="MUST", data=business_case(is_mandatory=True), by=manager
        )
        project.refresh_from_db()
        assert project.is_mandatory


class TestCandidateLinksToHiddenProjects:
    def test_linking_a_project_the_proposer_cannot_see_is_refused(self, portfolio):
        lead = ProjectFactory(portfolio=portfolio, manager=UserFactory()).manager
        hidden = ProjectFactory(portfolio=portfolio, code="HIDDEN")
        with pytest.raises(ValidationError) as refused:
            services.candidate_propose(
                portfolio=portfolio,
                code="MINE",
                data=business_case(),
                requires=[hidden],
                by=lead,
            )
        assert list(refused.value.message_dict) == ["requires"]

    def test_links_to_hidden_projects_are_kept_on_save(self, portfolio):
        project = ProjectFactory(portfolio=portfolio, stage="candidate", manager=UserFactory())
        hidden = ProjectFactory(portfolio=portfolio, code="HIDDEN")
        rival = ProjectFactory(portfolio=portfolio, code="RIVAL")
        project.requires.set([hidden])
        project.excludes.set([rival])
        services.candidate_update(
            project=project,
            data={},
            requires=[],
            excludes=[],
            expected_version=project.version,
            by=project.manager,
        )
        assert list(project.requires.all()) == [hidden]
        assert list(project.excludes.all()) == [rival]


class TestCandidateLinks:
    @pytest.fixture
    def chain(self, portfolio):
        """A requires B requires C."""
        a, b, c = (
            ProjectFactory(portfolio=portfolio, code=code, stage="candidate") for code in "ABC"
        )
        a.requires.set([b])
        b.requires.set([c])
        return a, b, c

    def update(self, project, by, *, requires=(), excludes=()):
        return services.candidate_update(
            project=project,
            data={},
            requires=requires,
            excludes=excludes,
            expected_version=project.version,
            by=by,
        )

    def test_requires_cycle_refused_naming_it(self, chain, manager):
        a, b, c = chain
        with pytest.raises(ValidationError) as refused:
            self.update(c, manager, requires=[a])
        assert refused.value.message_dict == {
            "requires": ["These links would make a “requires” cycle: C → A → B → C."]
        }
        assert not c.requires.exists()

    def test_self_requirement_refused(self, chain, manager):
        a = chain[0]
        with pytest.raises(ValidationError) as refused:
            self.update(a, manager, requires=[a])
        assert refused.value.message_dict["requires"] == ["A project cannot require itself."]

    def test_excluding_a_project_that_requires_it_refused(self, chain, manager):
        a, b, _ = chain
        with pytest.raises(ValidationError) as refused:
            self.update(b, manager, requires=[], excludes=[a])
        assert "cannot both require and exclude A" in refused.value.message_dict["excludes"][0]

    def test_links_saved_with_a_versioned_save(self, chain, manager, portfolio):
        a, b, c = chain
        d = ProjectFactory(portfolio=portfolio, code="D")
        self.update(a, manager, requires=[b, d], excludes=[c])
        a.refresh_from_db()
        assert set(a.requires.values_list("code", flat=True)) == {"B", "D"}
        assert list(c.excludes.all()) == [a]  # both ways
        assert a.version == 2
        assert a.history.first().history_user == manager

    def test_only_ideas_and_candidates(self, portfolio, manager):
        active = ProjectFactory(portfolio=portfolio, stage="in_progress")
        with pytest.raises(ValidationError):
            self.update(active, manager)


def test_requires_cycle_search():
    edges = [(2, 3), (3, 4), (5, 1)]
    assert services.requires_cycle(project_id=1, requires_ids={2}, edges=edges) is None
    assert services.requires_cycle(project_id=4, requires_ids={5}, edges=edges + [(1, 2)]) == [
        4,
        5,
        1,
        2,
        3,
        4,
    ]


def test_strategy_is_per_portfolio(db):
    """Two portfolios' criteria are independent sets: each weighs 100 on its own."""
    first, second = PortfolioFactory(), PortfolioFactory()
    admin = UserFactory(is_superuser=True)
    for portfolio in (first, second):
        services.criteria_save(
            portfolio=portfolio,
            rows=[criterion_row(name="Only", weight=Decimal("100"))],
            by=admin,
        )
    assert ScoringCriterion.objects.count() == 2
