"""Designations as people type them: every common form parses to one canonical designation."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard_app import designations as d
from dashboard_app.sky import designations as sky

# (typed, canonical text, packed) — the MPC's own examples, and odd spacing and case.
SAME_OBJECT = [
    ("2024 YR4", "2024 YR4", "K24Y04R"),
    ("K24Y04R", "2024 YR4", "K24Y04R"),
    ("k24y04r", "2024 YR4", "K24Y04R"),
    ("2024yr4", "2024 YR4", "K24Y04R"),
    ("  2024   yr 4 ", "2024 YR4", "K24Y04R"),
    ("2024_YR4", "2024 YR4", "K24Y04R"),
    ("2024+YR4", "2024 YR4", "K24Y04R"),
    ("2024%20YR4", "2024 YR4", "K24Y04R"),
    ("\t2024\nYR4", "2024 YR4", "K24Y04R"),
    ("J95X00A", "1995 XA", "J95X00A"),
    ("1995 XL1", "1995 XL1", "J95X01L"),
    ("J95F13B", "1995 FB13", "J95F13B"),
    ("J98SA8Q", "1998 SQ108", "J98SA8Q"),
    ("J98SC7V", "1998 SV127", "J98SC7V"),
    ("J98SG2S", "1998 SS162", "J98SG2S"),
    ("K99AJ3Z", "2099 AZ193", "K99AJ3Z"),
    ("K08Aa0A", "2008 AA360", "K08Aa0A"),
    ("K07Tf8A", "2007 TA418", "K07Tf8A"),
    ("1898 DQ", "1898 DQ", "I98D00Q"),
    # The extended packed form for cycle counts of 620 and more (examples from Project Pluto's test cases).
    ("_QC0000", "2026 CA620", "_QC0000"),
    ("2026 CZ6190", "2026 CZ6190", "_QC0aEM"),
    ("_QCzzzz", "2026 CL591673", "_QCzzzz"),
    ("_AH9fZ7", "2010 HJ92809", "_AH9fZ7"),
    ("2010 hj92809", "2010 HJ92809", "_AH9fZ7"),
    # Survey designations.
    ("2040 P-L", "2040 P-L", "PLS2040"),
    ("PLS2040", "2040 P-L", "PLS2040"),
    ("3138 t-1", "3138 T-1", "T1S3138"),
    ("1010T-2", "1010 T-2", "T2S1010"),
    ("T3S4101", "4101 T-3", "T3S4101"),
]


@pytest.mark.parametrize(("typed", "text", "packed"), SAME_OBJECT)
def test_a_designation_in_any_common_form_parses_to_its_canonical_form(typed, text, packed):
    parsed = d.parse(typed)
    assert (parsed.text, parsed.packed, parsed.number) == (text, packed, None)
    assert d.parse(parsed.packed) == parsed == d.parse(parsed.text)


NUMBERS = [
    ("99942", 99942),
    ("(99942)", 99942),
    (" ( 99942 ) ", 99942),
    ("(99942) Apophis", 99942),
    ("99942 Apophis", 99942),
    ("(99942) 2004 MN4", 99942),
    ("433 Eros", 433),
    ("00433", 433),
    ("G4060", 164060),
    ("n1415", 491415),
    ("~0000", 620000),
    ("~000a", 620036),
    ("~AZaz", 3140113),
    ("~zzzz", 15396335),
]


@pytest.mark.parametrize(("typed", "number"), NUMBERS)
def test_numbers_parse_plain_bracketed_named_and_packed(typed, number):
    parsed = d.parse(typed)
    assert (parsed.kind, parsed.number, parsed.text) == ("number", number, str(number))
    assert d.parse(d.packed_number(number)).number == number


def test_packed_numbers_follow_the_mpc_format():
    assert [d.packed_number(n) for n in (1, 433, 99999, 100000, 164060, 491415, 619999, 620000, 15396335)] == [
        "00001", "00433", "99999", "A0000", "G4060", "n1415", "z9999", "~0000", "~zzzz",
    ]  # fmt: skip


def test_the_cycle_code_keeps_its_case_because_it_changes_the_designation():
    assert d.parse("K07Tf8A").text == "2007 TA418"
    assert d.parse("K07TF8A").text == "2007 TA158"
    assert d.parse("k07tf8a").text == "2007 TA418"  # only the cycle code's case is kept


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "hello",
        "Apophis",
        "2024 IA",  # no I among half-month letters
        "2024 AI",  # no I among order letters
        "2024 ZA",  # Z is no half-month letter
        "1700 AA",  # no packed form before 1800
        "K24I04R",
        "0",
        "(0)",
        "123456789",
        "2024 YR4 extra",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "x" * 500,
        "%00",
        "2024\u00a0YR4\u202e",
    ],
)
def test_text_that_is_no_designation_is_refused_with_a_reason(typed):
    with pytest.raises(d.DesignationError) as err:
        d.parse(typed)
    assert str(err.value)


def test_url_slugs_and_search_keys_ignore_spacing_brackets_and_case():
    assert d.url_slug("2024 YR4") == "2024_YR4"
    assert d.parse(d.url_slug("2040 P-L")).text == "2040 P-L"
    assert d.search_key(" (99942) ") == "99942"
    assert d.search_key("2024 yr") == d.search_key("2024YR") == "2024YR"


def test_the_synthetic_sky_writes_designations_the_parser_reads_back():
    rng = np.random.default_rng(17)
    for year, half, order in zip(
        rng.integers(1900, 2100, 400), rng.integers(0, 24, 400), rng.integers(0, sky.MAX_ORDER, 400), strict=True
    ):
        unpacked, packed = sky.unpacked(int(year), int(half), int(order)), sky.packed(int(year), int(half), int(order))
        assert d.parse(unpacked).packed == packed
        assert d.parse(packed).text == unpacked
        assert d.unpacked_provisional(int(year), int(half), int(order)) == unpacked
