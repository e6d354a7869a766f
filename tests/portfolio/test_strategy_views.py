"""Strategy pages: every write view's role matrix, the refusals as form errors
(weights not adding up to 100, scores off the 1–5 scale, a "requires" cycle), read-only pages
for readers, and query counts that stay the same at 3 and 30 projects."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

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
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    UserFactory,
)
from tests.permissions import check_write_access, each_role, rows, user_in_role

pytestmark = pytest.mark.django_db

MANAGE_PORTFOLIO = ("pmo", "portfolio_manager")  # access.can_manage_portfolio
PROPOSE = ("manager", "pmo", "portfolio_manager")  # access.can_propose


def check_access(client, role, *, allowed, **kwargs):
    """tests.permissions.check_write_access for views whose allowed roles differ from the
    project editors' (the project's manager may not change the portfolio's strategy, an
    executive may take a gate decision)."""
    return check_write_access(client, role, allowed=allowed, **kwargs)


@pytest.fixture
def project(portfolio):
    """A candidate with a manager (the "manager" role of the matrix)."""
    return ProjectFactory(
        portfolio=portfolio,
        code="CAND",
        stage="candidate",
        manager=UserFactory(first_name="Pat", last_name="Manager"),
        start_date=date(2027, 1, 1),
        end_date=date(2027, 12, 31),
    )


@pytest.fixture
def objectives(portfolio):
    return [
        ObjectiveFactory(portfolio=portfolio, name="Growth", weight=60),
        ObjectiveFactory(portfolio=portfolio, name="Cost", weight=40),
    ]


@pytest.fixture
def criteria(portfolio):
    return [
        ScoringCriterion.objects.create(
            portfolio=portfolio, name="Value", weight=70, anchors={"1": "Little", "5": "Huge"}
        ),
        ScoringCriterion.objects.create(
            portfolio=portfolio, name="Risk", weight=30, direction="lower"
        ),
    ]


def purl(name, portfolio, *args):
    return reverse(f"portfolio:{name}", args=[portfolio.code, *args])


def management(prefix, total, initial):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def objectives_data(objectives, weights, new=None):
    data = management("objectives", len(objectives) + 1, len(objectives))
    for index, (objective, weight) in enumerate(zip(objectives, weights, strict=True)):
        data.update(
            {
                f"objectives-{index}-id": objective.pk,
                f"objectives-{index}-name": objective.name,
                f"objectives-{index}-description": "",
                f"objectives-{index}-weight": weight,
                f"objectives-{index}-active_from": "2026-01-01",
                f"objectives-{index}-active_until": "",
            }
        )
    extra = len(objectives)
    for name, value in (new or {}).items():
        data[f"objectives-{extra}-{name}"] = value
    return data


def criteria_data(criteria, weights, **extra_fields):
    data = management("criteria", len(criteria) + 1, len(criteria))
    for index, (criterion, weight) in enumerate(zip(criteria, weights, strict=True)):
        data.update(
            {
                f"criteria-{index}-id": criterion.pk,
                f"criteria-{index}-name": criterion.name,
                f"criteria-{index}-weight": weight,
                f"criteria-{index}-direction": criterion.direction,
                **{
                    f"criteria-{index}-anchor_{level}": criterion.anchors.get(level, "")
                    for level in "12345"
                },
            }
        )
    data.update(extra_fields)
    return data


# --- Role matrix of every write view ------------------------------------------------------


@each_role
def test_objectives_permissions(client, role, portfolio, project, objectives):
    check_access(
        client,
        role,
        allowed=MANAGE_PORTFOLIO,
        project=project,
        url=purl("objectives", portfolio),
        data=objectives_data(objectives, ["50", "50"]),
        snapshot=rows(StrategicObjective),
        success_url=purl("objectives", portfolio),
    )


@each_role
def test_contributions_permissions(client, role, portfolio, project, objectives):
    data = {f"c-{project.pk}-{objectives[0].pk}": "3", f"c-{project.pk}-{objectives[1].pk}": "1"}
    check_access(
        client,
        role,
        allowed=MANAGE_PORTFOLIO,
        project=project,
        url=purl("contributions", portfolio),
        data=data,
        snapshot=rows(ObjectiveContribution),
        success_url=purl("contributions", portfolio),
    )


@each_role
def test_scoring_criteria_permissions(client, role, portfolio, project, criteria):
    check_access(
        client,
        role,
        allowed=MANAGE_PORTFOLIO,
        project=project,
        url=purl("scoring-criteria", portfolio),
        data=criteria_data(criteria, ["60", "40"]),
        snapshot=rows(ScoringCriterion),
        success_url=purl("scoring-criteria", portfolio),
    )


@each_role
def test_project_scores_permissions(client, role, portfolio, project, criteria):
    value, risk = criteria
    check_access(
        client,
        role,
        allowed=MANAGE_PORTFOLIO,
        project=project,
        url=purl("project-scores", portfolio, project.pk),
        data={f"criterion_{value.pk}": "4", f"criterion_{risk.pk}": "2"},
        snapshot=rows(ProjectScore),
        success_url=purl("ranking", portfolio),
    )


def candidate_data(**changes):
    data = {
        "name": "Offline mode",
        "code": "NEW-1",
        "stage": "candidate",
        "program": "",
        "description": "Work offline.",
        "annual_benefit": "500000",
        "annual_cost": "50000",
        "budget": "450000",
        "expected_benefit": "900000",
        "start_date": "2027-01-01",
        "end_date": "2027-06-30",
        **management("roles", 3, 0),
    }
    return {**data, **changes}


@each_role
def test_candidate_create_permissions(client, role, portfolio, project):
    check_access(
        client,
        role,
        allowed=PROPOSE,
        project=project,
        url=purl("candidate-create", portfolio),
        data=candidate_data(),
        snapshot=rows(Project),
        success_url=purl("candidates", portfolio),
    )


def edit_data(project, **changes):
    data = candidate_data(
        name=project.name,
        code=project.code,
        start_date="2027-01-01",
        end_date="2027-12-31",
        version=project.version,
    )
    return {**data, **changes}


@each_role
def test_candidate_edit_permissions(client, role, portfolio, project):
    check_access(
        client,
        role,
        allowed=PROPOSE,
        project=project,
        url=purl("candidate-edit", portfolio, project.pk),
        data=edit_data(project, annual_benefit="750000"),
        snapshot=rows(Project),
        success_url=purl("candidates", portfolio),
    )


def test_a_forged_mandatory_flag_from_a_project_manager_is_ignored(client, portfolio, project):
    client.force_login(project.manager)
    response = client.get(purl("candidate-create", portfolio))
    assert 'name="is_mandatory"' not in response.content.decode()
    response = client.post(
        purl("candidate-create", portfolio), candidate_data(code="MINE", is_mandatory="on")
    )
    assert response.status_code == 302
    assert Project.objects.get(code="MINE").is_mandatory is False
    response = client.post(
        purl("candidate-edit", portfolio, project.pk), edit_data(project, is_mandatory="on")
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.is_mandatory is False


def test_a_portfolio_manager_sets_the_mandatory_flag(client, portfolio, project, member_of):
    client.force_login(member_of(portfolio, "portfolio_manager"))
    response = client.get(purl("candidate-edit", portfolio, project.pk))
    assert 'name="is_mandatory"' in response.content.decode()
    client.post(
        purl("candidate-edit", portfolio, project.pk), edit_data(project, is_mandatory="on")
    )
    project.refresh_from_db()
    assert project.is_mandatory is True


def test_the_candidate_form_offers_only_projects_the_user_sees(client, portfolio, project):
    hidden = ProjectFactory(portfolio=portfolio, code="HIDDEN-1")
    client.force_login(project.manager)
    body = client.get(purl("candidate-edit", portfolio, project.pk)).content.decode()
    assert f'value="{hidden.pk}"' not in body and "HIDDEN-1" not in body


# --- Refusals shown as form errors -----------------------------------------------------------


def test_objective_weights_not_adding_up_refused_with_field_errors(
    client, portfolio, objectives, pmo_admin
):
    client.force_login(pmo_admin)
    response = client.post(
        purl("objectives", portfolio),
        objectives_data(
            objectives,
            ["60", "30"],
            new={"name": "Customers", "weight": "5", "active_from": "2026-01-01"},
        ),
    )
    assert response.status_code == 200
    message = "The weights of the active objectives add up to 95%; they must add up to 100%."
    assert message in response.content.decode()
    forms = response.context["formset"].forms
    assert [form.errors.get("weight") for form in forms] == [
        ["Active weights total 95%, not 100%."]
    ] * 3
    assert sorted(StrategicObjective.objects.values_list("weight", flat=True)) == [40, 60]


def test_new_objective_row_errors(client, portfolio, objectives, pmo_admin):
    client.force_login(pmo_admin)
    response = client.post(
        purl("objectives", portfolio),
        objectives_data(
            objectives,
            ["60", "30"],
            new={"name": "Growth", "weight": "10", "active_from": "2026-01-01"},
        ),
    )
    assert response.status_code == 200
    assert response.context["formset"].forms[2].errors == {
        "name": ["Another row has the same name."]
    }
    assert StrategicObjective.objects.count() == 2


def test_objectives_saved_with_a_new_one(client, portfolio, objectives, pmo_admin):
    client.force_login(pmo_admin)
    response = client.post(
        purl("objectives", portfolio),
        objectives_data(
            objectives,
            ["50", "30"],
            new={"name": "Customers", "weight": "20", "active_from": "2026-01-01"},
        ),
    )
    assert response.status_code == 302
    assert dict(StrategicObjective.objects.values_list("name", "weight")) == {
        "Growth": 50,
        "Cost": 30,
        "Customers": 20,
    }


def test_criteria_weights_refused_with_field_errors(client, portfolio, criteria, pmo_admin):
    client.force_login(pmo_admin)
    response = client.post(
        purl("scoring-criteria", portfolio), criteria_data(criteria, ["70", "20"])
    )
    message = "The weights of the scoring criteria add up to 90%; they must add up to 100%."
    assert response.status_code == 200
    assert message in response.content.decode()
    assert [f.errors.get("weight") for f in response.context["formset"].forms[:2]] == [
        ["Weights total 90%, not 100%."]
    ] * 2
    assert sorted(ScoringCriterion.objects.values_list("weight", flat=True)) == [30, 70]


def test_criterion_removed_with_delete(client, portfolio, criteria, pmo_admin):
    client.force_login(pmo_admin)
    data = criteria_data(criteria, ["100", "30"], **{"criteria-1-delete": "on"})
    response = client.post(purl("scoring-criteria", portfolio), data)
    assert response.status_code == 302
    assert list(ScoringCriterion.objects.values_list("name", "weight")) == [("Value", 100)]


@pytest.mark.parametrize("bad", ["0", "6", "x"])
def test_scores_outside_the_scale_refused(client, portfolio, project, criteria, pmo_admin, bad):
    value, risk = criteria
    client.force_login(pmo_admin)
    response = client.post(
        purl("project-scores", portfolio, project.pk),
        {f"criterion_{value.pk}": "5", f"criterion_{risk.pk}": bad},
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [f"criterion_{risk.pk}"]
    assert not ProjectScore.objects.exists()


def test_scoring_form_shows_the_anchors(client, portfolio, project, criteria, pmo_admin):
    client.force_login(pmo_admin)
    page = client.get(purl("project-scores", portfolio, project.pk)).content.decode()
    assert "1 — Little" in page and "5 — Huge" in page


def test_scores_saved_take_a_ranking_snapshot(client, portfolio, project, criteria, pmo_admin):
    value, risk = criteria
    client.force_login(pmo_admin)
    response = client.post(
        purl("project-scores", portfolio, project.pk),
        {f"criterion_{value.pk}": "5", f"criterion_{risk.pk}": ""},
    )
    assert response.status_code == 302
    assert list(ProjectScore.objects.values_list("criterion_id", "score")) == [(value.pk, 5)]
    assert RankingSnapshot.objects.get().ranks == {}  # nothing was ranked before


def test_contribution_level_off_the_scale_refused(
    client, portfolio, project, objectives, pmo_admin
):
    client.force_login(pmo_admin)
    field = f"c-{project.pk}-{objectives[0].pk}"
    response = client.post(purl("contributions", portfolio), {field: "4"})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ObjectiveContribution.objects.exists()


def test_requires_cycle_refused_on_the_form(client, portfolio, project, pmo_admin):
    other = ProjectFactory(portfolio=portfolio, code="OTHER", stage="candidate")
    other.requires.set([project])
    client.force_login(pmo_admin)
    response = client.post(
        purl("candidate-edit", portfolio, project.pk), edit_data(project, requires=[other.pk])
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "requires": ["These links would make a “requires” cycle: CAND → OTHER → CAND."]
    }
    assert not project.requires.exists()


def test_candidate_with_role_requests(client, portfolio, project, pmo_admin):
    role = RoleFactory(name="Designer")
    client.force_login(pmo_admin)
    data = candidate_data(
        **{
            "requires": [project.pk],
            "roles-0-role": role.pk,
            "roles-0-start_month": "2027-02",
            "roles-0-end_month": "2027-04",
            "roles-0-fte": "0.5",
        }
    )
    response = client.post(purl("candidate-create", portfolio), data)
    assert response.status_code == 302
    created = Project.objects.get(code="NEW-1")
    assert created.manager == pmo_admin and list(created.requires.all()) == [project]
    assert list(Allocation.objects.values_list("start_month", "end_month", "amount")) == [
        (date(2027, 2, 1), date(2027, 4, 1), Decimal("0.50"))
    ]


def test_candidate_form_errors_keep_input(client, portfolio, project, pmo_admin):
    """One submit shows every problem: the role row's FTE beyond the bound and its months
    out of order (parsed by the form) together with the code already taken (the service's)."""
    role = RoleFactory()
    client.force_login(pmo_admin)
    data = candidate_data(
        code="CAND",
        **{
            "roles-0-role": role.pk,
            "roles-0-start_month": "2027-02",
            "roles-0-end_month": "2027-01",
            "roles-0-fte": "150",
        },
    )
    response = client.post(purl("candidate-create", portfolio), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "code": ["The code CAND is already used in this portfolio."]
    }
    assert response.context["roles"].forms[0].errors == {
        "fte": ["Ensure this value is less than or equal to 100."],
        "end_month": ["The last month must not be before the first month."],
    }
    assert 'value="150"' in response.content.decode()  # the input is kept
    assert Project.objects.count() == 1


def test_candidate_form_shows_form_and_service_errors_in_one_submit(
    client, portfolio, project, pmo_admin
):
    """A field the form cannot parse (a negative budget), the dates in the wrong order and a
    role row outside the project's dates (both the service's rules) show together."""
    client.force_login(pmo_admin)
    data = candidate_data(
        name="",
        budget="-5",
        start_date="2027-06-30",
        end_date="2027-01-01",
        **{
            "roles-0-role": RoleFactory().pk,
            "roles-0-start_month": "2026-01",
            "roles-0-end_month": "2026-03",
            "roles-0-fte": "3",
        },
    )
    response = client.post(purl("candidate-create", portfolio), data)
    errors = response.context["form"].errors
    assert set(errors) == {"name", "budget", "end_date"}
    assert errors["name"] == ["This field is required."]  # the form's own, not twice
    assert errors["end_date"] == ["The end date must be on or after the start date."]
    assert Project.objects.count() == 1


def test_candidate_edit_shows_form_and_service_errors_in_one_submit(
    client, portfolio, project, pmo_admin
):
    client.force_login(pmo_admin)
    data = edit_data(project, budget="abc", start_date="2027-06-30", end_date="2027-01-01")
    response = client.post(purl("candidate-edit", portfolio, project.pk), data)
    assert set(response.context["form"].errors) == {"budget", "end_date"}


def test_candidate_role_request_takes_several_fte(client, portfolio, project, pmo_admin):
    role = RoleFactory(name="Developer")
    client.force_login(pmo_admin)
    data = candidate_data(
        **{
            "roles-0-role": role.pk,
            "roles-0-start_month": "2027-02",
            "roles-0-end_month": "2027-04",
            "roles-0-fte": "12.5",
            "roles-1-role": role.pk,
            "roles-1-start_month": "2027-02",
            "roles-1-end_month": "2027-02",
            "roles-1-fte": "100",
        }
    )
    response = client.post(purl("candidate-create", portfolio), data)
    assert response.status_code == 302
    assert sorted(Allocation.objects.values_list("amount", flat=True)) == [
        Decimal("12.50"),
        Decimal("100.00"),
    ]


def test_a_named_person_still_gives_at_most_one_fte(project):
    person = ResourceFactory()
    allocation = Allocation(
        project=project,
        role=person.role,
        resource=person,
        start_month=date(2027, 1, 1),
        end_month=date(2027, 1, 1),
        unit="fte",
        amount=Decimal("1.5"),
    )
    with pytest.raises(ValidationError, match="A person gives at most 1 FTE"):
        allocation.full_clean()
    allocation.resource = None
    allocation.full_clean()  # a role request may ask for 1.5 people
    allocation.amount = Decimal("100.01")
    with pytest.raises(ValidationError):
        allocation.full_clean()


# --- Read-only for readers -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["objectives", "contributions", "scoring-criteria", "ranking", "candidates"]
)
def test_readers_see_pages_without_forms(client, portfolio, project, objectives, criteria, name):
    client.force_login(MembershipFactory(portfolio=portfolio, role="executive").user)
    response = client.get(purl(name, portfolio))
    assert response.status_code == 200
    assert response.content.decode().count('method="post"') == 1  # only "Log out"


