"""People appear by full name everywhere (username when no name is set), sorted by it: the
one rule in core.people, used by every user dropdown and by the audit page."""

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.utils import timezone

from core.people import PersonChoiceField, active_people, person_name
from portfolio import services
from projects.forms import ProjectPlanForm
from reporting.forms import SubscriberForm
from reporting.selectors import audit_trail, portfolio_people
from risks.forms import EscalateForm, RiskForm
from risks.models import Risk
from tests.factories import MembershipFactory, ProjectFactory, RiskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    """Named out of username order, one without a name, one inactive."""
    return [
        UserFactory(username="zz-anna", first_name="Anna", last_name="Zeller"),
        UserFactory(username="aa-zoe", first_name="Zoe", last_name="Adams"),
        UserFactory(username="mike"),
        UserFactory(username="bob", first_name="Bob", last_name="Brown", is_active=False),
    ]


def labels(field):
    return [label for value, label in field.choices if value != ""]


def test_person_name_falls_back_to_the_username(people):
    assert [person_name(user) for user in people] == [
        "Anna Zeller",
        "Zoe Adams",
        "mike",
        "Bob Brown",
    ]
    assert person_name(None) == ""
    rendered = Template("{% load slate %}{{ user|person }}").render(Context({"user": people[2]}))
    assert rendered == "mike"


def test_active_people_are_sorted_by_the_name_shown(people):
    names = [person_name(user) for user in active_people()]
    assert names == sorted(names, key=str.casefold)
    assert "Bob Brown" not in names and {"Anna Zeller", "Zoe Adams", "mike"} <= set(names)


def test_person_field_sorts_any_queryset_by_name(people):
    field = PersonChoiceField(
        queryset=get_user_model().objects.filter(pk__in=[p.pk for p in people])
    )
    assert labels(field) == ["Anna Zeller", "Bob Brown", "mike", "Zoe Adams"]


def test_project_plan_form_manager_and_sponsor_by_name(people):
    project = ProjectFactory(manager=people[0])
    form = ProjectPlanForm(instance=project)
    for name in ("manager", "sponsor"):
        shown = labels(form.fields[name])
        assert "Anna Zeller" in shown and "zz-anna" not in shown and "mike" in shown
        assert shown == sorted(shown, key=str.casefold)


def test_risk_owner_dropdowns_by_name(people, portfolio):
    project = ProjectFactory(portfolio=portfolio, manager=people[1])
    owner = labels(RiskForm(instance=Risk(project=project, portfolio=portfolio)).fields["owner"])
    assert "Zoe Adams" in owner and "aa-zoe" not in owner
    assert owner == sorted(owner, key=str.casefold)
    MembershipFactory(portfolio=portfolio, user=people[0], role="pmo")
    risk = RiskFactory(project=project, portfolio=portfolio)
    escalate = labels(EscalateForm(risk=risk, by=people[1]).fields["owner"])
    assert escalate == ["Anna Zeller", "Zoe Adams"]


def test_digest_subscriber_dropdown_by_name(people, portfolio):
    for user in people[:3]:
        MembershipFactory(portfolio=portfolio, user=user, role="viewer")
    form = SubscriberForm(people=portfolio_people(portfolio=portfolio))
    assert labels(form.fields["user"]) == ["Anna Zeller", "mike", "Zoe Adams"]


def test_audit_page_names_people(people, portfolio):
    decider = people[0]
    MembershipFactory(portfolio=portfolio, user=decider, role="pmo")
    project = ProjectFactory(portfolio=portfolio, stage="candidate")
    services.record_gate_decision(
        project=project,
        to_stage="approved",
        outcome="hold",
        decided_on=timezone.localdate(),
        rationale="Wait.",
        by=decider,
    )
    [gate] = list(audit_trail(user=decider, kind="gate")[0:5])
    assert gate.actor == "Anna Zeller"
    [role_change] = list(audit_trail(user=decider, kind="role")[0:5])
    assert role_change.subject == "Anna Zeller"
