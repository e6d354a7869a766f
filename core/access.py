"""The one access module: who may see and who may change what.

Every view, API viewset and digest starts from `Model.objects.visible_to(user)` (or
`editable_by(user)`), and those querysets call the filters below, so the rules live here
and nowhere else.

Rules (docs/architecture.md, "Who may do what"):
- A PMO admin (superuser, or holder of the `portfolio.pmo_admin` permission) sees and edits all.
- A member of a portfolio (any role) sees the portfolio and everything in it.
- PMO and portfolio managers of a portfolio edit its projects, programs and strategy.
- A project's manager edits that project; managers and sponsors also see their projects
  and, read-only, the portfolio they belong to, even without a membership.
- Resource managers keep people and confirm allocations; executives and viewers read.
- PMO, portfolio managers and executives take gate decisions; whoever manages a project of a
  portfolio may also propose candidates to it.

This module sits at the bottom of the stack and imports no domain app: it reaches the two
models its rules read (memberships and projects) through Django's app registry, the way
`get_user_model()` reaches the user model, so every app's querysets can call it.
"""

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Q

PMO_ADMIN_PERMISSION = "portfolio.pmo_admin"
# The backend that holds permissions, for `User.objects.with_perm` (with the login throttle's
# backend also configured, Django cannot pick one by itself).
PERMISSION_BACKEND = "django.contrib.auth.backends.ModelBackend"
EDITOR_ROLES = ("pmo", "portfolio_manager")
RESOURCE_ROLES = ("pmo", "resource_manager")
GATE_ROLES = ("pmo", "portfolio_manager", "executive")
# How a page names a project the reader may not open (a dependency's other end, say).
HIDDEN_PROJECT = "a project you cannot open"


def _memberships():
    return apps.get_model("portfolio", "PortfolioMembership").objects


def _projects():
    return apps.get_model("projects", "Project").objects


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def _prefix(field):
    return f"{field}__" if field else ""


def is_pmo_admin(user) -> bool:
    return _active(user) and user.has_perm(PMO_ADMIN_PERMISSION)


def _member_portfolio_ids(user, roles=None):
    memberships = _memberships().filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return memberships.values("portfolio_id")


def _led_portfolio_ids(user):
    """Portfolios in which the user manages or sponsors a project."""
    return _projects().filter(Q(manager=user) | Q(sponsor=user)).values("portfolio_id")


def has_any_role(user) -> bool:
    if not _active(user):
        return False
    if is_pmo_admin(user):
        return True
    return (
        _memberships().filter(user=user).exists()
        or _projects().filter(Q(manager=user) | Q(sponsor=user)).exists()
    )


def filter_visible(queryset, user, *, portfolio_field):
    """Rows whose portfolio (reached through `portfolio_field`) the user may see."""
    if not _active(user):
        return queryset.none()
    if is_pmo_admin(user):
        return queryset
    field = f"{portfolio_field}_id" if portfolio_field else "pk"
    return queryset.filter(
        Q(**{f"{field}__in": _member_portfolio_ids(user)})
        | Q(**{f"{field}__in": _led_portfolio_ids(user)})
    )


def filter_visible_projects(queryset, user, *, project_field):
    if not _active(user):
        return queryset.none()
    if is_pmo_admin(user):
        return queryset
    p = _prefix(project_field)
    return queryset.filter(
        Q(**{f"{p}portfolio_id__in": _member_portfolio_ids(user)})
        | Q(**{f"{p}manager": user})
        | Q(**{f"{p}sponsor": user})
    )


def filter_editable_projects(queryset, user, *, project_field):
    if not _active(user):
        return queryset.none()
    if is_pmo_admin(user):
        return queryset
    p = _prefix(project_field)
    return queryset.filter(
        Q(**{f"{p}portfolio_id__in": _member_portfolio_ids(user, EDITOR_ROLES)})
        | Q(**{f"{p}manager": user})
    )


def filter_visible_risks(queryset, user):
    """Portfolio members see every risk of the portfolio; project leads see their projects'."""
    if not _active(user):
        return queryset.none()
    if is_pmo_admin(user):
        return queryset
    return queryset.filter(
        Q(portfolio_id__in=_member_portfolio_ids(user))
        | Q(project__manager=user)
        | Q(project__sponsor=user)
        | Q(threatened_projects__manager=user)
    ).distinct()


def portfolios_seen_whole(user):
    """The ids of the portfolios whose every project and risk the user sees, as the filters
    above have it: None for a PMO admin (every portfolio), else those they are a member of
    (any role). A manager or sponsor without a membership sees only part of a portfolio."""
    if is_pmo_admin(user):
        return None
    if not _active(user):
        return set()
    return set(_memberships().filter(user=user).values_list("portfolio_id", flat=True))