def test_reader_sees_scores_read_only(client, portfolio, project, criteria):
    ProjectScore.objects.create(project=project, criterion=criteria[0], score=5)
    client.force_login(MembershipFactory(portfolio=portfolio, role="viewer").user)
    page = client.get(purl("project-scores", portfolio, project.pk)).content.decode()
    assert page.count('method="post"') == 1 and "Huge" in page


def test_candidates_name_only_links_the_user_may_open(client, portfolio, project):
    hidden = ProjectFactory(portfolio=portfolio, code="HIDDEN-1")
    shown = ProjectFactory(portfolio=portfolio, code="SHOWN-1", manager=project.manager)
    project.requires.set([hidden, shown])
    project.excludes.set([ProjectFactory(portfolio=portfolio, code="HIDDEN-2")])
    client.force_login(project.manager)
    page = client.get(purl("candidates", portfolio)).content.decode()
    assert "HIDDEN-1" not in page and "HIDDEN-2" not in page
    assert "SHOWN-1" in page
    assert "and <span" in page and "1 project you cannot open" in page


def test_ranking_counts_hidden_projects_without_naming_them(client, portfolio, project, criteria):
    hidden = ProjectFactory(portfolio=portfolio, code="HIDDEN-1", stage="candidate")
    for ranked in (project, hidden):
        ProjectScore.objects.create(project=ranked, criterion=criteria[0], score=4)
    client.force_login(project.manager)
    page = client.get(purl("ranking", portfolio)).content.decode()
    assert "HIDDEN-1" not in page and "CAND" in page
    assert "includes 1 project you cannot open" in page


