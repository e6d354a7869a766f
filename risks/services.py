"""Writes on risks: one transaction each, permission checked inside."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import access
from core.concurrency import save_versioned
from projects.models import Project
from risks import selectors
from risks.models import Risk, RiskStatus

RISK_FIELDS = (
    "title",
    "description",
    "category",
    "probability",
    "impact",
    "cost_impact",
    "owner",
    "response",
    "response_plan",
    "status",
    "due_date",
)


def _require_project_editor(user, project: Project):
    access.require(
        access.can_edit_project(user, project),
        "Only the project's manager, its PMO or portfolio managers may change its risks.",
    )


def _apply(risk: Risk, data: dict):
    for field in RISK_FIELDS:
        if field in data:
            setattr(risk, field, data[field])
    if risk.status == RiskStatus.CLOSED and risk.closed_at is None:
        risk.closed_at = timezone.now()
    elif risk.status != RiskStatus.CLOSED:
        risk.closed_at = None


@transaction.atomic
def risk_create(*, project: Project, data: dict, by) -> Risk:
    _require_project_editor(by, project)
    risk = Risk(portfolio_id=project.portfolio_id, project=project)
    _apply(risk, data)
    risk.full_clean()
    risk._history_user = by
    risk.save()
    return risk


def risk_update(*, risk: Risk, data: dict, expected_version: int, by) -> Risk:
    _require_project_editor(by, risk.project)
    _apply(risk, data)
    risk._history_user = by
    save_versioned(risk, expected_version=expected_version)
    return risk


def risk_close(*, risk: Risk, expected_version: int, by) -> Risk:
    return risk_update(
        risk=risk, data={"status": RiskStatus.CLOSED}, expected_version=expected_version, by=by
    )


@transaction.atomic
def risk_escalate(
    *,
    risk: Risk,
    by,
    reason: str,
    portfolio_risk: Risk | None = None,
    owner=None,
    expected_version: int,
) -> Risk:
    """Escalate a project risk to the portfolio: link it to an existing portfolio risk (which
    keeps its owner), or create one from it, owned by `owner` (default:
    `selectors.default_portfolio_risk_owner`). Records who escalated and why; the portfolio
    risk then threatens the project and stands for the project risk in every exposure total
    (docs/formulas.md, "Risks"). Returns the portfolio risk."""
    _require_project_editor(by, risk.project)
    if risk.is_portfolio_level:
        raise ValidationError("This is already a portfolio risk.")
    if not reason.strip():
        raise ValidationError({"escalation_reason": "Say why the portfolio should own this risk."})
    if portfolio_risk is None:
        portfolio = risk.project.portfolio
        if owner is None:
            owner = selectors.default_portfolio_risk_owner(portfolio=portfolio, escalated_by=by)
        owners = selectors.portfolio_risk_owners(portfolio=portfolio, project=risk.project)
        if not owners.filter(pk=owner.pk).exists():
            raise ValidationError({"owner": "Choose someone who sees the portfolio's risks."})
        portfolio_risk = Risk(
            portfolio_id=risk.portfolio_id,
            project=None,
            title=risk.title,
            description=risk.description,
            category=risk.category,
            probability=risk.probability,
            impact=risk.impact,
            cost_impact=risk.cost_impact,
            owner=owner,
            response=risk.response,
            response_plan=risk.response_plan,
            due_date=risk.due_date,
        )
        portfolio_risk.full_clean()
        portfolio_risk._history_user = by
        portfolio_risk.save()
    elif not portfolio_risk.is_portfolio_level or portfolio_risk.portfolio_id != risk.portfolio_id:
        raise ValidationError({"escalated_to": "Choose a portfolio risk of the same portfolio."})
    portfolio_risk.threatened_projects.add(risk.project)
    risk.escalated_to = portfolio_risk
    risk.escalated_by = by
    risk.escalated_at = timezone.now()
    risk.escalation_reason = reason.strip()
    risk.status = RiskStatus.ESCALATED
    risk._history_user = by
    save_versioned(risk, expected_version=expected_version)
    return portfolio_risk
