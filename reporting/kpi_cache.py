"""A cache of the KPI roll-ups of `reporting.kpis`, per portfolio, never stale after a commit
(docs/decisions.md). The dashboards, the overview and the API read the roll-ups through here.

Only figures that are the same for everyone who reads them are cached: a portfolio's for
those who see all of it (its members, PMO admins, a stored review), a program's for those who
see everything. An entry's key says what the figures are of (a portfolio, a program, a
portfolio's sums for the overview), as of which dates (as-of, the previous period's end,
today) and of which data: the tokens of the portfolio's `KpiDataVersion` row and of row 0
(people's names). PostgreSQL
triggers replace a portfolio's token in the same transaction as any write to a table its
figures read (migration 0008), so the new token becomes visible with the commit, together
with the data. The tokens are read before the figures are computed: a request that starts
after a commit reads the new token and finds no entry made before the commit.

An entry is stored only when the tokens read again after computing are unchanged: no write
committed in between, so an entry holds exactly the data its tokens name. Tokens are random,
so none comes back after a rollback, a restore or a test's teardown.

PostgreSQL only (SQLite, the demo, has no triggers: the selectors are called directly).
A cache that does not answer (Redis down) costs the computation, never an error page."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.utils import timezone
from redis.exceptions import RedisError

from core import access
from portfolio.models import Portfolio, Program
from projects import evm, periods
from projects import querysets as project_querysets
from projects.models import Project
from reporting import kpi_sql, kpis
from reporting.kpis import PortfolioKpis, ProjectKpis
from reporting.models import KpiDataVersion
from risks import models as risk_models
from risks import scoring

logger = logging.getLogger(__name__)

EVERY_PORTFOLIO = 0  # the `KpiDataVersion` row of what every portfolio reads

# The code the figures come from: after a deploy that changes it, no old entry is read.
FORMULAS = hashlib.sha256(
    b"".join(
        Path(module.__file__).read_bytes()
        for module in (kpis, kpi_sql, evm, periods, project_querysets, scoring, risk_models)
    )
).hexdigest()[:12]


def enabled(user) -> bool:
    return settings.KPI_CACHE and kpis.in_sql() and (user is None or user.is_authenticated)


def data_versions(portfolio_ids: Iterable[int]) -> dict[int, str]:
    """The token of each portfolio and of row 0. A row found missing (a TRUNCATE, a manual
    delete) is created with a fresh random token, which names no entry yet."""
    wanted = {EVERY_PORTFOLIO, *portfolio_ids}

    def read():
        return dict(
            KpiDataVersion.objects.filter(portfolio_id__in=wanted).values_list(
                "portfolio_id", "token"
            )
        )

    found = read()
    if missing := wanted - found.keys():
        KpiDataVersion.objects.bulk_create(
            [KpiDataVersion(portfolio_id=pk, token=uuid.uuid4()) for pk in missing],
            ignore_conflicts=True,
        )
        found = read()
    return {pk: str(token) for pk, token in found.items()}


def _version(tokens: dict[int, str], portfolio_id: int) -> tuple[str, str]:
    return tokens[portfolio_id], tokens[EVERY_PORTFOLIO]


def _seen_whole(user, portfolio_ids: Iterable[int]) -> set[int]:
    """The portfolios whose every project and risk `user` sees (`user=None`: a stored
    review's view, all of them). Their figures are the same for everyone who does, so only
    they are cached. Anyone else's depend on which projects they manage or sponsor, in this
    portfolio and others (a risk threatening one of them shows), which no portfolio's version
    follows: they are computed every time."""
    if user is None:
        return set(portfolio_ids)
    whole = access.portfolios_seen_whole(user)
    return set(portfolio_ids) if whole is None else whole.intersection(portfolio_ids)


def _key(kind: str, scope_id: int, version: tuple[str, str], *dates) -> str:
    days = [day.isoformat() if day else "-" for day in (*dates, timezone.localdate())]
    return ":".join([FORMULAS, kind, str(scope_id), *days, *version])


def _stored(value: PortfolioKpis) -> PortfolioKpis:
    """What an entry keeps: the project rows computed, not rows still to be read (a
    `LazyProjectKpis` holds a query, run when read)."""
    return replace(
        value,
        projects=value.projects if isinstance(value.projects, tuple) else None,
        previous=None if value.previous is None else _stored(value.previous),
    )


class _RowsWhenRead(Sequence):
    """A restored entry's project rows that were not stored (as `kpis.LazyProjectKpis`):
    computed when first read, from a queryset built only then (building one per portfolio
    costs the overview more than reading its entries)."""

    def __init__(self, *, projects: Callable[[], QuerySet[Project]], as_of: date):
        self._scope, self._as_of, self._rows = projects, as_of, None

    def _load(self) -> list[ProjectKpis]:
        if self._rows is None:
            self._rows = kpis.project_kpis(projects=self._scope(), as_of=self._as_of)
        return self._rows

    def __getitem__(self, index):
        return self._load()[index]

    def __len__(self) -> int:
        return len(self._load())

    def __iter__(self):
        return iter(self._load())


def _restored(entry: PortfolioKpis, projects: Callable[[], QuerySet[Project]]) -> PortfolioKpis:
    return replace(
        entry,
        projects=(
            entry.projects
            if entry.projects is not None
            else _RowsWhenRead(projects=projects, as_of=entry.as_of)
        ),
        previous=None if entry.previous is None else _restored(entry.previous, projects),
    )


def _get_many(keys: list[str]) -> dict:
    try:
        return caches["kpis"].get_many(keys)
    except RedisError:
        logger.warning("KPI cache unreachable: computing the figures", exc_info=True)
        return {}


def _set_many(entries: dict) -> None:
    if not entries:
        return
    try:
        caches["kpis"].set_many(entries)
    except RedisError:
        logger.warning("KPI cache unreachable: the figures are not kept", exc_info=True)


def _cached(
    *, key: Callable[[tuple[str, str]], str], portfolio_id: int,
    compute: Callable[[], PortfolioKpis], projects: Callable[[], QuerySet[Project]],
) -> PortfolioKpis:  # fmt: skip
    version = _version(data_versions([portfolio_id]), portfolio_id)
    entry_key = key(version)
    entry = _get_many([entry_key]).get(entry_key)
    if entry is not None:
        return _restored(entry, projects)
    value = compute()
    if _version(data_versions([portfolio_id]), portfolio_id) == version:
        _set_many({entry_key: _stored(value)})
    return value


def portfolio_kpis(
    *, portfolio: Portfolio, user, as_of: date, previous_as_of: date | None = None
) -> PortfolioKpis:
    """`kpis.portfolio_kpis`, from the cache when the portfolio's data has not changed."""

    def compute():
        return kpis.portfolio_kpis(
            portfolio=portfolio, user=user, as_of=as_of, previous_as_of=previous_as_of
        )

    if not enabled(user) or not _seen_whole(user, [portfolio.pk]):
        return compute()
    return _cached(
        key=lambda version: _key("portfolio", portfolio.pk, version, as_of, previous_as_of),
        portfolio_id=portfolio.pk,
        compute=compute,
        projects=lambda: kpis.portfolio_scope(portfolio=portfolio, user=user).projects,
    )


def program_kpis(
    *, program: Program, user, as_of: date, previous_as_of: date | None = None
) -> PortfolioKpis:
    """`kpis.program_kpis`, cached for those who see everything only (PMO admins, a stored
    review): a program's roll-up adds the portfolio risks of other portfolios that threaten
    its projects, which a member of the program's portfolio may or may not see."""

    def compute():
        return kpis.program_kpis(
            program=program, user=user, as_of=as_of, previous_as_of=previous_as_of
        )

    sees_everything = user is None or access.portfolios_seen_whole(user) is None
    if not enabled(user) or not sees_everything:
        return compute()
    return _cached(
        key=lambda version: _key("program", program.pk, version, as_of, previous_as_of),
        portfolio_id=program.portfolio_id,
        compute=compute,
        projects=lambda: kpis.program_scope(program=program, user=user).projects,
    )


def portfolios_kpis(
    *, portfolios: Iterable[Portfolio], user, as_of: date, every_portfolio: bool = False
) -> dict[int, PortfolioKpis]:
    """`kpis.portfolios_kpis`: the entries found, and the portfolios without one (or seen
    only in part) computed together in the queries of one call (`every_portfolio` as there,
    when none was found)."""
    portfolios = list(portfolios)
    if not enabled(user) or not portfolios:
        return kpis.portfolios_kpis(
            portfolios=portfolios, user=user, as_of=as_of, every_portfolio=every_portfolio
        )
    ids = _seen_whole(user, [portfolio.pk for portfolio in portfolios])
    tokens = data_versions(ids)
    keys = {pk: _key("sums", pk, _version(tokens, pk), as_of) for pk in ids}
    found = _get_many(list(keys.values()))
    result = {
        portfolio.pk: _restored(
            found[keys[portfolio.pk]],
            lambda portfolio=portfolio: (
                kpis.portfolio_scope(portfolio=portfolio, user=user).projects
            ),
        )
        for portfolio in portfolios
        if portfolio.pk in keys and keys[portfolio.pk] in found
    }
    missing = [portfolio for portfolio in portfolios if portfolio.pk not in result]
    if missing:
        computed = kpis.portfolios_kpis(
            portfolios=missing,
            user=user,
            as_of=as_of,
            every_portfolio=every_portfolio and len(missing) == len(portfolios),
        )
        kept = [pk for pk in computed if pk in keys]
        after = data_versions(kept) if kept else tokens
        _set_many(
            {
                keys[pk]: _stored(computed[pk])
                for pk in kept
                if _version(after, pk) == _version(tokens, pk)
            }
        )
        result.update(computed)
    return result
