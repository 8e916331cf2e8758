"""The designation index: every form of a designation finds its NEO; suggestions follow what is typed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard_app.analysis import designation_index as ix


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    disc = pd.DataFrame(
        {
            "provid": ["2024 YR4", "2004 MN4", "2007 TA418", "2007 TA158", "2024 YA", "2024 YA1", "1991 VG"],
            "packed_provid": ["K24Y04R", "K04M04N", "K07Tf8A", "K07TF8A", "K24Y00A", "K24Y01A", "J91V00G"],
            "permid": [None, "99942", None, None, None, "7", np.nan],
        }
    )
    missing = pd.DataFrame(
        {"provid": ["2011 JE", "odd desig 9"], "packed_provid": ["K11J00E", "odd"], "permid": [None, None]}
    )
    return disc, missing


def index() -> ix.DesignationIndex:
    return ix.build_index(*frames())


def test_every_form_of_a_designation_finds_the_same_neo():
    idx = index()
    for text in ("2004 MN4", "2004mn4", "K04M04N", "k04m04n", "99942", "(99942)", "(99942) Apophis", "2004_MN4"):
        hit = ix.find(idx, text)
        assert hit is not None and (hit.owner, hit.designation, hit.slug) == (1, "(99942) 2004 MN4", "99942"), text


def test_packed_designations_differing_only_in_the_cycle_codes_case_are_two_neos():
    idx = index()
    assert ix.find(idx, "K07Tf8A").provid == "2007 TA418"
    assert ix.find(idx, "K07TF8A").provid == "2007 TA158"


def test_neos_without_a_discovery_are_found_and_marked():
    hit = ix.find(index(), "2011 JE")
    assert hit is not None and not hit.discovered and hit.row == 0


def test_a_stored_designation_the_parser_does_not_know_is_still_found_by_its_exact_text():
    hit = ix.find(index(), "ODD  desig 9")
    assert hit is not None and hit.provid == "odd desig 9" and hit.row == 1


def test_unknown_and_malformed_text_finds_nothing():
    idx = index()
    for text in ("2024 YR5", "12345", "K24Y04S", "", "   ", "nonsense", "2024 Y"):
        assert ix.find(idx, text) is None, text


def test_suggestions_match_the_start_of_any_form_ignoring_spacing_and_case():
    idx = index()
    assert [h.provid for h in ix.suggest(idx, "2024 y")] == ["2024 YA1", "2024 YA", "2024 YR4"]  # numbered first
    assert [h.provid for h in ix.suggest(idx, "k24y0")] == ["2024 YA1", "2024 YA", "2024 YR4"]
    assert [h.designation for h in ix.suggest(idx, "9994")] == ["(99942) 2004 MN4"]
    assert ix.suggest(idx, "") == [] and ix.suggest(idx, "zzz") == []


def test_the_exact_match_comes_first_and_the_limit_holds():
    idx = index()
    assert ix.suggest(idx, "2024 YA")[0].provid == "2024 YA"
    assert len(ix.suggest(idx, "2", limit=2)) == 2
    assert ix.suggest(idx, "2", limit=0) == []


def test_each_neo_is_suggested_once_even_when_several_of_its_forms_match():
    idx = ix.build_index(
        pd.DataFrame({"provid": ["2020 AA"], "packed_provid": ["2020AA-ish"], "permid": ["2020"]}), frames()[1][:0]
    )
    assert [h.provid for h in ix.suggest(idx, "2020")] == ["2020 AA"]
