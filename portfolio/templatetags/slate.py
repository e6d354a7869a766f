"""Formatting for Slate pages: money, ratios, percentages and RAG / risk-band badges.

Pure presentation: every filter works on values already loaded, never on querysets."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html

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


@register.filter
def money(value, currency=""):
    """`1234567.5|money:"EUR"` → "EUR 1,234,568" (whole units, thousands separators)."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    whole = int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    text = intcomma(whole)
    if not currency:
        return text
    return format_html('<span class="cur">{}</span>\u00a0{}', currency, text)


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
    label = (
        project_or_stage.get_stage_display()
        if hasattr(project_or_stage, "get_stage_display")
        else stage
    )
    return format_html('<span class="pill stage-{}">{}</span>', stage, label)


@register.simple_tag
def month_range(start, end):
    """Allocation months: "Jan 2026 – Mar 2026 (3 mo)"."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months == 1:
        return f"{start:%b %Y} (1 mo)"
    return f"{start:%b %Y} – {end:%b %Y} ({months} mo)"
