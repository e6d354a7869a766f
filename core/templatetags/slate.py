"""Formatting for Slate pages: money, ratios, percentages and RAG / risk-band badges.

Pure presentation: every filter works on values already loaded, never on querysets."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core import access
from core.links import url_for_id
from core.months import month_count
from core.people import person_name

register = template.Library()

EMPTY = "—"
RAG_LABELS = {"green": "Green", "amber": "Amber", "red": "Red"}
BAND_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"}


def _decimal(value):
    if value is None or value == "":
        return None
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


def _grouped(whole: int) -> str:
    """1234567 → "1,234,567": humanize's `intcomma` in Slate's one locale (en-us), without
    its per-call locale lookups (a dashboard formats a few hundred amounts)."""
    return f"{whole:,}"


@register.filter(name="url_for_id")
def url_for_id_filter(pk, viewname):
    """`{{ project.pk|url_for_id:"projects:detail" }}`: `{% url "projects:detail" project.pk %}`
    without reversing each link anew (core.links)."""
    return url_for_id(viewname, pk)


@register.filter
def person(user):
    """A user by full name, or username when no name is set (core.people.person_name)."""
    return person_name(user)


@register.filter
def money(value, currency=""):
    """`1234567.5|money:"EUR"` → "EUR 1,234,568" (whole units, thousands separators)."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    whole = int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    text = _grouped(whole)
    if not currency:
        return text
    return format_html('<span class="cur">{}</span>\u00a0{}', currency, text)


@register.filter
def shown(value):
    """Any value as a table cell (an import preview's before and after): a date as
    "5 Jan 2026", an amount with two decimals, nothing as "—"."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


@register.filter
def money_short(value):
    """Compact money for dense tables, exact figure in the tooltip: 14400000 → "14.4M",
    661500 → "662k", 950 → "950"."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    exact = _grouped(int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP)))
    size = abs(amount)
    if size >= 1_000_000:
        short = f"{(amount / 1_000_000).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}M"
    elif size >= 1_000:
        short = f"{(amount / 1_000).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}k"
    else:
        short = exact
    return format_html('<span title="{}">{}</span>', exact, short)


@register.filter
def ratio(value):
    """A performance index: 0.953 → "0.95"; none (divisor 0) → "—"."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    return f"{number.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


@register.filter
def percent(value):
    """20.00 → "20%", 12.50 → "12.5%"; none → "—"."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    number = number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP).normalize()
    return f"{number:f}%"


@register.filter
def rag_badge(value, empty_label="No report"):
    """A RAG value as a coloured badge; blank gives a grey one."""
    if value in RAG_LABELS:
        return format_html('<span class="badge rag rag-{}">{}</span>', value, RAG_LABELS[value])
    return format_html('<span class="badge rag rag-none">{}</span>', empty_label)


@register.filter
def rag_dimension(value, dimension):
    """A compact badge for one RAG dimension of a status report, named in its tooltip."""
    label = RAG_LABELS.get(value, "n/a")
    return format_html(
        '<span class="badge badge-sm rag rag-{}" title="{}: {}">{}</span>',
        value if value in RAG_LABELS else "none",
        dimension,
        label,
        label,
    )


@register.filter
def band_badge(band):
    """A risk band (risks.scoring) as a badge."""
    label = BAND_LABELS.get(band)
    if label is None:
        return EMPTY
    return format_html('<span class="badge band band-{}">{}</span>', band, label)


@register.filter
def signed_days(days):
    """Slip in days: +12 late, −3 early, 0 on time; none → "—"."""
    if days is None:
        return EMPTY
    if days > 0:
        return format_html('<span class="late">+{}&nbsp;d</span>', days)
    if days < 0:
        return format_html('<span class="early">−{}&nbsp;d</span>', -days)
    return "0\u00a0d"


@register.filter
def stage_pill(project_or_stage):
    """The project stage as a neutral pill."""
    stage = getattr(project_or_stage, "stage", project_or_stage)
    if hasattr(project_or_stage, "get_stage_display"):
        label = project_or_stage.get_stage_display()
    else:  # a reporting.kpis.ProjectRow, or a bare stage value
        label = getattr(project_or_stage, "stage_label", stage)
    return format_html('<span class="pill stage-{}">{}</span>', stage, label)


@register.simple_tag
def month_range(start, end):
    """Allocation months: "Jan 2026 – Mar 2026 (3 mo)"."""
    months = month_count(start, end)
    if months == 1:
        return f"{start:%b %Y} (1 mo)"
    return f"{start:%b %Y} – {end:%b %Y} ({months} mo)"


@register.simple_tag
def hidden_count(total, shown):
    """After a list of the projects a user may see: how many more there are that he may not
    open, without naming them (" and 2 projects you cannot open"); empty when none."""
    hidden = (total or 0) - len(shown)
    if hidden <= 0:
        return ""
    lead = " and " if len(shown) else ""
    plural = "s" if hidden != 1 else ""
    return format_html(
        '{}<span class="muted">{} project{} you cannot open</span>', lead, hidden, plural
    )


