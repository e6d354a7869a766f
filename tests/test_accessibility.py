"""Accessibility rules checked on the server's HTML and the stylesheet, without a browser:
every form control of the strategy pages has a label, every page starts with a skip link to
its main content, and text colours reach 4.5:1 (WCAG 2.2 AA) on the backgrounds they sit on.
tests/browser/test_accessibility_browser.py runs axe-core on every page in a real browser."""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse

from portfolio.models import ScoringCriterion
from tests.factories import MembershipFactory, ObjectiveFactory

CONTROLS = {"input", "select", "textarea"}
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class _Controls(HTMLParser):
    """Form controls, the ids labels point at, the controls inside a <label>, and the text
    of each label."""

    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: dict[str, str] = {}
        self.in_label = 0
        self.label_target = None
        self.label_text: list[str] = []
        self.first_link = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and self.first_link is None:
            self.first_link = attrs
        if tag == "label":
            self.in_label += 1
            self.label_target = attrs.get("for")
            self.label_text = []
        if tag in CONTROLS and attrs.get("type") not in UNLABELLED_TYPES:
            self.controls.append({**attrs, "_in_label": bool(self.in_label)})

    def handle_data(self, data):
        if self.in_label:
            self.label_text.append(data)

    def handle_endtag(self, tag):
        if tag == "label" and self.in_label:
            self.in_label -= 1
            if self.label_target:
                self.label_for[self.label_target] = " ".join("".join(self.label_text).split())


def parse(body: str) -> _Controls:
    parser = _Controls()
    parser.feed(body)
    return parser


def unlabelled_controls(body: str) -> list[str]:
    parsed = parse(body)
    return [
        control.get("name") or control.get("id") or "?"
        for control in parsed.controls
        if not (
            control["_in_label"]
            or control.get("id") in parsed.label_for
            or control.get("aria-label")
            or control.get("aria-labelledby")
        )
    ]


def test_the_label_check_finds_an_unlabelled_input():
    body = (
        '<label for="a">A</label><input id="a" name="a">'
        '<label>B <input name="b"></label><input name="c" aria-label="C">'
        '<input type="hidden" name="h"><input name="d" id="d"><textarea name="e"></textarea>'
    )
    assert unlabelled_controls(body) == ["d", "e"]


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["portfolio:objectives", "portfolio:scoring-criteria"])
def test_every_control_of_the_strategy_forms_has_a_label_naming_its_row(client, portfolio, page):
    ObjectiveFactory(portfolio=portfolio, name="Growth", weight=60)
    ObjectiveFactory(portfolio=portfolio, name="Cost", weight=40)
    ScoringCriterion.objects.create(portfolio=portfolio, name="Value", weight=100)
    client.force_login(MembershipFactory(portfolio=portfolio, role="pmo").user)
    body = client.get(reverse(page, args=[portfolio.code])).content.decode()
    parsed = parse(body)
    assert len(parsed.controls) >= 8
    assert unlabelled_controls(body) == []
    if page == "portfolio:objectives":
        names = set(parsed.label_for.values())
        assert {"Weight, Growth", "Name, Cost", "Weight, new row"} <= names, names
    else:
        assert {"Weight, Value", "Direction, Value"} <= set(parsed.label_for.values())


@pytest.mark.django_db
def test_every_page_starts_with_a_skip_link_to_the_main_content(client, portfolio):
    client.force_login(MembershipFactory(portfolio=portfolio, role="pmo").user)
    body = client.get(reverse("portfolio:list")).content.decode()
    assert parse(body).first_link["href"] == "#main"
    assert parse(body).first_link["class"] == "skip-link"
    assert re.search(r'<main [^>]*id="main"', body)


# --- Colour contrast (WCAG 2.2 AA: 4.5:1 for text) ------------------------------------------

CSS = (settings.BASE_DIR / "static" / "css" / "slate.css").read_text()


def _variables() -> dict[str, str]:
    root = re.search(r":root\s*{(.*?)}", CSS, re.S).group(1)
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})", root))


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _rule_colour(selector: str) -> str:
    """The colour a rule (the first one for `selector`) gives its text, resolved."""
    body = re.search(rf"(?m)^{re.escape(selector)} {{(.*?)}}", CSS, re.S).group(1)
    value = re.search(r"(?<![-\w])color:\s*([^;]+);", body).group(1).strip()
    variable = re.fullmatch(r"var\((--[\w-]+)\)", value)
    return _variables()[variable.group(1)] if variable else value


def test_the_contrast_formula():
    assert round(contrast("#ffffff", "#000000"), 1) == 21.0
    assert round(contrast("#8a95a1", "#f5f6f8"), 1) == 2.8  # the footer before


@pytest.mark.parametrize("text", ["--text", "--muted", "--faint", "--accent", "--grey"])
@pytest.mark.parametrize("background", ["--bg", "--surface", "--surface-alt", "--grey-bg"])
def test_text_colours_reach_4_5_to_1_on_the_page_backgrounds(text, background):
    colours = _variables()
    assert contrast(colours[text], colours[background]) >= 4.5


@pytest.mark.parametrize(
    ("selector", "background"),
    [(".footer", "--bg"), (".username", "--topbar"), (".mainnav a", "--topbar")],
)
def test_the_footer_and_the_top_bar_text_reach_4_5_to_1(selector, background):
    assert contrast(_rule_colour(selector), _variables()[background]) >= 4.5
