"""民生实事 rules as table tests: completion rate, rounding and formatting, derived status, bar geometry."""

from __future__ import annotations

from decimal import Decimal

import pytest

from casebook.content.project_model import (
    DONE,
    EXCEEDED,
    IN_PROGRESS,
    NOT_STARTED,
    STAGES,
    Indicator,
    bar,
    completion_rate,
    derived_status,
    plain_number,
    rate_text,
)

D = Decimal


@pytest.mark.parametrize(
    ("planned", "achieved", "shown"),
    [
        # the article's printed rates
        (19500, 24305, "124.64%"),
        (100, 154, "154%"),
        (1000, 1024, "102.4%"),
        (1000, 1016, "101.6%"),
        (10000, 11200, "112%"),
        (6000, 6078, "101.3%"),
        (7000, 11355, "162.21%"),
        (600000, 820000, "136.67%"),
        # rounding half-up to two decimals, no trailing zeros
        (3, 2, "66.67%"),
        (800, 1, "0.13%"),  # 0.125: half-up, where banker's rounding would give 0.12
        (8, 1, "12.5%"),
        (1086, 1343, "123.66%"),
        (3, 1, "33.33%"),
        (200000, 1, "0%"),  # 0.0005 rounds to 0.00
        (20000, 1, "0.01%"),  # 0.005 rounds half-up
        (7, 0, "0%"),
        # exactly 100 and large figures: never exponent form, never float noise
        (8, 8, "100%"),
        (D("0.1"), D("0.1"), "100%"),
        (10**15, 10**15, "100%"),
        (1, 10**15, "100000000000000000%"),
        (10**15, 10**15 + 1, "100%"),
        (10**15, 10**15 + 10**12 * 5, "100.5%"),
        (D("3"), D("3.0000000000000001"), "100%"),
        (D("0.3"), D("0.1"), "33.33%"),
    ],
)
def test_completion_rate_as_shown(planned: int | Decimal, achieved: int | Decimal, shown: str) -> None:
    rate = completion_rate(D(planned), D(achieved))
    assert rate_text(rate) == shown
    assert "E" not in rate_text(rate)


@pytest.mark.parametrize(("planned", "achieved"), [(None, D(79)), (D(0), D(5)), (D(10), None), (None, None)])
def test_no_rate_without_a_usable_plan_and_result(planned: Decimal | None, achieved: Decimal | None) -> None:
    assert completion_rate(planned, achieved) is None
    assert rate_text(completion_rate(planned, achieved)) == ""


@pytest.mark.parametrize(
    ("value", "text"),
    [(D("19500"), "19500"), (D("1.50"), "1.5"), (D("1E+3"), "1000"), (D("0.000"), "0"), (D("1E-7"), "0.0000001")],
)
def test_plain_number(value: Decimal, text: str) -> None:
    assert plain_number(value) == text


def ind(planned: int | None, achieved: int | None) -> Indicator:
    return Indicator(
        "x", planned=None if planned is None else D(planned), achieved=None if achieved is None else D(achieved)
    )


@pytest.mark.parametrize(
    ("stage", "indicators", "status"),
    [
        ("征集", [], NOT_STARTED),
        ("票决", [ind(10, None)], NOT_STARTED),
        ("审议", [ind(10, None), ind(None, None)], NOT_STARTED),
        ("票决", [ind(10, 3)], IN_PROGRESS),  # a figure is in before 实施: under way
        ("实施", [], IN_PROGRESS),
        ("实施", [ind(10, None)], IN_PROGRESS),
        ("实施", [ind(10, 9), ind(5, 5)], IN_PROGRESS),
        ("调整", [ind(10, None)], IN_PROGRESS),
        ("评估", [ind(None, 79)], IN_PROGRESS),  # counts without a plan never complete a project
        ("实施", [ind(10, 10), ind(5, 5)], DONE),
        ("实施", [ind(10, 10), ind(None, 3)], DONE),  # unplanned counts do not hold it back
        ("票决", [ind(10, 10)], DONE),
        ("实施", [ind(10, 11), ind(5, 5)], EXCEEDED),
        ("评估", [ind(10, 11), ind(5, 4)], IN_PROGRESS),  # one over, one short: not done
        ("完成", [], DONE),
        ("完成", [ind(10, 4)], DONE),  # the stage says done
        ("完成", [ind(10, 12)], EXCEEDED),
        ("完成", [ind(10, 12), ind(10, 4)], DONE),  # exceeded needs every plan reached
        ("完成", [ind(None, 79)], DONE),
    ],
)
def test_derived_status(stage: str, indicators: list[Indicator], status: str) -> None:
    assert stage in STAGES
    assert derived_status(stage, indicators) == status


@pytest.mark.parametrize(
    ("rate", "done", "over", "mark"),
    [
        ("0", "0", "0", "100"),
        ("66.67", "66.67", "0", "100"),
        ("100", "100", "0", "100"),
        ("125", "80", "20", "80"),  # the plan is 4/5 of the bar, the rest is the excess
        ("200", "50", "50", "50"),
        ("124.64", "80.23", "19.77", "80.23"),
    ],
)
def test_bar_geometry(rate: str, done: str, over: str, mark: str) -> None:
    geometry = bar(D(rate))
    assert (geometry.done, geometry.over, geometry.mark) == (D(done), D(over), D(mark))
