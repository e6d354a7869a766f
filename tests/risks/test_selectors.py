"""risks.selectors: the heat map's band per cell follows the risk score's bands."""

from risks.scoring import risk_band, risk_score
from risks.selectors import heat_map_bands


def test_heat_map_bands_cover_the_grid_with_the_score_bands():
    bands = heat_map_bands()
    assert len(bands) == 25
    assert bands[(1, 1)] == "low" and bands[(3, 3)] == "medium"
    assert bands[(4, 4)] == "high" and bands[(5, 5)] == "critical"
    assert all(band == risk_band(risk_score(*cell)) for cell, band in bands.items())