def portfolio_role(user, portfolio):
    """The user's membership role in the portfolio, or None."""
    if not (user and user.is_authenticated):
        return None
    return (
        _memberships().filter(user=user, portfolio=portfolio).values_list("role", flat=True).first()
    )


@dataclass(frozen=True)
class PortfolioAccess:
    can_manage: bool
    sees_every_project: bool
    # The membership role (None without one) and whether the user is a PMO admin, so a page
    # can ask further questions (who decides gates) without another lookup.
    role: str | None = None
    is_admin: bool = False

    @property
    def can_decide_gate(self) -> bool:
        return self.is_admin or self.role in GATE_ROLES

    def as_context(self) -> dict:
        return {
            "can_manage": self.can_manage,
            "sees_every_project": self.sees_every_project,
            "portfolio_access": self,
        }


def portfolio_access(user, portfolio) -> PortfolioAccess:
    """What a portfolio's pages offer the user, from one membership lookup: PMO admins and the
    portfolio's PMO and portfolio managers manage it; PMO admins and its members (any role)
    see every project in it, while a project's manager or sponsor without a membership sees
    only their own projects."""
    if is_pmo_admin(user):
        return PortfolioAccess(can_manage=True, sees_every_project=True, is_admin=True)
    role = portfolio_role(user, portfolio)
    return PortfolioAccess(
        can_manage=role in EDITOR_ROLES, sees_every_project=role is not None, role=role
    )


def can_manage_portfolio(user, portfolio) -> bool:
    return portfolio_access(user, portfolio).can_manage


def can_run_reviews(user, portfolio) -> bool:
    """Who runs a portfolio's reviews on demand and previews its digests: its managers (the
    PMO and portfolio managers of it, PMO admins)."""
    return can_manage_portfolio(user, portfolio)


def sees_every_project(user, portfolio) -> bool:
    return portfolio_access(user, portfolio).sees_every_project


def can_manage_resources(user, portfolio=None) -> bool:
    if is_pmo_admin(user):
        return True
    memberships = _memberships().filter(user=user, role__in=RESOURCE_ROLES)
    if portfolio is not None:
        memberships = memberships.filter(portfolio=portfolio)
    return bool(user and user.is_authenticated) and memberships.exists()


def can_edit_project(user, project) -> bool:
    if not _active(user):
        return False
    return (
        is_pmo_admin(user)
        or project.manager_id == user.pk
        or portfolio_role(user, project.portfolio_id) in EDITOR_ROLES
    )


def require(allowed: bool, message="You do not have permission to do this."):
    if not allowed:
        raise PermissionDenied(message)


def can_decide_gate(user, portfolio) -> bool:
    return portfolio_access(user, portfolio).can_decide_gate


def can_propose(user, portfolio) -> bool:
    """The PMO, portfolio managers, and whoever manages a project of the portfolio."""
    if not _active(user):
        return False
    return (
        can_manage_portfolio(user, portfolio)
        or _projects().filter(portfolio=portfolio, manager=user).exists()
    )


def filter_resource_managed(queryset, user, *, portfolio_field):
    """Rows in the portfolios the user manages resources for (PMO admins: all)."""
    if not _active(user):
        return queryset.none()
    if is_pmo_admin(user):
        return queryset
    managed = _memberships().filter(user=user, role__in=RESOURCE_ROLES).values("portfolio_id")
    return queryset.filter(**{f"{portfolio_field}_id__in": managed})


def filter_managed_portfolios(queryset, user, *, portfolio_field):
    """Rows in the portfolios the user manages: PMO and portfolio managers of them (PMO
    admins: all); what their landing page chases (gates, missing reports, reviews)."""
    if not _active(user):
        return queryset.none()
    if is_pmo_admin(user):
        return queryset
    field = f"{portfolio_field}_id" if portfolio_field else "pk"
    return queryset.filter(**{f"{field}__in": _member_portfolio_ids(user, EDITOR_ROLES)})


def audited_portfolio_ids(user):
    """The portfolios whose audit trail the user may read: every one for a PMO admin (None),
    else those where they are PMO or portfolio manager (a subquery, possibly empty)."""
    if is_pmo_admin(user):
        return None
    return _member_portfolio_ids(user, EDITOR_ROLES)


def can_audit(user) -> bool:
    """PMO admins, and PMO and portfolio managers of at least one portfolio."""
    if not _active(user):
        return False
    return is_pmo_admin(user) or _memberships().filter(user=user, role__in=EDITOR_ROLES).exists()
