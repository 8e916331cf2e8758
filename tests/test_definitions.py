"""Each rule has one home in ``dashboard_app.definitions``: texts are derived from the constants."""

from __future__ import annotations

import re

from dashboard_app import definitions as d


def test_the_recorded_neo_predicate_is_the_threshold_the_code_applies():
    match = re.fullmatch(r"q <= (\d+\.\d+)", d.NEO_PREDICATE_SQL)
    assert match and float(match.group(1)) == d.NEO_Q_MAX_AU


def test_follow_up_rule_texts_name_the_apparition_window_constant():
    for rule in (d.FOLLOWUP_BY_PROJECT, d.FOLLOWUP_BY_STATION):
        windows = re.findall(r"±(\d+)-day", rule.summary)
        assert windows == [str(d.APPARITION_HALF_WINDOW_DAYS)], rule.summary


def test_the_unknown_size_class_is_its_reference_row():
    from dashboard_app import reference

    (unknown,) = [c for c in reference.size_classes() if c.is_unknown]
    assert reference.UNKNOWN_SIZE_ORDER == unknown.order == max(c.order for c in reference.size_classes())
    assert reference.size_class_of(None) == reference.size_class_of(-9.99) == unknown.order