# --- Dashboards ------------------------------------------------------------------------------

HEALTH_SEGMENTS = (
    ("green", "Green"),
    ("amber", "Amber"),
    ("red", "Red"),
    ("", "No data"),
)


@register.inclusion_tag("includes/health_bar.html")
def health_bar(counts, link="", label="Computed health"):
    """A stacked bar of RAG counts ({"green": 3, "red": 1, "": 2}); with `link` (a URL
    prefix such as "?health=" or "/portfolios/x/?health=") each segment opens the filtered
    project table."""
    counts = counts or {}
    total = sum(counts.values())
    segments = [
        {
            "key": key or "none",
            "label": name,
            "count": counts.get(key, 0),
            "width": f"{100 * counts.get(key, 0) / total:.2f}" if total else "0",
            "href": f"{link}{key or 'none'}#projects" if link else "",
        }
        for key, name in HEALTH_SEGMENTS
        if counts.get(key)
    ]
    return {"segments": segments, "total": total, "label": label}


def _format_kind(value, kind, currency=""):
    if kind == "money":
        return money(value, currency)
    if kind == "ratio":
        return ratio(value)
    return EMPTY if value is None else str(value)


@register.simple_tag
def tile_value(tile, currency=""):
    return _format_kind(tile.value, tile.kind, currency)


@register.simple_tag
def tile_change(tile, currency=""):
    """ "▲ 0.05" / "▼ USD 1,200" / "no change", coloured by whether it is good news."""
    change = tile.change
    if change is None:
        return ""
    if not change:
        return mark_safe('<span class="change change-none">no change</span>')
    arrow = "▲" if change > 0 else "▼"
    text = _format_kind(abs(change), tile.kind, currency)
    return format_html(
        '<span class="change change-{}">{}&nbsp;{}</span>', tile.trend or "neutral", arrow, text
    )


SORT_ARROWS = {"ascending": "▲", "descending": "▼"}


@register.simple_tag(takes_context=True)
def sort_header(context, column, label, css_class=""):
    """A sortable column header: a link to `?sort=column` (or `-column` when the table is
    already sorted by it ascending), keeping the filters and going back to page 1."""
    request = context["request"]
    current = request.GET.get("sort", "")
    ascending = current == column or (not current and column == "code")
    params = request.GET.copy()
    params.pop("page", None)
    params["sort"] = f"-{column}" if ascending else column
    state = "ascending" if ascending else "descending" if current == f"-{column}" else "none"
    arrow = SORT_ARROWS.get(state, "")
    return format_html(
        '<th scope="col" class="{}" aria-sort="{}"><a href="?{}#projects">{}{}</a></th>',
        f"sortable {css_class}".strip(),
        state,
        params.urlencode(),
        label,
        format_html('<span class="sort-arrow" aria-hidden="true">{}</span>', arrow)
        if arrow
        else "",
    )


# The portfolio's tab bar: which tab each page belongs to (a page not listed is its own tab).
PORTFOLIO_TAB_OF = {
    "objectives": "strategy",
    "contributions": "strategy",
    "criteria": "strategy",
    "ranking": "ranking",
    "candidates": "candidates",
    "gates": "gates",
    "gate-criteria": "gates",
    "selection": "selection",
    "frontier": "selection",
    "timing": "selection",
    "scenarios": "selection",
    "webhook-subscriptions": "webhooks",
    "webhook-deliveries": "webhooks",
}


@register.inclusion_tag("includes/portfolio_tabs.html", takes_context=True)
def portfolio_tabs(context, portfolio, page=""):
    """The one tab bar of a portfolio's pages (dashboard, reviews, strategy, selection,
    oversight): each tab the user may open, the current one marked, and below it the pages
    of the current tab when it has several. What the user may open is read from the
    context's `portfolio_access` (a core.access.PortfolioAccess the view computed already),
    else looked up once here."""
    known = context.get("portfolio_access")
    if not isinstance(known, access.PortfolioAccess):
        known = access.portfolio_access(context["request"].user, portfolio)
    return {
        "portfolio": portfolio,
        "tab": PORTFOLIO_TAB_OF.get(page, page),
        "page": page,
        "can_manage": known.can_manage,
        "sees_every_project": known.sees_every_project,
    }


@register.inclusion_tag("includes/export_links.html", takes_context=True)
def export_links(context, label="table", anchor=""):
    """ "Download CSV · Excel" for the table a page shows (core/exports.py): the page's own
    query (its filters, sort and window) plus `format`, without the page number, since the
    download holds every row the filters keep."""
    params = context["request"].GET.copy()
    params.pop("page", None)
    links = []
    for fmt, name in (("csv", "CSV"), ("xlsx", "Excel")):
        params["format"] = fmt
        links.append((name, fmt, f"?{params.urlencode()}"))
    return {"links": links, "label": label}
