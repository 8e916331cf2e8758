"""About explains the catch-all groups and how to read each tab, in plain words beside the definitions."""

from __future__ import annotations

import importlib

from dash import html

from dashboard_app import reference
from dashboard_app.tabs import TAB_MODULES, about
from tests.tabs_discoveries.layout_tree import find

CATCH_ALLS = ("Other Surveys", "Other Follow-up", "Historical", "Independent Surveys", "Other-US")


def text_of(component) -> str:
    """Every string under a component, joined by spaces."""
    if component is None or isinstance(component, (int, float)):
        return "" if component is None else str(component)
    if isinstance(component, str):
        return component
    if isinstance(component, (list, tuple)):
        return " ".join(text_of(c) for c in component)
    return text_of(getattr(component, "children", None))


def test_every_project_catch_alls_included_says_what_it_is(in_request):
    page = about.layout()
    rows = find(page, "about-projects-table").children[1].children
    meaning = {text_of(r.children[2]): text_of(r.children[3]) for r in rows}
    assert set(meaning) == {p.name for p in reference.projects()}
    assert all(len(m) > 15 for m in meaning.values()), meaning
    assert "1999 or earlier" in meaning["Historical"]
    assert "more than 10 NEO discoveries" in meaning["Independent Surveys"]
    for name in CATCH_ALLS:
        assert meaning[name][0].isupper()


def test_about_says_how_to_read_every_tab(in_request):
    listed = find(about.layout(), "about-how-to-read-list").children
    terms = [text_of(c) for c in listed if isinstance(c, html.Dt)]
    texts = [text_of(c) for c in listed if isinstance(c, html.Dd)]
    tabs = sorted((importlib.import_module(m) for m in TAB_MODULES), key=lambda m: m.ORDER)
    with_views = [m for m in tabs if hasattr(m, "VIEW")]
    missing = [m.__name__ for m in with_views if not getattr(m, "HOW_TO_READ", "")]
    assert not missing, f"add HOW_TO_READ (plain words for About) to {missing}"
    assert terms == [m.NAME for m in with_views]
    assert all(len(t) > 80 for t in texts)


def test_about_has_no_duplicate_ids(in_request):
    from tests.tabs_discoveries.layout_tree import walk

    ids = [c.id for c in walk(about.layout()) if getattr(c, "id", None)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
