"""Numbers and dates as offices write them mean the same thing everywhere."""

from datetime import UTC, date, datetime

import pytest
from django.http import Http404

from jiangbei.parsing import cell_text, int_or_404, parse_date, parse_int, parse_month


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
