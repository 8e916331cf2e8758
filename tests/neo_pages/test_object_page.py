"""The object page as served: content from the record, 404 for what is not a NEO, never a 500."""

from __future__ import annotations

import json

import plotly
import pytest

from dashboard_app import objects
from dashboard_app.objects import format as fmt
from dashboard_app.objects import page, search
from tests.neo_pages.test_object_records import planted_objects, truth_row


def text_of(component) -> str:
    """Every string in a layout, in order (what a reader of the page sees, roughly)."""
    data = json.loads(json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder))
    out: list[str] = []

    def walk(node):
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            walk(node.get("props", {}).get("children"))

    walk(data)
    return " ".join(out)


def test_the_page_of_a_numbered_neo_shows_its_record(synthetic_sky, sky_snapshot, in_request):
    (provid, _) = planted_objects(synthetic_sky, "numbered_disc_under_provisional")
    truth = truth_row(synthetic_sky, provid)
    text = text_of(page.layout(designation=truth["permid"]))
    rec = objects.record(sky_snapshot, objects.find(sky_snapshot, provid))
    station = rec["discovery"]["station"]
    assert f"({truth['permid']}) {provid}" in text
    for expected in (
        fmt.number(truth["q"], 4, " au"),
        fmt.utc(truth["disc_time"]),
        f"{station['code']} · {station['name']}",
        station["project"],
        str(truth["disc_obs_id"]),
        f"Discovery apparition: {len(rec['apparition']['stations'])} station",
    ):
        assert expected in text, expected
    assert text.count("discoverer") == 1


def test_every_form_of_the_designation_opens_the_same_page(synthetic_sky, in_request):
    (provid, _) = planted_objects(synthetic_sky, "numbered_disc_under_provisional")
    truth = truth_row(synthetic_sky, provid)
    pages = {
        text_of(page.layout(designation=d))
        for d in (truth["permid"], f"({truth['permid']})", provid, provid.replace(" ", "_"), truth["packed_provid"])
    }
    assert len(pages) == 1


def test_odd_values_are_worded_not_blank(synthetic_sky, in_request):
    (zero_span,) = planted_objects(synthetic_sky, "zero_span_tracklet")
    assert fmt.NO_MOTION in text_of(page.layout(designation=zero_span))
    (space,) = planted_objects(synthetic_sky, "space_based_discovery")
    assert "space-based station" in text_of(page.layout(designation=space))
    (h_null,) = planted_objects(synthetic_sky, "h_null")
    text = text_of(page.layout(designation=h_null))
    assert "Unknown" in text or "unknown" in text


def test_a_neo_without_discovery_data_gets_a_page_that_says_why(synthetic_sky, in_request):
    (provid,) = planted_objects(synthetic_sky, "missing_only_deprecated_flag")
    text = text_of(page.layout(designation=provid))
    assert "No discovery data" in text and "disc='*'" in text
    # e and i: in a schema-2 snapshot (a schema-1 one says "not in this snapshot" instead)
    assert fmt.NOT_IN_SNAPSHOT not in text and "Eccentricity e" in text and "Inclination i" in text


def test_unknown_and_malformed_designations_get_a_not_found_page(in_request):
    well_formed = text_of(page.layout(designation="2099 YZ99"))
    assert "No NEO “2099 YZ99”" in well_formed and "well-formed designation" in well_formed
    junk = text_of(page.layout(designation="not-a-designation"))
    assert "This is not a designation" in junk


HOSTILE = [
    "%00",
    "..%2F..%2Fetc%2Fpasswd",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "x" * 5000,
    "%E2%80%AE2024%20YR4",
    "%FF%FE",
    "2024%2520YR4",
    "(((",
    "~~~~~",
    "_" * 7,
]


@pytest.mark.parametrize("designation", HOSTILE)
def test_hostile_designations_are_a_404_never_a_500(designation, sky_app):
    client = sky_app.server.test_client()
    response = client.get(f"/neo/{designation}")
    assert response.status_code == 404
    assert client.get(f"/api/v1/neo/{designation}").status_code == 404


def test_page_statuses_are_200_for_neos_and_404_for_the_rest(synthetic_sky, sky_app):
    client = sky_app.server.test_client()
    (provid,) = planted_objects(synthetic_sky, "missing_no_observations")
    (found,) = planted_objects(synthetic_sky, "disc_without_trkid")
    assert client.get(f"/neo/{found.replace(' ', '_')}").status_code == 200
    assert client.get(f"/neo/{found.replace(' ', '%20')}").status_code == 200
    assert client.get(f"/neo/{provid.replace(' ', '_')}").status_code == 200  # a NEO, without discovery data
    assert client.get("/neo/2099_YZ99").status_code == 404
    assert client.get("/neo/").status_code == 404
    assert client.get("/neo/2024_YR4/extra").status_code == 404


def test_the_browser_title_names_the_designation():
    assert page.title(designation="k24y04r") == "2024 YR4 · NEO"
    assert page.title(designation="<b>") == "Not found · NEO"


def test_object_pages_are_not_in_the_tab_bar(sky_app):
    with sky_app.server.test_request_context("/"):
        from dashboard_app.web.shell import _tab_bar

        assert "/neo/" not in json.dumps(_tab_bar().to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)


def test_suggestions_are_links_to_object_pages_and_name_the_best_match(synthetic_sky, in_request):
    (provid, _) = planted_objects(synthetic_sky, "numbered_disc_under_provisional")
    truth = truth_row(synthetic_sky, provid)
    items, hidden, status, best = search.suggestions(provid.lower())
    assert not hidden and status == f"{len(items)} suggestion{'s' if len(items) != 1 else ''}."
    links = [item.children for item in items]
    assert links[0].href == f"/neo/{truth['permid']}" and links[0].children == f"({truth['permid']}) {provid}"
    assert best == {"query": provid.lower(), "path": f"/neo/{truth['permid']}"}


def test_no_suggestion_says_so_and_an_empty_box_hides_the_list(in_request):
    _items, hidden, status, best = search.suggestions("zzzz")
    assert not hidden and best is None and "No NEO matches" in status
    assert search.suggestions("   ") == ([], True, "", None)
    assert search.suggestions(None) == ([], True, "", None)
