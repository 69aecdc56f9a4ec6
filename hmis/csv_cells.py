"""CSV cells a spreadsheet will not run: every CSV file the API writes goes through `Writer`,
and the HUD CSV import reads each cell back through `restored`.

A cell a spreadsheet would read as a formula (OWASP, "CSV Injection": one starting with `=`,
`+`, `-`, `@`, a tab or a carriage return; here also their full-width forms, which some
spreadsheets fold to the ASCII ones, and any of them after leading whitespace, which some
trim) is written with a `'` before it: shown as text, never run, so it cannot send the cells
around it (other clients' PPI) anywhere. A plain number (`-2`, `+5`, `-2.50`) is no formula
and is written as it is: the writer sees text only, so it neutralizes by the cell's shape, not
by its column, and no column (a text column added later) can be forgotten. HUD's dates, codes,
amounts and IDs never start with those characters, so they are never changed.

The rule is unambiguous both ways: the reader drops a leading `'` only before what the writer
would have neutralized (a formula, or another `'`), and the writer also prefixes a value that
already looks like that (`'=x` is written `''=x`), so every value comes back exactly as it was.
A `'` before anything else (`'Tis`) is the value's own and stays.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO

QUOTE = "'"
# What starts a formula, in ASCII and full width (＝ ＋ － ＠).
FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
# A plain number (`-2`, `+5`, `-2.50`): no formula. Other forms (`-1e5`, `+.2`) are quoted.
NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
# The first characters worth a closer look (every whitespace character is below U+3001).
_FIRST = FORMULA_START | {QUOTE} | {chr(i) for i in range(0x3001) if chr(i).isspace()}


def _formula(text: str) -> bool:
    if text[:1] in ("\t", "\r"):
        return True
    first = text.lstrip()[:1]
    return first in FORMULA_START and not NUMBER.fullmatch(text)


def _escaped(text: str) -> bool:
    """A `'` the reader takes for the writer's: before a formula or another `'`."""
    rest = text[1:]
    return text[:1] == QUOTE and (rest[:1] == QUOTE or _formula(rest))


def neutral(value: str) -> str:
    """The cell as written: `'` before a formula or before what would read as escaped."""
    if value and value[0] in _FIRST and (_formula(value) or _escaped(value)):
        return QUOTE + value
    return value


def restored(cell: str) -> str:
    """The value a cell written by `neutral` (or by a spreadsheet's own escape) holds."""
    return cell[1:] if _escaped(cell) else cell


class Writer:
    """`csv.writer` of text cells, each through `neutral`."""

    def __init__(self, handle: IO[str]):
        self._writer = csv.writer(handle, lineterminator="\r\n")

    def writerow(self, row: Iterable[str]) -> None:
        # Most cells are empty or start with a letter or a digit: `neutral` only for the rest.
        self._writer.writerow([neutral(c) if c and c[0] in _FIRST else c for c in row])
