"""CSV that spreadsheets open safely: the one writer every CSV of the app goes through.

Excel and WPS run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, after a tab or carriage
return, the same) as a formula — ``=HYPERLINK(…)`` in an indicator's name would become a live link
in every download. Such a cell is written with a leading ``'``, which spreadsheets show as text;
numbers (``-5``, ``+1.5``) stay numbers and the text itself is kept. Pure: no Flask, no database.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def safe_cell(value: object) -> str:
    """The cell as text, with ``'`` in front when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def csv_text(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    """CSV with a BOM (so Excel reads the Chinese), every cell through ``safe_cell``."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in header])
    writer.writerows([safe_cell(c) for c in row] for row in rows)
    return out.getvalue()
