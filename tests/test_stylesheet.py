"""The stylesheet is well formed: a block left open (as a merge once left `.radio-group
input`) swallows every rule after it, and browsers drop them without a word."""

import re
from pathlib import Path

from django.conf import settings

STYLESHEET = Path(settings.BASE_DIR) / "static" / "css" / "slate.css"


def test_every_block_of_the_stylesheet_is_closed():
    text = re.sub(r"/\*.*?\*/", "", STYLESHEET.read_text(), flags=re.S)
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"slate.css: a '}}' closes nothing (line {number} after comments)"
    assert depth == 0, f"slate.css: {depth} block(s) left open"
