"""Numbers and dates as offices write them mean the same thing everywhere."""

from datetime import UTC, date, datetime

import pytest
from django.http import Http404

from jiangbei.parsing import (
    INT32_MAX,
    INT64_MAX,
    cell_text,
    int_or_404,
    parse_bounded_int,
    parse_date,
    parse_date_param,
    parse_id,
    parse_int,
    parse_month,
    parse_year,
)


@pytest.mark.parametrize(("value", "expected"), [
    ("42", 42), ("４２", 42), (" 7 ", 7), (3.0, 3), (5, 5), ("", None), (None, None), ("-1", None), ("1e3", None),
    ("٣", None),  # other scripts' digits are not ids
])
def test_parse_int(value, expected):
    assert parse_int(value) == expected


def test_int_or_404():
    assert int_or_404("12") == 12
    with pytest.raises(Http404):
        int_or_404("12; DROP TABLE")
    for beyond_any_id in (str(INT64_MAX + 1), "99999999999999999999", "9" * 5000):
        with pytest.raises(Http404):
            int_or_404(beyond_any_id)


def test_parse_int_survives_more_digits_than_python_converts():
    assert parse_int("9" * 5000) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-03-05", date(2025, 3, 5)), ("2025/3/5", date(2025, 3, 5)), ("2025年3月5日", date(2025, 3, 5)),
    ("2025.3.5", date(2025, 3, 5)), ("20250305", date(2025, 3, 5)), ("２０２５－０３－０５", date(2025, 3, 5)),
    (45721, date(2025, 3, 5)), (45721.0, date(2025, 3, 5)), (datetime(2025, 3, 5, 9, tzinfo=UTC), date(2025, 3, 5)),
    ("2025-02-30", None), ("next week", None), ("", None), (None, None), (12, None), (True, None),
])
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-03", (2025, 3)), ("2025年3月", (2025, 3)), ("2025/12", (2025, 12)), ("1999-01", None), ("2025-13", None),
    ("march", None),
])
def test_parse_month(value, expected):
    assert parse_month(value) == expected


def test_cell_text():
    assert (cell_text(None), cell_text(1234.0), cell_text(" 张三 "), cell_text(1.5)) == ("", "1234", "张三", "1.5")


# --- Query parameters ------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("7", 7), ("０", 0), (str(INT32_MAX), INT32_MAX), (str(INT32_MAX + 1), None), ("99999999999", None),
    ("-1", None), ("abc", None), ("", None), (None, None), ("1.5", None), ("9" * 5000, None), ("٣", None),
])
def test_parse_bounded_int_defaults_to_a_database_integer(value, expected):
    assert parse_bounded_int(value) == expected


def test_parse_bounded_int_takes_its_own_range_and_a_sign_when_negative_is_allowed():
    assert parse_bounded_int("13", minimum=1, maximum=12) is None
    assert parse_bounded_int("12", minimum=1, maximum=12) == 12
    assert parse_bounded_int("-5", minimum=-10, maximum=10) == -5
    assert parse_bounded_int("-11", minimum=-10, maximum=10) is None
    assert parse_bounded_int("--5", minimum=-10, maximum=10) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("1", 1), (str(INT64_MAX), INT64_MAX), (str(INT64_MAX + 1), None), ("99999999999999999999", None),
    ("0", None), ("-1", None), ("x", None),
])
def test_parse_id(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2025", 2025), ("1900", 1900), ("2999", 2999), ("1899", None), ("3000", None), ("99999999999", None),
    ("0000", None), ("x", None),
])
def test_parse_year(value, expected):
    assert parse_year(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-03-05", date(2025, 3, 5)), ("2025年3月5日", date(2025, 3, 5)), ("1900-01-01", date(1900, 1, 1)),
    ("2999-12-31", date(2999, 12, 31)),
    ("9999-12-31", None), ("0001-01-01", None), ("0000-00-00", None), ("2024-13-45", None), ("2025-02-30", None),
    ("abc", None), ("", None), (None, None), ("45721", None),  # a query parameter is never an Excel serial
])
def test_parse_date_param(value, expected):
    assert parse_date_param(value) == expected

