"""What every xlsx download shares: cells that no spreadsheet will run as a formula."""

# A cell starting with one of these is a formula (or becomes one) in Excel and WPS.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula is stored as plain text (CSV/xlsx injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
