"""CloudWatch's alarm evaluation rules (workshop_lib/local/cloudwatch/evaluation.py) as tables."""

from __future__ import annotations

import pytest

from workshop_lib.local.cloudwatch.evaluation import (
    ALARM,
    INSUFFICIENT,
    OK,
    PeriodValue,
    breaches,
    decide,
    evaluation_range,
    percentile,
    reason,
    statistic,
)
from workshop_lib.local.core.monitoring_records import StoredDatum

X, Z, M = True, False, None  # breaching, not breaching (AWS's table writes 0), missing


@pytest.mark.parametrize(
    ("op", "value", "threshold", "expected"),
    [
        ("GreaterThanThreshold", 2001, 2000, True),
        ("GreaterThanThreshold", 2000, 2000, False),
        ("GreaterThanOrEqualToThreshold", 2000, 2000, True),
        ("GreaterThanOrEqualToThreshold", 1999.9, 2000, False),
        ("LessThanThreshold", 1, 2, True),
        ("LessThanThreshold", 2, 2, False),
        ("LessThanOrEqualToThreshold", 2, 2, True),
        ("LessThanOrEqualToThreshold", 2.1, 2, False),
    ],
)
def test_each_comparison_operator(op, value, threshold, expected):
    assert breaches(value, op, threshold) is expected


def test_an_unknown_operator_is_named():
    with pytest.raises(ValueError, match="LessThanLowerOrGreaterThanUpperThreshold"):
        breaches(1, "LessThanLowerOrGreaterThanUpperThreshold", 0)


# AWS's missing-data table (3 of 3, most recent last), each row: periods, then MISSING, IGNORE, BREACHING, NOT BREACHING
# ("keep" = the current state is retained; the current state in these rows is OK, then ALARM to tell "keep" apart).
MISSING_DATA_TABLE = [
    ([Z, M, X], OK, OK, OK, OK),
    ([M, M, Z], OK, OK, OK, OK),
    ([M, M, M], INSUFFICIENT, "keep", ALARM, OK),
    ([X, X, X], ALARM, ALARM, ALARM, ALARM),
    ([M, X, M], ALARM, "keep", ALARM, OK),
    ([Z, Z, Z], OK, OK, OK, OK),
]


@pytest.mark.parametrize("current", [OK, ALARM])
@pytest.mark.parametrize(("flags", "missing", "ignore", "breaching", "not_breaching"), MISSING_DATA_TABLE)
def test_treat_missing_data_table(current, flags, missing, ignore, breaching, not_breaching):
    for treat, expected in [("missing", missing), ("ignore", ignore), ("breaching", breaching),
                            ("notBreaching", not_breaching)]:  # fmt: skip
        want = current if expected == "keep" else expected
        assert decide(flags, 3, treat, current) == want, (flags, treat)
    assert decide(flags, 3, None, current) == decide(flags, 3, "missing", current)  # missing is the default


@pytest.mark.parametrize(
    ("flags", "m", "expected"),
    [
        ([X, Z, X], 2, ALARM),  # 2 out of 3
        ([X, Z, Z], 2, OK),
        ([Z, X, X, Z, X], 3, ALARM),  # 3 out of 5, not in a row
        ([X, X, Z, Z, Z], 3, OK),
        ([M, X, X], 2, ALARM),  # enough real values: the missing one does not matter
        ([M, Z, X], 2, OK),
    ],
)
def test_m_out_of_n(flags, m, expected):
    assert decide(flags, m, "breaching", INSUFFICIENT) == expected


def test_a_bad_treatment_is_named():
    with pytest.raises(ValueError, match="TreatMissingData 'sometimes'"):
        decide([X], 1, "sometimes", OK)


def test_evaluation_range_is_complete_aligned_periods():
    assert evaluation_range(1000.5, 10, 3) == [(970, 980), (980, 990), (990, 1000)]
    assert evaluation_range(119.0, 60, 1) == [(0, 60)]
    with pytest.raises(ValueError, match="Period and EvaluationPeriods"):
        evaluation_range(100, 0, 1)


def _d(*values, unit=None):
    return [StoredDatum(0, 1, v, v, v, unit, (v,)) for v in values]


@pytest.mark.parametrize(
    ("stat", "expected"),
    [("SampleCount", 4), ("Sum", 10), ("Average", 2.5), ("Minimum", 1), ("Maximum", 4), ("p50", 2), ("p99", 4)],
)
def test_statistics(stat, expected):
    assert statistic(_d(1.0, 2.0, 3.0, 4.0), stat) == expected


def test_statistic_sets_and_no_data():
    data = [StoredDatum(0, 4, 10, 1, 4), *_d(5.0)]
    assert (statistic(data, "SampleCount"), statistic(data, "Average"), statistic(data, "Maximum")) == (5, 3, 5)
    assert statistic([], "Sum") is None
    assert statistic([StoredDatum(0, 4, 10, 1, 4)], "p90") is None  # no raw values: no percentile
    assert percentile([5.0], 100) == 5.0
    with pytest.raises(ValueError, match="'Median' is not a statistic"):
        statistic(_d(1.0), "Median")


def test_reasons_in_aws_words():
    start = 1_764_763_200.0  # 03/12/25 12:00:00 UTC
    one = [PeriodValue(start, 2500.0, 1)]
    assert reason(one, ALARM, OK, "GreaterThanThreshold", 2000, 1, None) == (
        "Threshold Crossed: 1 datapoint [2500.0 (03/12/25 12:00:00)] was greater than the threshold (2000.0)."
    )
    ok = [PeriodValue(start, 0.0, 3)]
    assert reason(ok, OK, ALARM, "GreaterThanThreshold", 0, 1, None) == (
        "Threshold Crossed: 1 datapoint [0.0 (03/12/25 12:00:00)] was not greater than the threshold (0.0)."
    )
    three = [PeriodValue(start, 5.0), PeriodValue(start + 10, 1.0), PeriodValue(start + 20, 4.0)]
    assert reason(three, ALARM, OK, "GreaterThanOrEqualToThreshold", 4, 2, None) == (
        "Threshold Crossed: 2 out of the last 3 datapoints [4.0 (03/12/25 12:00:20), 5.0 (03/12/25 12:00:00)] were "
        "greater than or equal to the threshold (4.0) (minimum 2 datapoints for OK -> ALARM transition)."
    )
    none = [PeriodValue(start, None)]
    assert reason(none, INSUFFICIENT, OK, "GreaterThanThreshold", 0, 1, None) == (
        "Insufficient Data: 1 datapoint was unknown."
    )
    assert reason(none, ALARM, OK, "GreaterThanThreshold", 0, 1, "breaching") == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as "
        "[Breaching]."
    )
