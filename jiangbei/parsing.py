"""The one place that reads numbers and dates typed by people or exported by other systems.

Query strings, form posts and spreadsheet cells all come through here, so "３", "2025年3月5日",
"2025/3/5" and an Excel date serial mean the same thing on every page and in every import.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from django.http import Http404

DATE_TEXT = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
DATE_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})")
MONTH_TEXT = re.compile(r"(\d{4})[-/.年](\d{1,2})月?")
# Excel counts days from 1899-12-30; serials in this range are the years 1954–2119.
EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_SERIALS = range(20_000, 80_000)
# Query parameters: years a page may be asked about (date arithmetic near 9999 overflows), and
# the largest whole numbers the database columns hold (ids are BigAutoField; counts Integer).
PARAM_YEARS = range(1900, 3000)
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def cell_text(value) -> str:
    """A cell or parameter as trimmed text; a whole float (what spreadsheets give) without ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _ascii(text: str) -> str:
    """Full-width digits and punctuation as their ASCII forms ("２０２５－０３" → "2025-03")."""
    return unicodedata.normalize("NFKC", text)


def parse_int(value) -> int | None:
    """A non-negative whole number, or None."""
    text = _ascii(cell_text(value))
    if not (text.isascii() and text.isdigit()):
        return None
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        return None


def int_or_404(value) -> int:
    """An id from a URL or a form: anything else (or more than a database id holds) does not exist."""
    number = parse_bounded_int(value, minimum=0, maximum=INT64_MAX)
    if number is None:
        raise Http404
    return number


def parse_date(value) -> date | None:
    """A date from a date, an ISO or Chinese date text, eight digits, or an Excel serial; else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and int(value) in EXCEL_SERIALS:
        return EXCEL_EPOCH + timedelta(days=int(value))
    text = _ascii(cell_text(value))
    match = DATE_TEXT.fullmatch(text) or DATE_DIGITS.fullmatch(text)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:  # 2025-02-30
        return None


def parse_month(value) -> tuple[int, int] | None:
    """(year, month) from "2025-03", "2025/3" or "2025年3月", within 2000–2100; else None."""
    match = MONTH_TEXT.fullmatch(_ascii(cell_text(value)))
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


# --- Query parameters: junk in a URL is "not given", never a server error ----------------------


def parse_bounded_int(value, minimum: int = 0, maximum: int = INT32_MAX) -> int | None:
    """A whole number within [minimum, maximum] (a database integer column by default), else None.

    ``?venue=99999999999999999999`` or ``?page=-1`` must not reach a query, a ``range()`` or
    ``date()``; a negative minimum admits a leading "-".
    """
    text = _ascii(cell_text(value))
    negative = minimum < 0 and text.startswith("-")
    digits = text[1:] if negative else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
        return None
    number = -int(digits) if negative else int(digits)
    return number if minimum <= number <= maximum else None


def parse_id(value) -> int | None:
    """A primary key from a query parameter (1 … the largest BigAutoField), else None."""
    return parse_bounded_int(value, minimum=1, maximum=INT64_MAX)


def parse_year(value) -> int | None:
    """A year from a query parameter, within 1900–2999, else None."""
    return parse_bounded_int(value, minimum=PARAM_YEARS.start, maximum=PARAM_YEARS.stop - 1)


def parse_date_param(value) -> date | None:
    """A date from a query parameter (as ``parse_date`` reads it) within 1900–2999, else None.

    ``?date=9999-12-31`` would overflow the first ``+ timedelta``; ``?date=2024-13-45`` is no date.
    """
    if not isinstance(value, str):
        return None
    parsed = parse_date(value)
    return parsed if parsed is not None and parsed.year in PARAM_YEARS else None
