"""The API of strategy and the pipeline (portfolio/api/strategy.py, candidates.py):
objectives, scoring criteria and gate checklists edited as sets, contributions and scores,
candidates and gate decisions. The role × endpoint matrix (tests/api_permissions.py), refusals as
400 naming the field (by row for sets), an edit conflict as 409, token scopes, and query
counts that do not grow with the rows."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from access_tokens import services as token_services
from access_tokens.models import AccessToken, Scope
from portfolio.models import (
    GateCriterion,
    GateCriterionAssessment,
    GateDecision,
    ObjectiveContribution,
    ProjectScore,
    ScoringCriterion,
    StrategicObjective,
)
from projects.models import Project
from resources.models import Allocation
from tests.api_permissions import (
    EDITORS,
    GATE_DECIDERS,
    MANAGERS,
    MEMBERS,
    check_api_read,
    check_api_write,
)
from tests.factories import ObjectiveFactory, ProjectFactory, RoleFactory, UserFactory
from tests.permissions import each_role, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(portfolio):
    return ProjectFactory(portfolio=portfolio, code="LIVE", manager=UserFactory())


@pytest.fixture
def candidate(portfolio, project):
    return ProjectFactory(
        portfolio=portfolio,
        code="CAND",
        stage="candidate",
        manager=project.manager,
        start_date=date(2027, 1, 1),
        end_date=date(2027, 12, 31),
    )


@pytest.fixture
def objectives(portfolio):
    return [
        ObjectiveFactory(portfolio=portfolio, name="Grow", weight=D("50")),
        ObjectiveFactory(portfolio=portfolio, name="Save", weight=D("50")),
    ]


@pytest.fixture
def criterion(portfolio):
    return ScoringCriterion.objects.create(portfolio=portfolio, name="Value", weight=D("100"))


def _as(user):
    api = APIClient()
    api.force_login(user)
    return api


# Objectives -----------------------------------------------------------------------------------


@each_role
def test_objectives_are_read_by_whoever_sees_the_portfolio(role, project, objectives):
    response = check_api_read(
        role, project=project, url=f"/api/objectives/{objectives[0].pk}/",
        readers=MEMBERS,
    )  # fmt: skip
    if role in MEMBERS:
        assert response.json()["is_active"] is True


@each_role
def test_objectives_set_matrix(role, portfolio, project, objectives):
    grow, save = objectives
    response = check_api_write(
        role,
        project=project,
        method="patch",
        url=f"/api/portfolios/{portfolio.code}/objectives/",
        data={"objectives": [{"id": grow.pk, "weight": "60"}, {"id": save.pk, "weight": "40"}]},
        allowed=MANAGERS,
        snapshot=rows(StrategicObjective),
    )
    if role in MANAGERS:
        assert [(o["name"], o["weight"]) for o in response.json()] == [
            ("Grow", "60.00"),
            ("Save", "40.00"),
        ]


def test_objectives_set_refusals_name_the_field_and_row(portfolio, objectives, member_of):
    api = _as(member_of(portfolio, "pmo"))
    url = f"/api/portfolios/{portfolio.code}/objectives/"
    grow, save = objectives
    before = rows(StrategicObjective)()
    response = api.patch(url, {"objectives": [{"id": grow.pk, "weight": "70"}]}, format="json")
    assert response.status_code == 400
    assert "100%" in response.json()["weight"][0]
    response = api.patch(
        url,
        {"objectives": [{"name": "Grow", "weight": "0", "active_from": "2026-01-01"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "name" in response.json()["objectives"]["0"]
    assert rows(StrategicObjective)() == before
    # A new objective starting later does not count towards today's 100 %.
    response = api.patch(
        url,
        {"objectives": [{"name": "Later", "weight": "100", "active_from": "2030-01-01"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert {o["name"] for o in response.json()} == {"Grow", "Save", "Later"}
    assert api.get("/api/objectives/", {"active": "false"}).json()["count"] == 1


# Scoring criteria and scores ----------------------------------------------------------------


@each_role
def test_criteria_set_matrix(role, portfolio, project):
    check_api_write(
        role,
        project=project,
        method="patch",
        url=f"/api/portfolios/{portfolio.code}/scoring-criteria/",
        data={"criteria": [{"name": "Value", "weight": "100", "anchors": {"1": "None"}}]},
        allowed=MANAGERS,
        snapshot=rows(ScoringCriterion),
    )


def test_criteria_set_weights_and_deletes(portfolio, criterion, member_of):
    api = _as(member_of(portfolio, "portfolio_manager"))
    url = f"/api/portfolios/{portfolio.code}/scoring-criteria/"
    response = api.patch(url, {"criteria": [{"name": "Risk", "weight": "20"}]}, format="json")
    assert response.status_code == 400 and "weight" in response.json()
    # A row may not take the name of a criterion it leaves as it is (one name per portfolio).
    response = api.patch(url, {"criteria": [{"name": "value", "weight": "0"}]}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["criteria"]["0"]
    response = api.patch(
        url,
        {"criteria": [{"name": "Risk", "weight": "100", "direction": "lower"}],
         "delete": [criterion.pk]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    assert [(c["name"], c["direction"]) for c in response.json()] == [("Risk", "lower")]
    assert api.get("/api/scoring-criteria/", {"portfolio": portfolio.code}).json()["count"] == 1


@each_role
def test_project_scores_matrix(role, project, criterion):
    response = check_api_write(
        role,
        project=project,
        method="patch",
        url=f"/api/projects/{project.pk}/scores/",
        data={"scores": [{"criterion": criterion.pk, "score": 4}]},
        allowed=MANAGERS,
        snapshot=rows(ProjectScore),
    )
    if role in MANAGERS:
        assert [(s["criterion"], s["score"]) for s in response.json()] == [(criterion.pk, 4)]


def test_scores_refusals_and_clearing(portfolio, project, criterion, other_portfolio, member_of):
    api = _as(member_of(portfolio, "pmo"))
    url = f"/api/projects/{project.pk}/scores/"
    response = api.patch(url, {"scores": [{"criterion": criterion.pk, "score": 6}]}, format="json")
    assert response.status_code == 400 and "scores" in response.json()
    foreign = ScoringCriterion.objects.create(portfolio=other_portfolio, name="X", weight=100)
    response = api.patch(url, {"scores": [{"criterion": foreign.pk, "score": 3}]}, format="json")
    assert response.status_code == 400
    response = api.patch(url, {"scores": [{"criterion": criterion.pk, "score": 2}]}, format="json")
    assert response.status_code == 200
    assert api.get("/api/scores/", {"project": project.pk}).json()["count"] == 1
    response = api.patch(
        url, {"scores": [{"criterion": criterion.pk, "score": None}]}, format="json"
    )
    assert response.status_code == 200 and response.json() == []


# Contributions --------------------------------------------------------------------------------


@each_role
def test_contributions_matrix(role, portfolio, project, objectives):
    response = check_api_write(
        role,
        project=project,
        method="patch",
        url=f"/api/portfolios/{portfolio.code}/contributions/",
        data={"contributions": [
            {"project": project.pk, "objective": objectives[0].pk, "contribution": 3},
        ]},
        allowed=MANAGERS,
        snapshot=rows(ObjectiveContribution),
    )  # fmt: skip
    if role in MANAGERS:
        assert response.json() == {"saved": 1}
        listed = _as(response.wsgi_request.user).get("/api/contributions/").json()["results"]
        assert [(c["project"], c["contribution"]) for c in listed] == [(project.pk, 3)]


def test_contributions_refuse_projects_of_another_portfolio(
    portfolio, objectives, other_portfolio, member_of
):
    stranger = ProjectFactory(portfolio=other_portfolio)
    api = _as(member_of(portfolio, "pmo"))
    response = api.patch(
        f"/api/portfolios/{portfolio.code}/contributions/",
        {"contributions": [{"project": stranger.pk, "objective": objectives[0].pk,
                            "contribution": 2}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "reload the page" in response.json()["non_field_errors"][0]
    response = api.patch(
        f"/api/portfolios/{portfolio.code}/contributions/",
        {"contributions": [{"project": 1, "objective": 1, "contribution": 7}]},
        format="json",
    )
    assert response.status_code == 400 and "contributions" in response.json()
    assert not ObjectiveContribution.objects.exists()


# Gate checklists ------------------------------------------------------------------------------


@each_role
def test_gate_criteria_set_matrix(role, portfolio, project):
    response = check_api_write(
        role,
        project=project,
        method="patch",
        url=f"/api/portfolios/{portfolio.code}/gate-criteria/",
        data={"gate": "approved", "criteria": [{"name": "Business case signed"}]},
        allowed=MANAGERS,
        snapshot=rows(GateCriterion),
    )
    if role in MANAGERS:
        assert [(c["gate"], c["name"], c["position"]) for c in response.json()] == [
            ("approved", "Business case signed", 1)
        ]


def test_gate_criteria_names_stay_unique_per_gate(portfolio, member_of):
    GateCriterion.objects.create(portfolio=portfolio, gate="approved", name="Signed")
    api = _as(member_of(portfolio, "pmo"))
    url = f"/api/portfolios/{portfolio.code}/gate-criteria/"
    response = api.patch(url, {"gate": "approved", "criteria": [{"name": "Signed"}]}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["criteria"]["0"]
    response = api.patch(
        url, {"gate": "in_progress", "criteria": [{"name": "Signed"}]}, format="json"
    )
    assert response.status_code == 200
    assert GateCriterion.objects.count() == 2


# Candidates ------------------------------------------------------------------------------------


@each_role
def test_candidates_are_read_by_whoever_sees_them(role, project, candidate):
    response = check_api_read(
        role, project=project, url=f"/api/candidates/{candidate.pk}/",
        readers=MEMBERS,
    )  # fmt: skip
    if role in MEMBERS:
        assert (response.json()["code"], response.json()["stage"]) == ("CAND", "candidate")


@each_role
def test_candidate_propose_matrix(role, portfolio, project):
    engineer = RoleFactory(name="Engineer")
    response = check_api_write(
        role,
        project=project,
        method="post",
        url="/api/candidates/",
        data={
            "portfolio": portfolio.code,
            "code": "NEW",
            "name": "New idea",
            "stage": "idea",
            "start_date": "2027-01-01",
            "end_date": "2027-06-30",
            "budget": "50000",
            "role_requests": [
                {"role": engineer.pk, "start_month": "2027-01-01", "end_month": "2027-03-01",
                 "fte": "0.5"},
            ],
        },
        allowed=EDITORS,
        snapshot=rows(Project, Allocation),
        refused_status={"outsider": 400},
    )  # fmt: skip
    if role in EDITORS:
        body = response.json()
        assert (body["code"], body["stage"], body["manager"]) == (
            "NEW",
            "idea",
            response.wsgi_request.user.pk,
        )
        assert [(r["role"], r["fte"]) for r in body["role_requests"]] == [(engineer.pk, "0.50")]


def test_candidate_refusals_name_the_field_and_row(portfolio, candidate, member_of):
    api = _as(member_of(portfolio, "pmo"))
    engineer = RoleFactory(name="Engineer")
    response = api.post(
        "/api/candidates/",
        {
            "portfolio": portfolio.code,
            "code": "CAND",
            "name": "Taken",
            "stage": "candidate",
            "start_date": "2027-01-01",
            "end_date": "2027-06-30",
            "role_requests": [
                {"role": engineer.pk, "start_month": "2028-01-01", "end_month": "2028-02-01",
                 "fte": "0.5"},
            ],
        },
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    body = response.json()
    assert "already used" in body["code"][0]
    assert "start_month" in body["role_requests"]["0"]
    response = api.post("/api/candidates/", {"portfolio": "nowhere", "code": "X"}, format="json")
    assert response.status_code == 400 and "portfolio" in response.json()


def _etag(project):
    project.refresh_from_db()
    return f'"project-{project.pk}-v{project.version}"'


@each_role
def test_candidate_edit_matrix(role, project, candidate):
    response = check_api_write(
        role,
        project=project,
        method="patch",
        url=f"/api/candidates/{candidate.pk}/",
        data={"name": "Renamed"},
        headers={"HTTP_IF_MATCH": _etag(candidate)},
        allowed=EDITORS,
        snapshot=rows(Project),
    )
    if role in EDITORS:
        assert response.json()["name"] == "Renamed"
        assert response["ETag"] == _etag(candidate) == f'"project-{candidate.pk}-v2"'


def test_candidate_edit_needs_the_version_read(portfolio, candidate, project, member_of):
    api = _as(member_of(portfolio, "portfolio_manager"))
    url = f"/api/candidates/{candidate.pk}/"
    read = api.get(url)
    assert read["ETag"] == f'"project-{candidate.pk}-v1"'
    before = rows(Project)()
    response = api.patch(url, {"name": "No tag"}, format="json")
    assert response.status_code == 428
    assert rows(Project)() == before
    other = ProjectFactory(portfolio=portfolio, code="OTHER", stage="idea")
    response = api.patch(
        url, {"requires": [other.pk]}, format="json", headers={"If-Match": read["ETag"]}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["requires"] == [other.pk]
    stale = api.patch(url, {"name": "Stale"}, format="json", headers={"If-Match": read["ETag"]})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert stale["ETag"] == f'"project-{candidate.pk}-v2"'
    response = api.patch(
        f"/api/candidates/{other.pk}/",
        {"requires": [candidate.pk]},
        format="json",
        headers={"If-Match": "*"},
    )
    assert response.status_code == 400 and "cycle" in response.json()["requires"][0]
    # A reader is refused for who they are, not for a missing If-Match.
    reader = _as(member_of(portfolio, "executive"))
    assert reader.patch(url, {"name": "X"}, format="json").status_code == 403
    # An approved project is not a candidate any more: not found here.
    assert (
        api.patch(f"/api/candidates/{project.pk}/", {}, headers={"If-Match": "*"}).status_code
        == 404
    )


# Gate decisions -------------------------------------------------------------------------------


def _decision(project, **changes):
    return {
        "project": project.pk,
        "to_stage": "approved",
        "outcome": "hold",
        "decided_on": timezone.localdate().isoformat(),
        "rationale": "Waiting for funding",
        **changes,
    }


@each_role
def test_gate_decision_matrix(role, project, candidate):
    response = check_api_write(
        role,
        project=project,
        method="post",
        url="/api/gate-decisions/",
        data=_decision(candidate),
        allowed=GATE_DECIDERS,
        snapshot=rows(GateDecision, Project),
        refused_status={"outsider": 400},
    )
    if role in GATE_DECIDERS:
        body = response.json()
        assert (body["outcome"], body["result_stage"]) == ("hold", "on_hold")
        assert Project.objects.get(pk=candidate.pk).stage == "on_hold"


@each_role
def test_gate_decisions_are_read_by_whoever_sees_the_project(role, project, candidate):
    decision = GateDecision.objects.create(
        project=candidate,
        from_stage="candidate",
        to_stage="approved",
        outcome="hold",
        decided_by=UserFactory(),
        decided_on=date(2026, 10, 1),
        rationale="Later",
    )
    check_api_read(
        role, project=project, url=f"/api/gate-decisions/{decision.pk}/",
        readers=MEMBERS,
    )  # fmt: skip


def test_gate_decision_with_criteria(portfolio, candidate, member_of):
    signed = GateCriterion.objects.create(portfolio=portfolio, gate="approved", name="Signed")
    api = _as(member_of(portfolio, "executive"))
    response = api.post("/api/gate-decisions/", _decision(candidate, outcome="go"), format="json")
    assert response.status_code == 400
    assert "override reason" in response.json()["override_reason"][0]
    assert not GateDecision.objects.exists()
    response = api.post(
        "/api/gate-decisions/",
        _decision(
            candidate,
            outcome="go",
            assessments=[{"criterion": signed.pk, "status": "met", "evidence": "Minutes"}],
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["result_stage"] == "approved"
    assert body["assessments"] == [
        {
            "criterion": signed.pk,
            "criterion_name": "Signed",
            "status": "met",
            "evidence": "Minutes",
            "evidence_link": "",
        }
    ]
    assert GateCriterionAssessment.objects.count() == 1
    listed = api.get("/api/gate-decisions/", {"outcome": "go"}).json()["results"]
    assert [d["id"] for d in listed] == [body["id"]]


def test_gate_decision_bad_input(portfolio, candidate, member_of):
    api = _as(member_of(portfolio, "pmo"))
    response = api.post(
        "/api/gate-decisions/", _decision(candidate, to_stage="closed"), format="json"
    )
    assert response.status_code == 400 and "to_stage" in response.json()
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = api.post(
        "/api/gate-decisions/", _decision(candidate, decided_on=future), format="json"
    )
    assert response.status_code == 400 and "decided_on" in response.json()
    response = api.post(
        "/api/gate-decisions/", _decision(candidate, version=candidate.version + 5), format="json"
    )
    assert response.status_code == 400
    assert not GateDecision.objects.exists()


# Tokens ---------------------------------------------------------------------------------------


def _bearer(user, scope):
    plaintext = token_services.access_token_create(
        user=user, name="CI", scope=scope, expires_on=timezone.localdate() + timedelta(days=9)
    ).plaintext
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return api


def test_a_read_token_may_not_write_strategy(portfolio, objectives, candidate, member_of):
    api = _bearer(member_of(portfolio, "pmo"), Scope.READ)
    before = rows(StrategicObjective, GateDecision, Project)()
    for method, url, data in (
        ("patch", f"/api/portfolios/{portfolio.code}/objectives/", {"objectives": []}),
        ("post", "/api/gate-decisions/", _decision(candidate)),
        ("post", "/api/candidates/", {}),
        ("patch", f"/api/candidates/{candidate.pk}/", {"version": 1}),
    ):
        assert getattr(api, method)(url, data, format="json").status_code == 403, url
    assert rows(StrategicObjective, GateDecision, Project)() == before
    assert api.get("/api/candidates/").status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/api/objectives/", "/api/scoring-criteria/", "/api/contributions/", "/api/scores/",
     "/api/gate-criteria/", "/api/candidates/", "/api/gate-decisions/"],
)  # fmt: skip
def test_expired_and_revoked_tokens_are_refused(portfolio, member_of, url):
    user = member_of(portfolio, "viewer")
    api = _bearer(user, Scope.READ)
    assert api.get(url).status_code == 200
    token = AccessToken.objects.get(user=user)
    AccessToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert api.get(url).status_code == 401
    AccessToken.objects.filter(pk=token.pk).update(
        revoked_at=None,
        created_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert api.get(url).status_code == 401


# Query counts ---------------------------------------------------------------------------------


def _grow(portfolio, n):
    criterion = ScoringCriterion.objects.create(
        portfolio=portfolio, name=f"C{ScoringCriterion.objects.count()}", weight=1
    )
    role = RoleFactory()
    decider = UserFactory()
    for _ in range(n):
        objective = ObjectiveFactory(portfolio=portfolio, weight=1)
        ScoringCriterion.objects.create(portfolio=portfolio, name=objective.name, weight=1)
        GateCriterion.objects.create(portfolio=portfolio, gate="approved", name=objective.name)
        candidate = ProjectFactory(portfolio=portfolio, stage="candidate", manager=decider)
        linked = ProjectFactory(portfolio=portfolio, stage="idea")
        candidate.requires.add(linked)
        candidate.excludes.add(ProjectFactory(portfolio=portfolio, stage="idea"))
        Allocation.objects.create(
            project=candidate, role=role, start_month=date(2027, 1, 1),
            end_month=date(2027, 2, 1), unit="fte", amount=D("0.5"),
        )  # fmt: skip
        ObjectiveContribution.objects.create(project=candidate, objective=objective, contribution=2)
        ProjectScore.objects.create(project=candidate, criterion=criterion, score=3)
        decision = GateDecision.objects.create(
            project=candidate, from_stage="candidate", to_stage="approved", outcome="hold",
            decided_by=decider, decided_on=date(2026, 10, 1), rationale="Later",
        )  # fmt: skip
        GateCriterionAssessment.objects.create(
            decision=decision, criterion_name="Signed", status="met"
        )


@pytest.mark.parametrize(
    "url",
    ["/api/objectives/", "/api/scoring-criteria/", "/api/contributions/", "/api/scores/",
     "/api/gate-criteria/", "/api/candidates/", "/api/gate-decisions/"],
)  # fmt: skip
def test_list_query_counts_do_not_grow(portfolio, member_of, url, django_assert_max_num_queries):
    api = _as(member_of(portfolio, "viewer"))
    _grow(portfolio, 2)
    with CaptureQueriesContext(connection) as few:
        assert api.get(url).status_code == 200
    _grow(portfolio, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get(url)
    assert response.json()["count"] >= 10