def test_outsider_gets_404(client, portfolio, project):
    client.force_login(user_in_role("outsider", project))
    for name in ("objectives", "ranking", "candidates", "pending-gates"):
        assert client.get(purl(name, portfolio)).status_code == 404


# --- Query counts: the same at 3 and 30 projects ---------------------------------------------

# 4 per request: the session, the user, and the user's and their groups' permissions
# (access.is_pmo_admin). Matrix: portfolio, may the user edit (their role), active objectives,
# page count, page rows, stored levels, alignment.
MATRIX_QUERIES = 4 + 7
# Ranking: portfolio, projects with visibility, priority scores, alignment, previous ranking,
# may the user edit (their role).
RANKING_QUERIES = 4 + 6


@pytest.fixture(params=[3, 30], ids=["3-projects", "30-projects"])
def crowd(request, portfolio, objectives, criteria):
    """`n` candidate and active projects, each scored and mapped against every objective,
    a previous ranking, and a portfolio manager to look at them."""
    stages = ["candidate", "approved", "in_progress"]
    projects = Project.objects.bulk_create(
        ProjectFactory.build(
            portfolio=portfolio,
            stage=stages[n % 3],
            manager=UserFactory(),
            budget=Decimal(100000 + n),
        )
        for n in range(request.param)
    )
    ObjectiveContribution.objects.bulk_create(
        ObjectiveContribution(project=p, objective=o, contribution=n % 4)
        for n, p in enumerate(projects)
        for o in objectives
    )
    ProjectScore.objects.bulk_create(
        ProjectScore(project=p, criterion=c, score=n % 5 + 1)
        for n, p in enumerate(projects)
        for c in criteria
    )
    RankingSnapshot.objects.create(
        portfolio=portfolio,
        taken_on=date(2026, 1, 1),
        ranks={str(p.pk): n + 1 for n, p in enumerate(projects)},
    )
    return MembershipFactory(portfolio=portfolio, role="portfolio_manager").user


