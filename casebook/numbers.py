"""Numbers as people read them: ``820000`` → ``82万``, ``11200`` → ``1.12万``, ``3亿`` (pure).

Chinese readers and the sources (budgets, work reports) write large figures in 万 (10⁴) and 亿
(10⁸); a page showing ``820000平方米`` where the report says ``82万平方米`` makes people count
digits. The rules, one place for every page and the 公众号 export:

- a value below 10,000 (in absolute value) is shown exactly, as written (``9999``, ``1.5``);
- from 10,000 it is shown in 万, from 100,000,000 in 亿, rounded half-up to at most two decimals,
  trailing zeros dropped: ``123456`` → ``12.35万``, ``99999`` → ``10万``, ``99999999`` → ``1亿``
  (a value that rounds up to 10,000万 is shown as 1亿);
- negatives keep their sign (``-12000`` → ``-1.2万``); None is the empty string;
- a unit that already starts with 万 or 亿 (``万元``) keeps the value exact, so nothing reads 万万.

The exact value is never replaced where it is data: CSV, API and the ``value`` of the ``<data>``
element the pages wrap a figure in keep it (see ``docs/projects.md``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

__all__ = ["WAN", "YI", "exact_text", "readable", "readable_with_unit", "scaled"]

WAN = Decimal(10_000)
YI = Decimal(100_000_000)
_CENT = Decimal("0.01")
_SCALES = ((YI, "亿"), (WAN, "万"))

Number = Decimal | int | float | str


def _decimal(value: Number) -> Decimal:
    try:
        # a float goes through its shortest text form (0.1, not 0.1000000000000000055…)
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def exact_text(value: Number) -> str:
    """Exact decimal text without trailing zeros and never in exponent form: ``1.50`` → ``1.5``."""
    text = format(_decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def scaled(value: Number) -> tuple[Decimal, str]:
    """The figure and its scale word: ``(82, "万")`` for 820000, ``(value, "")`` below 10,000."""
    number = _decimal(value)
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    with localcontext() as ctx:
        ctx.prec = max(28, len(number.as_tuple().digits) + 4)  # exact division, however long the figure
        for size, word in _SCALES:
            if abs(number) >= size:
                figure = (number / size).quantize(_CENT, rounding=ROUND_HALF_UP)
                if word == "万" and abs(figure) >= WAN:  # 99,999,999 rounds to 10000万: that is 1亿
                    return (number / YI).quantize(_CENT, rounding=ROUND_HALF_UP), "亿"
                return figure, word
    return number, ""


def readable(value: Number | None) -> str:
    """``82万``, ``1.12万``, ``12.35万``, ``1亿``, ``9999``; empty for None."""
    if value is None:
        return ""
    figure, word = scaled(value)
    return exact_text(figure) + word


def readable_with_unit(value: Number | None, unit: str = "") -> str:
    """A figure with its unit as one phrase: ``82万平方米``, ``1.12万人``; a 万/亿 unit stays exact."""
    if value is None:
        return ""
    if unit.startswith(("万", "亿")):
        return exact_text(value) + unit
    return readable(value) + unit
