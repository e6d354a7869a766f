"""risks.selectors: the heat map's band per cell follows the risk score's bands; who may own a
portfolio risk made by escalation."""

import pytest
from django.contrib.auth.models import Permission

from risks.scoring import risk_band, risk_score
from risks.selectors import heat_map_bands, portfolio_risk_owners
from tests.factories import ProjectFactory, UserFactory


def test_heat_map_bands_cover_the_grid_with_the_score_bands():
    bands = heat_map_bands()
    assert len(bands) == 25
    assert bands[(1, 1)] == "low" and bands[(3, 3)] == "medium"
    assert bands[(4, 4)] == "high" and bands[(5, 5)] == "critical"
    assert all(band == risk_band(risk_score(*cell)) for cell, band in bands.items())


@pytest.mark.django_db
def test_owners_are_the_people_who_see_the_portfolio_risk(
    portfolio, other_portfolio, member_of, pmo_admin
):
    manager, sponsor, other_manager = (UserFactory() for _ in range(3))
    project = ProjectFactory(portfolio=portfolio, manager=manager, sponsor=sponsor)
    ProjectFactory(portfolio=portfolio, manager=other_manager)
    members = {member_of(portfolio, role) for role in ("viewer", "executive", "pmo")}
    admin = UserFactory()
    admin.user_permissions.add(Permission.objects.get(codename="pmo_admin"))
    retired = member_of(portfolio, "portfolio_manager")
    retired.is_active = False
    retired.save()
    member_of(other_portfolio, "portfolio_manager")

    owners = portfolio_risk_owners(portfolio=portfolio, project=project)
    assert set(owners) == {*members, manager, pmo_admin, admin}
    assert owners.count() == len(set(owners))  # each once
