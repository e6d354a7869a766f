"""core.links: a URL by id equals `reverse`'s, under any script prefix."""

import pytest
from django.template import Context, Template
from django.urls import get_script_prefix, reverse, set_script_prefix

from core.links import url_for_id


@pytest.mark.parametrize("viewname", ["projects:detail", "projects:milestones"])
@pytest.mark.parametrize("pk", [1, 42, 987654321, 10**12])
def test_url_for_id_is_what_reverse_gives(viewname, pk):
    assert url_for_id(viewname, pk) == reverse(viewname, args=[pk])


def test_url_for_id_follows_the_script_prefix():
    before = get_script_prefix()
    try:
        set_script_prefix("/slate/")
        assert (
            url_for_id("projects:detail", 7)
            == "/slate/projects/7/"
            == reverse("projects:detail", args=[7])
        )
    finally:
        set_script_prefix(before)
    assert url_for_id("projects:detail", 7) == "/projects/7/"


def test_the_template_filter_links_like_the_url_tag():
    template = Template(
        "{% load slate %}{{ pk|url_for_id:'risks:project-register' }}"
        " {% url 'risks:project-register' pk %}"
    )
    first, second = template.render(Context({"pk": 5})).split()
    assert first == second == "/projects/5/risks/"
