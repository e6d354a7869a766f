"""The plan endpoints (projects/api, and projects' writes in reporting/api, programs in
portfolio/api): the role × endpoint matrix, tokens (read scope refused on writes, expired and
revoked refused), If-Match on versioned objects, filters and ordering, constant query counts
and the schema."""

from datetime import date
from decimal import Decimal

import pytest

from access_tokens.models import Scope
from core.http_concurrency import etag_for
from portfolio.models import PortfolioMembership
from projects.models import (
    Baseline,
    ChangeRequest,
    Milestone,
    Project,
    ProjectDependency,
)
from tests.api_permissions import (
    ROLES,
    bearer_client,
    check_api_read,
    check_api_write,
    client_as,
    expire_tokens,
    revoke_tokens,
    send,
)
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProgramFactory,
    ProjectFactory,
    UserFactory,
)
from tests.permissions import rows

pytestmark = pytest.mark.django_db

each_role = pytest.mark.parametrize("role", ROLES)
DECIDERS = ("pmo", "portfolio_manager")


@pytest.fixture
def project(portfolio):
    return ProjectFactory(portfolio=portfolio, manager=UserFactory(username="pm"))


@pytest.fixture
def milestone(project):
    return MilestoneFactory(project=project, name="Design signed off")


@pytest.fixture
def change_request(project):
    return ChangeRequest.objects.create(
        project=project, proposed_by=project.manager, budget=Decimal("120000"), reason="Scope"
    )


@pytest.fixture
def predecessor(portfolio, project):
    # Sponsored by the project's manager, who is no member of the portfolio: they see it.
    return ProjectFactory(
        portfolio=portfolio, code="DATA", end_date=date(2026, 9, 30), sponsor=project.manager
    )


@pytest.fixture
def dependency(project, predecessor):
    return ProjectDependency.objects.create(
        predecessor=predecessor, successor=project, needed_by=date(2026, 10, 1)
    )


def _project_url(project, suffix=""):
    return f"/api/projects/{project.pk}/{suffix}"


# Reads ----------------------------------------------------------------------------------------


@each_role
@pytest.mark.parametrize(
    "suffix",
    ["milestones/", "milestones/{milestone}/", "baselines/", "change-requests/", ""],
)
def test_plan_read_permissions(role, project, milestone, change_request, suffix):
    url = _project_url(project, suffix.format(milestone=milestone.pk))
    check_api_read(role, project=project, url=url)


@each_role
def test_dependency_read_permissions(role, project, dependency):
    check_api_read(role, project=project, url=f"/api/dependencies/{dependency.pk}/")


@each_role
def test_program_read_permissions(role, project, portfolio):
    program = ProgramFactory(portfolio=portfolio)
    project.program = program
    project.save()
    # Programs are the portfolio's: its members and its project managers read them.
    check_api_read(role, project=project, url=f"/api/programs/{program.pk}/")


# Writes: projects -----------------------------------------------------------------------------


@each_role
def test_project_create_permissions(role, project, portfolio):
    check_api_write(
        role,
        project=project,
        method="post",
        url="/api/projects/",
        data={
            "portfolio": portfolio.code,
            "code": "NEW-1",
            "name": "New CRM",
            "budget": "50000",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
        },
        snapshot=rows(Project),
        # Proposers: the PMO, portfolio managers and the portfolio's project managers; a
        # portfolio the user cannot see is not a choice.
        refused_status={"outsider": 400},
    )


@each_role
def test_project_update_permissions(role, project):
    check_api_write(
        role,
        project=project,
        method="patch",
        url=_project_url(project),
        data={"name": "Renamed"},
        headers={"HTTP_IF_MATCH": etag_for(project)},
        snapshot=rows(Project),
    )


