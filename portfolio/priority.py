"""Priority score (docs/formulas.md, "Priority score"): the one definition the ranked list,
the capacity conflict page and the selection read.

    priority = Σ criterion weight × normalised score

where a score of 1–5 normalises to 0–1: (score − 1) / 4 when higher is better, (5 − score) / 4
when lower is better. Weights are percentages summing to 100, so a project that scores best on
every criterion gets 100 and one that scores worst gets 0. A criterion the project has not been
scored on adds nothing; a project with no scores at all has no priority (None).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Case, DecimalField, F, Sum, Value, When

from portfolio.models import CriterionDirection, ProjectScore

SCALE_SPAN = 4  # 5 − 1: the width of the 1–5 scale


def priority_scores(*, project_ids: Iterable[int]) -> dict[int, Decimal | None]:
    """Priority per project id (None for a project nobody has scored), in one query.

    The database sums weight × (score − 1), or weight × (5 − score) for lower-is-better
    criteria: whole multiples of the weights, exact to their two decimals on every backend;
    the division by the scale's span is done here, in Decimal."""
    ids = list(project_ids)
    weighted = Case(
        When(
            criterion__direction=CriterionDirection.LOWER_IS_BETTER,
            then=F("criterion__weight") * (Value(5) - F("score")),
        ),
        default=F("criterion__weight") * (F("score") - Value(1)),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )
    totals = dict(
        ProjectScore.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(total=Sum(weighted))
        .values_list("project_id", "total")
    )
    return {pk: None if pk not in totals else Decimal(totals[pk]) / SCALE_SPAN for pk in ids}