def test_matrix_queries(client, portfolio, crowd, django_assert_num_queries):
    client.force_login(crowd)
    with django_assert_num_queries(MATRIX_QUERIES):
        response = client.get(purl("contributions", portfolio))
    assert response.status_code == 200
    assert len(response.context["rows"]) == Project.objects.filter(portfolio=portfolio).count()


def test_ranking_queries(client, portfolio, crowd, django_assert_num_queries):
    client.force_login(crowd)
    with django_assert_num_queries(RANKING_QUERIES):
        response = client.get(purl("ranking", portfolio) + "?sort=-alignment&stage=candidate")
    assert response.status_code == 200
    assert response.context["page_obj"].object_list


def test_matrix_is_paginated_by_50(client, portfolio, objectives, pmo_admin):
    Project.objects.bulk_create(
        ProjectFactory.build_batch(55, portfolio=portfolio, stage="candidate")
    )
    client.force_login(pmo_admin)
    first = client.get(purl("contributions", portfolio))
    second = client.get(purl("contributions", portfolio) + "?page=2")
    assert len(first.context["rows"]) == 50 and len(second.context["rows"]) == 5
    # Saving page 2 writes page 2's cells only, and comes back to page 2.
    data = {field.html_name: "2" for _, fields in second.context["rows"] for field in fields}
    response = client.post(purl("contributions", portfolio) + "?page=2", data)
    assert response.status_code == 302 and response.url.endswith("?page=2")
    assert ObjectiveContribution.objects.filter(contribution=2).count() == 5 * 2


def test_candidate_shows_every_problem_at_once(client, portfolio, project, pmo_admin):
    client.force_login(pmo_admin)
    data = candidate_data(
        code="CAND",
        **{
            "roles-0-role": RoleFactory().pk,
            "roles-0-start_month": "2027-05",
            "roles-0-end_month": "2027-09",
            "roles-0-fte": "0.5",
        },
    )
    response = client.post(purl("candidate-create", portfolio), data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["code"]
    assert response.context["roles"].forms[0].errors == {
        "start_month": ["The months must fall within the project's dates (Jan 2027 – Jun 2027)."]
    }
    assert Project.objects.count() == 1