def test_a_proposal_is_an_idea_managed_by_its_proposer(project, portfolio):
    api = client_as("pmo", project)
    response = api.post(
        "/api/projects/",
        {
            "portfolio": portfolio.code,
            "code": "NEW-1",
            "name": "New CRM",
            "budget": "50000",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = Project.objects.get(code="NEW-1")
    assert created.stage == "idea"
    assert response.json()["manager"] == created.manager_id
    assert response["ETag"] == f'"project-{created.pk}-v1"'
    duplicate = api.post(
        "/api/projects/",
        {
            "portfolio": portfolio.code,
            "code": "NEW-1",
            "name": "Again",
            "budget": "1",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
        },
        format="json",
    )
    assert duplicate.status_code == 400
    assert "code" in duplicate.json()


def test_a_baselined_projects_bac_changes_only_by_change_request(project):
    api = client_as("manager", project)
    response = api.patch(
        _project_url(project),
        {"budget": "1"},
        format="json",
        HTTP_IF_MATCH=etag_for(project),
    )
    assert response.status_code == 400
    assert "change request" in response.json()["budget"][0]
    assert Project.objects.get().budget == Decimal("100000")


def test_a_stage_change_past_a_gate_is_refused(project):
    api = client_as("manager", project)
    response = api.patch(
        _project_url(project), {"stage": "closed"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 400
    assert "gate" in response.json()["stage"][0]


def test_a_stale_project_update_is_412(project):
    api = client_as("manager", project)
    etag = api.get(_project_url(project))["ETag"]
    assert api.patch(_project_url(project), {"name": "A"}, format="json", HTTP_IF_MATCH=etag)
    stale = api.patch(_project_url(project), {"name": "B"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert [change["field"] for change in stale.json()["changes"]] == ["name"]
    assert Project.objects.get().name == "A"


# Writes: milestones ---------------------------------------------------------------------------


@each_role
def test_milestone_create_permissions(role, project):
    check_api_write(
        role,
        project=project,
        method="post",
        url=_project_url(project, "milestones/"),
        data={"name": "Go-live", "weight": "20", "forecast_date": "2026-11-30"},
        snapshot=rows(Milestone),
    )


@each_role
def test_milestone_update_permissions(role, project, milestone):
    check_api_write(
        role,
        project=project,
        method="patch",
        url=_project_url(project, f"milestones/{milestone.pk}/"),
        data={"forecast_date": "2026-07-31"},
        headers={"HTTP_IF_MATCH": etag_for(milestone)},
        snapshot=rows(Milestone),
    )


@each_role
def test_milestone_delete_permissions(role, project, milestone):
    check_api_write(
        role,
        project=project,
        method="delete",
        url=_project_url(project, f"milestones/{milestone.pk}/"),
        headers={"HTTP_IF_MATCH": etag_for(milestone)},
        snapshot=rows(Milestone),
    )


def test_milestone_writes_follow_the_plan_rules(project, milestone):
    api = client_as("manager", project)
    url = _project_url(project, f"milestones/{milestone.pk}/")
    assert api.delete(url).status_code == 428
    baseline = api.patch(
        url, {"baseline_date": "2026-08-31"}, format="json", HTTP_IF_MATCH=etag_for(milestone)
    )
    assert baseline.status_code == 400
    assert "baseline_date" in baseline.json()
    too_heavy = api.post(
        _project_url(project, "milestones/"), {"name": "Big", "weight": "90"}, format="json"
    )
    assert too_heavy.status_code == 400
    assert "weight" in too_heavy.json()
    moved = api.patch(
        url, {"forecast_date": "2026-08-31"}, format="json", HTTP_IF_MATCH=etag_for(milestone)
    )
    assert moved.status_code == 200
    assert moved["ETag"] == f'"milestone-{milestone.pk}-v2"'
    assert api.delete(url, HTTP_IF_MATCH=moved["ETag"]).status_code == 204
    assert not Milestone.objects.exists()


def test_a_milestone_of_another_project_is_404(project, portfolio):
    other = MilestoneFactory(project=ProjectFactory(portfolio=portfolio))
    api = client_as("pmo", project)
    assert api.get(_project_url(project, f"milestones/{other.pk}/")).status_code == 404


def test_milestones_filter_and_order(project):
    early = MilestoneFactory(project=project, forecast_date=date(2026, 3, 1), status="done")
    late = MilestoneFactory(project=project, forecast_date=date(2026, 9, 1))
    api = client_as("viewer", project)
    url = _project_url(project, "milestones/")
    ordered = api.get(url, {"ordering": "-forecast_date"}).json()["results"]
    assert [row["id"] for row in ordered] == [late.pk, early.pk]
    done = api.get(url, {"status": "done"}).json()["results"]
    assert [row["id"] for row in done] == [early.pk]


# Writes: change requests and baselines --------------------------------------------------------


@each_role
def test_change_request_propose_permissions(role, project):
    check_api_write(
        role,
        project=project,
        method="post",
        url=_project_url(project, "change-requests/"),
        data={"budget": "130000", "reason": "Added scope"},
        snapshot=rows(ChangeRequest),
    )


@each_role
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_change_request_decision_permissions(role, project, change_request, decision):
    check_api_write(
        role,
        project=project,
        method="post",
        url=_project_url(project, f"change-requests/{change_request.pk}/{decision}/"),
        data={"note": "Decided at the board"},
        snapshot=rows(ChangeRequest, Project, Baseline),
        allowed=DECIDERS,  # the project's manager proposes; the portfolio decides
    )


def test_an_approved_change_is_the_next_baseline(project, change_request):
    api = client_as("pmo", project)
    response = api.post(
        _project_url(project, f"change-requests/{change_request.pk}/approve/"),
        {"note": "OK"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved"
    project.refresh_from_db()
    assert (project.budget, project.baseline_version) == (Decimal("120000"), 1)
    baselines = api.get(_project_url(project, "baselines/")).json()["results"]
    assert [(row["version"], row["budget"]) for row in baselines] == [
        (0, "100000.00"),
        (1, "120000.00"),
    ]
    again = api.post(
        _project_url(project, f"change-requests/{change_request.pk}/reject/"),
        {"note": "Too late"},
        format="json",
    )
    assert again.status_code == 400  # already decided
    decided = api.get(_project_url(project, "change-requests/"), {"status": "approved"})
    assert [row["id"] for row in decided.json()["results"]] == [change_request.pk]


def test_a_rejection_needs_a_note(project, change_request):
    api = client_as("pmo", project)
    response = api.post(
        _project_url(project, f"change-requests/{change_request.pk}/reject/"),
        {"note": ""},
        format="json",
    )
    assert response.status_code == 400
    assert ChangeRequest.objects.get().status == "proposed"


# Writes: dependencies -------------------------------------------------------------------------


@each_role
def test_dependency_create_permissions(role, project, predecessor):
    check_api_write(
        role,
        project=project,
        method="post",
        url="/api/dependencies/",
        data={"successor": project.pk, "predecessor": predecessor.pk, "needed_by": "2026-10-01"},
        snapshot=rows(ProjectDependency),
        refused_status={"outsider": 400},  # invisible projects are not choices
    )


@each_role
def test_dependency_update_permissions(role, project, dependency):
    check_api_write(
        role,
        project=project,
        method="patch",
        url=f"/api/dependencies/{dependency.pk}/",
        data={"needed_by": "2026-11-01"},
        snapshot=rows(ProjectDependency),
    )


@each_role
def test_dependency_delete_permissions(role, project, dependency):
    check_api_write(
        role,
        project=project,
        method="delete",
        url=f"/api/dependencies/{dependency.pk}/",
        snapshot=rows(ProjectDependency),
    )


def test_a_dependency_cycle_is_refused_naming_it(project, predecessor, dependency):
    api = client_as("pmo", project)
    response = api.post(
        "/api/dependencies/",
        {"successor": predecessor.pk, "predecessor": project.pk, "needed_by": "2026-10-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "cycle" in response.json()["predecessor"][0]
    assert ProjectDependency.objects.count() == 1


def test_dependencies_show_lateness_and_filter(project, predecessor, dependency):
    api = client_as("viewer", project)
    row = api.get(f"/api/dependencies/{dependency.pk}/").json()
    assert (row["expected_on"], row["is_late"]) == ("2026-09-30", False)
    assert api.get("/api/dependencies/", {"is_late": "true"}).json()["count"] == 0
    listed = api.get("/api/dependencies/", {"project": predecessor.pk}).json()["results"]
    assert [r["id"] for r in listed] == [dependency.pk]


# Tokens ---------------------------------------------------------------------------------------

WRITES = [
    ("post", "/api/projects/", lambda ctx: {"portfolio": ctx["portfolio"].code, "code": "T"}),
    ("patch", "/api/projects/{project}/", lambda ctx: {"name": "T"}),
    ("post", "/api/projects/{project}/milestones/", lambda ctx: {"name": "T"}),
    ("patch", "/api/projects/{project}/milestones/{milestone}/", lambda ctx: {"name": "T"}),
    ("delete", "/api/projects/{project}/milestones/{milestone}/", lambda ctx: None),
    ("post", "/api/projects/{project}/change-requests/", lambda ctx: {"reason": "T"}),
    (
        "post",
        "/api/projects/{project}/change-requests/{change_request}/approve/",
        lambda ctx: {},
    ),
    ("post", "/api/dependencies/", lambda ctx: {"successor": ctx["project"].pk}),
    ("delete", "/api/dependencies/{dependency}/", lambda ctx: None),
    ("post", "/api/risks/", lambda ctx: {"project": ctx["project"].pk}),
]


@pytest.fixture
def world(portfolio, project, milestone, change_request, dependency):
    pmo = MembershipFactory(portfolio=portfolio, role="pmo").user
    return {
        "portfolio": portfolio,
        "project": project,
        "user": pmo,
        "ids": {
            "project": project.pk,
            "milestone": milestone.pk,
            "change_request": change_request.pk,
            "dependency": dependency.pk,
        },
    }


def _snapshot():
    return rows(Project, Milestone, ChangeRequest, ProjectDependency, Baseline)()


@pytest.mark.parametrize(("method", "url", "data"), WRITES, ids=[f"{m} {u}" for m, u, _ in WRITES])
def test_a_read_token_is_refused_on_every_write(world, method, url, data):
    api = bearer_client(world["user"], scope=Scope.READ)
    before = _snapshot()
    response = send(api, method, url.format(**world["ids"]), data(world), {"HTTP_IF_MATCH": "*"})
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert _snapshot() == before


READS = [
    "/api/programs/",
    "/api/projects/{project}/milestones/",
    "/api/projects/{project}/milestones/{milestone}/",
    "/api/projects/{project}/baselines/",
    "/api/projects/{project}/change-requests/",
    "/api/dependencies/",
    "/api/dependencies/{dependency}/",
]


@pytest.mark.parametrize("url", READS)
@pytest.mark.parametrize("spoil", [expire_tokens, revoke_tokens], ids=["expired", "revoked"])
def test_a_read_token_reads_until_it_is_expired_or_revoked(world, url, spoil):
    api = bearer_client(world["user"], scope=Scope.READ)
    url = url.format(**world["ids"])
    assert api.get(url).status_code == 200
    spoil(world["user"])
    assert api.get(url).status_code == 401


@pytest.mark.parametrize("spoil", [expire_tokens, revoke_tokens], ids=["expired", "revoked"])
def test_a_spoiled_read_write_token_writes_nothing(world, spoil):
    api = bearer_client(world["user"], scope=Scope.READ_WRITE)
    spoil(world["user"])
    before = _snapshot()
    url = "/api/projects/{project}/milestones/".format(**world["ids"])
    assert send(api, "post", url, {"name": "Go-live"}).status_code == 401
    assert _snapshot() == before


def test_a_read_write_token_writes_as_its_owner(world):
    api = bearer_client(world["user"], scope=Scope.READ_WRITE)
    url = "/api/projects/{project}/milestones/".format(**world["ids"])
    response = send(api, "post", url, {"name": "Go-live", "weight": "10"})
    assert response.status_code == 201, response.json()


# Query counts ---------------------------------------------------------------------------------


@pytest.fixture(params=[3, 30], ids=["3-rows", "30-rows"])
def many(request, db):
    portfolio = PortfolioFactory()
    member = UserFactory()
    PortfolioMembership.objects.create(user=member, portfolio=portfolio, role="executive")
    ProgramFactory.create_batch(request.param, portfolio=portfolio)
    projects = ProjectFactory.create_batch(request.param, portfolio=portfolio)
    project = projects[0]
    Milestone.objects.bulk_create(
        MilestoneFactory.build(project=project, weight=Decimal("1")) for _ in projects
    )
    ChangeRequest.objects.bulk_create(
        ChangeRequest(project=project, budget=Decimal("1"), reason="r") for _ in projects
    )
    Baseline.objects.bulk_create(
        Baseline(project=project, version=n, budget=Decimal("1")) for n in range(len(projects))
    )
    ProjectDependency.objects.bulk_create(
        ProjectDependency(predecessor=p, successor=project, needed_by=date(2026, 5, 1))
        for p in projects[1:]
    )
    return member, project, request.param


# Per request: the session, the user, the user's and groups' permissions; then the project
# (nested lists), the page's count and its rows.
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/api/programs/", 6),
        ("/api/projects/{project}/milestones/", 7),
        ("/api/projects/{project}/baselines/", 7),
        ("/api/projects/{project}/change-requests/", 7),
        ("/api/dependencies/", 6),
    ],
)
def test_list_queries_do_not_grow(api_client, many, url, queries, django_assert_max_num_queries):
    member, project, size = many
    api_client.force_login(member)
    with django_assert_max_num_queries(queries):
        response = api_client.get(url.format(project=project.pk))
    assert response.status_code == 200
    assert response.json()["count"] in (size, size - 1)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


# Schema ---------------------------------------------------------------------------------------


def test_the_schema_lists_the_plan_paths_with_their_preconditions(project):
    api = client_as("manager", project)
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert {
        "/api/programs/",
        "/api/programs/{id}/",
        "/api/projects/{project_pk}/milestones/",
        "/api/projects/{project_pk}/milestones/{id}/",
        "/api/projects/{project_pk}/baselines/",
        "/api/projects/{project_pk}/baselines/{id}/",
        "/api/projects/{project_pk}/change-requests/",
        "/api/projects/{project_pk}/change-requests/{id}/approve/",
        "/api/projects/{project_pk}/change-requests/{id}/reject/",
        "/api/dependencies/",
        "/api/dependencies/{id}/",
        "/api/risks/{id}/escalate/",
    } <= set(paths)
    for path, method in [
        ("/api/projects/{id}/", "patch"),
        ("/api/projects/{id}/", "put"),
        ("/api/projects/{project_pk}/milestones/{id}/", "patch"),
        ("/api/projects/{project_pk}/milestones/{id}/", "delete"),
        ("/api/risks/{id}/escalate/", "post"),
    ]:
        responses = paths[path][method]["responses"]
        assert {"412", "428"} <= set(responses), (path, method)
    for path in (
        "/api/projects/",
        "/api/projects/{project_pk}/milestones/",
        "/api/projects/{project_pk}/change-requests/",
        "/api/dependencies/",
    ):
        assert "422" in paths[path]["post"]["responses"], path
    # Not versioned: no If-Match on dependencies and change-request decisions.
    assert "428" not in paths["/api/dependencies/{id}/"]["patch"]["responses"]
    decision = paths["/api/projects/{project_pk}/change-requests/{id}/approve/"]["post"]
    assert "428" not in decision["responses"]


# Idempotency-Key on every create --------------------------------------------------------------

CREATES = [
    (
        "/api/projects/",
        lambda ctx: {
            "portfolio": ctx["portfolio"].code,
            "code": "NEW-1",
            "name": "New",
            "budget": "1000",
            "start_date": "2027-01-01",
            "end_date": "2027-06-30",
        },
        Project,
    ),
    ("/api/projects/{project}/milestones/", lambda ctx: {"name": "Go-live"}, Milestone),
    (
        "/api/projects/{project}/change-requests/",
        lambda ctx: {"budget": "150000", "reason": "Scope"},
        ChangeRequest,
    ),
    (
        "/api/dependencies/",
        lambda ctx: {
            "successor": ctx["predecessor"].pk,
            "predecessor": ctx["other"].pk,
            "needed_by": "2026-10-01",
        },
        ProjectDependency,
    ),
]


@pytest.mark.parametrize(("url", "data", "model"), CREATES, ids=[url for url, _, _ in CREATES])
def test_a_retried_create_creates_once(world, predecessor, portfolio, url, data, model):
    ctx = {**world, "predecessor": predecessor, "other": ProjectFactory(portfolio=portfolio)}
    api = client_as("pmo", world["project"])
    url = url.format(**world["ids"])
    before = model.objects.count()
    first = send(api, "post", url, data(ctx), {"HTTP_IDEMPOTENCY_KEY": "retry-1"})
    again = send(api, "post", url, data(ctx), {"HTTP_IDEMPOTENCY_KEY": "retry-1"})
    assert first.status_code == again.status_code == 201, first.json()
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert model.objects.count() == before + 1
