"""Synergy groups: the services (who may, what is refused, nothing written on a refusal), the
pages (role matrix, list, edit, delete) and how the candidate pages show synergies and
sequences with their reasons."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portfolio import services
from portfolio.models import Synergy
from projects.models import ProjectDependency
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.permissions import check_write_access, each_role, rows

pytestmark = pytest.mark.django_db

MANAGE_PORTFOLIO = ("pmo", "portfolio_manager")


@pytest.fixture
def pair(portfolio):
    manager = UserFactory(first_name="Pat", last_name="Manager")
    common = {
        "portfolio": portfolio,
        "stage": "candidate",
        "manager": manager,
        "baseline_start": None,
        "baseline_end": None,
        "start_date": date(2027, 1, 1),
        "end_date": date(2027, 6, 30),
    }
    return ProjectFactory(code="WEB", **common), ProjectFactory(code="PAY", **common)


def _save(portfolio, by, members, synergy=None, **data):
    data = {
        "name": "Holiday launch",
        "reason": "One launch campaign.",
        "value_bonus": Decimal("400000"),
        "cost_saving": Decimal("0"),
        **data,
    }
    return services.synergy_save(
        portfolio=portfolio, data=data, members=members, by=by, synergy=synergy
    )


def test_a_portfolio_manager_creates_and_changes_a_synergy(portfolio, pair, member_of):
    manager = member_of(portfolio, "portfolio_manager")
    synergy = _save(portfolio, manager, pair)
    assert set(synergy.members.all()) == set(pair)
    assert synergy.created_by == manager and synergy.value_bonus == 400000
    third = ProjectFactory(portfolio=portfolio, code="APP", stage="idea")
    _save(portfolio, manager, [*pair, third], synergy=synergy, cost_saving=Decimal("50000"))
    synergy.refresh_from_db()
    assert synergy.members.count() == 3 and synergy.cost_saving == 50000
    assert synergy.history.count() == 2  # who changed what is kept


@pytest.mark.parametrize("role", ["executive", "viewer", "resource_manager"])
def test_other_members_may_not_write_synergies(portfolio, pair, member_of, role):
    with pytest.raises(PermissionDenied):
        _save(portfolio, member_of(portfolio, role), pair)
    assert not Synergy.objects.exists()


def test_a_project_manager_may_not_create_one_for_his_projects(portfolio, pair):
    with pytest.raises(PermissionDenied):
        _save(portfolio, pair[0].manager, pair)
    assert not Synergy.objects.exists()


def test_every_problem_is_refused_at_once_and_nothing_is_written(
    portfolio, other_portfolio, pair, member_of
):
    manager = member_of(portfolio, "pmo")
    _save(portfolio, manager, pair, name="Taken")
    stranger = ProjectFactory(portfolio=other_portfolio, code="ELSEWHERE")
    closed = ProjectFactory(portfolio=portfolio, code="OLD", stage="closed")
    with pytest.raises(ValidationError) as refused:
        _save(
            portfolio,
            manager,
            [pair[0], stranger, closed],
            name=" taken ",
            reason="  ",
            value_bonus=Decimal("0"),
            cost_saving=Decimal("0"),
        )
    errors = refused.value.message_dict
    assert "ELSEWHERE belong to another portfolio." in errors["members"]
    assert any("OLD are closed or cancelled" in m for m in errors["members"])
    assert errors["name"] == ["The portfolio already has a synergy named “taken”."]
    assert errors["reason"] == ["Say why these projects are worth more together."]
    assert errors["value_bonus"] == ["Give a value bonus, a cost saving, or both."]
    assert Synergy.objects.count() == 1


def test_a_synergy_needs_two_projects(portfolio, pair, member_of):
    with pytest.raises(ValidationError) as refused:
        _save(portfolio, member_of(portfolio, "pmo"), [pair[0], pair[0]])
    assert "Choose at least two projects" in refused.value.message_dict["members"][0]


def test_negative_amounts_are_refused(portfolio, pair, member_of):
    with pytest.raises(ValidationError) as refused:
        _save(portfolio, member_of(portfolio, "pmo"), pair, cost_saving=Decimal("-1"))
    assert refused.value.message_dict["cost_saving"] == ["Must not be negative."]


def test_delete_needs_a_portfolio_manager(portfolio, pair, member_of):
    synergy = _save(portfolio, member_of(portfolio, "pmo"), pair)
    with pytest.raises(PermissionDenied):
        services.synergy_delete(synergy=synergy, by=member_of(portfolio, "viewer"))
    services.synergy_delete(synergy=synergy, by=member_of(portfolio, "portfolio_manager"))
    assert not Synergy.objects.exists()


# --- Pages ------------------------------------------------------------------------------------


def purl(name, portfolio, *args):
    return reverse(f"portfolio:{name}", args=[portfolio.code, *args])


def _form(pair, **changes):
    return {
        "name": "Holiday launch",
        "members": [p.pk for p in pair],
        "reason": "One launch campaign.",
        "value_bonus": "400000",
        "cost_saving": "",
        **changes,
    }


@each_role
def test_synergy_create_permissions(client, role, portfolio, pair):
    check_write_access(
        client,
        role,
        allowed=MANAGE_PORTFOLIO,
        project=pair[0],
        url=purl("synergy-create", portfolio),
        data=_form(pair),
        snapshot=rows(Synergy, Synergy.members.through),
        success_url=purl("synergies", portfolio),
    )


@each_role
def test_synergy_edit_permissions(client, role, portfolio, pair):
    synergy = _save(portfolio, MembershipFactory(portfolio=portfolio, role="pmo").user, pair)
    check_write_access(
        client,
        role,
        allowed=MANAGE_PORTFOLIO,
        project=pair[0],
        url=purl("synergy-edit", portfolio, synergy.pk),
        data=_form(pair, name="Renamed"),
        snapshot=rows(Synergy),
        success_url=purl("synergies", portfolio),
    )


@each_role
def test_synergy_delete_permissions(client, role, portfolio, pair):
    synergy = _save(portfolio, MembershipFactory(portfolio=portfolio, role="pmo").user, pair)
    check_write_access(
        client,
        role,
        allowed=MANAGE_PORTFOLIO,
        project=pair[0],
        url=purl("synergy-delete", portfolio, synergy.pk),
        data={},
        snapshot=rows(Synergy),
        success_url=purl("synergies", portfolio),
    )


def test_the_form_shows_the_services_refusal_on_its_fields(client, portfolio, pair, member_of):
    client.force_login(member_of(portfolio, "portfolio_manager"))
    response = client.post(
        purl("synergy-create", portfolio), _form(pair[:1], value_bonus="", reason="Why not")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "Choose at least two projects" in form.errors["members"][0]
    assert form.errors["value_bonus"] == ["Give a value bonus, a cost saving, or both."]
    assert not Synergy.objects.exists()


def test_a_synergy_of_another_portfolio_is_not_found(client, portfolio, other_portfolio, pair):
    pmo = MembershipFactory(portfolio=portfolio, role="pmo").user
    synergy = _save(portfolio, pmo, pair)
    other_manager = MembershipFactory(portfolio=other_portfolio, role="pmo").user
    MembershipFactory(portfolio=portfolio, role="viewer", user=other_manager)
    client.force_login(other_manager)
    assert client.get(purl("synergy-edit", other_portfolio, synergy.pk)).status_code == 404


def test_readers_see_the_list_without_edit_links(client, portfolio, pair, member_of):
    _save(portfolio, member_of(portfolio, "pmo"), pair)
    client.force_login(member_of(portfolio, "viewer"))
    page = client.get(purl("synergies", portfolio)).content.decode()
    assert "Holiday launch" in page and "One launch campaign." in page
    assert purl("synergy-create", portfolio) not in page
    client.force_login(member_of(portfolio, "portfolio_manager"))
    assert (
        purl("synergy-create", portfolio)
        in client.get(purl("synergies", portfolio)).content.decode()
    )


def test_candidate_pages_show_synergies_and_sequences_with_reasons(
    client, portfolio, pair, member_of
):
    web, pay = pair
    _save(portfolio, member_of(portfolio, "pmo"), pair)
    ProjectDependency.objects.create(
        predecessor=web,
        successor=pay,
        deliverable="Checkout API",
        description="Payments plug into the checkout.",
        needed_by=date(2027, 3, 1),
        lag_months=2,
    )
    hidden = ProjectFactory(portfolio=portfolio, code="HIDDEN-9", stage="candidate")
    secret = Synergy.objects.create(
        portfolio=portfolio, name="Secret pair", reason="Shared team", value_bonus=1
    )
    secret.members.set([web, hidden])
    client.force_login(web.manager)  # sees his two projects, not HIDDEN-9
    page = client.get(purl("candidates", portfolio)).content.decode()
    assert "Holiday launch" in page and "One launch campaign." in page
    assert "Checkout API — Payments plug into the checkout." in page and "+ 2 mo" in page
    assert "HIDDEN-9" not in page and "Secret pair" in page
    edit = client.get(purl("candidate-edit", portfolio, pay.pk)).content.decode()
    assert 'Starts after</span> <span class="code">WEB</span> finishes, plus 2 months' in edit
    assert "Holiday launch" in edit


def test_candidate_list_queries_do_not_grow_with_relations(
    client, portfolio, pair, member_of, django_assert_max_num_queries
):
    manager = member_of(portfolio, "portfolio_manager")
    client.force_login(manager)

    def add(n):
        for index in range(n):
            a, b = (
                ProjectFactory(portfolio=portfolio, stage="candidate", manager=pair[0].manager)
                for _ in range(2)
            )
            synergy = Synergy.objects.create(
                portfolio=portfolio, name=f"G{n}-{index}", reason="r", value_bonus=1
            )
            synergy.members.set([a, b])
            ProjectDependency.objects.create(
                predecessor=a, successor=b, needed_by=date(2027, 1, 1), deliverable=f"d{index}"
            )

    add(1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(purl("candidates", portfolio))
    add(8)
    with django_assert_max_num_queries(len(few)):
        assert client.get(purl("candidates", portfolio)).status_code == 200


def test_the_list_names_only_the_projects_the_reader_may_see(client, portfolio, pair, member_of):
    """A project's manager who sees only his project reads its synergy with the partner
    counted, not named, and not a synergy of projects he cannot see (the crawl found the
    page naming them)."""
    web, pay = pair
    pay.manager = UserFactory()
    pay.save()
    loyalty = ProjectFactory(portfolio=portfolio, code="LOY", stage="candidate")
    pmo = member_of(portfolio, "pmo")
    _save(portfolio, pmo, [web, pay])
    _save(portfolio, pmo, [pay, loyalty], name="Loyalty bundle", reason="Shared points ledger.")
    client.force_login(web.manager)
    page = client.get(purl("synergies", portfolio)).content.decode()
    assert "Holiday launch" in page and ">WEB<" in page
    assert "and 1 project you cannot see" in page
    assert ">PAY<" not in page and "LOY" not in page and "Loyalty bundle" not in page
