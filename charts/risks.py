"""The risk heat map: probability × impact, each cell coloured by its risk band."""

from __future__ import annotations

from collections.abc import Mapping

from charts.base import BAND_COLOURS, plot_title, render, trace

LEVELS = (1, 2, 3, 4, 5)
BAND_INDEX = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def risk_heat_map(
    cells: Mapping[tuple[int, int], int],
    *,
    bands: Mapping[tuple[int, int], str],
    link_template: str | None = None,
    element_id: str = "chart-risk-heatmap",
) -> str:
    """5×5 probability × impact grid; `cells` maps (probability, impact) to a count of risks,
    `bands` maps every (probability, impact) to its band ("low", "medium", "high",
    "critical": risks.selectors.heat_map_bands). `link_template` (with {probability} and
    {impact}) makes a cell open the risks behind it."""
    levels = list(LEVELS)
    counts = [[cells.get((p, i), 0) for i in levels] for p in levels]
    band_rows = [[bands[(p, i)] for i in levels] for p in levels]

    def link(probability: int, impact: int) -> str:
        if not link_template:
            return ""
        return link_template.replace("{probability}", str(probability)).replace(
            "{impact}", str(impact)
        )

    heat_map = trace(
        "heatmap",
        x=levels,
        y=levels,
        z=[[BAND_INDEX[band] for band in row] for row in band_rows],
        text=[[str(c) if c else "" for c in row] for row in counts],
        customdata=[[[link(p, i), counts[p - 1][i - 1]] for i in levels] for p in levels],
        texttemplate="%{text}",
        hovertemplate=("Probability %{y}, impact %{x}: %{customdata[1]} risk(s)<extra></extra>"),
        colorscale=[
            [0, BAND_COLOURS["low"]],
            [0.33, BAND_COLOURS["medium"]],
            [0.66, BAND_COLOURS["high"]],
            [1, BAND_COLOURS["critical"]],
        ],
        zmin=0,
        zmax=3,
        showscale=False,
        xgap=3,
        ygap=3,
    )
    layout = {
        "title": plot_title("Risk heat map (open risks)"),
        "xaxis": {"title": plot_title("Impact"), "dtick": 1},
        "yaxis": {"title": plot_title("Probability"), "dtick": 1},
        "height": 320,
    }
    figure = {"data": [heat_map], "layout": layout}
    return render(figure, element_id=element_id, navigate=bool(link_template))
