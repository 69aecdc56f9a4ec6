"""What an import reports: problems at `file:row:column`, the first `MAX_REPORTED` of each
kind kept and all of them counted, so a file of a million bad rows is answered in a reply of
bounded size that still says how many there were."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MAX_REPORTED = 1000
# A value quoted in a message is cut to this many characters (a cell may be 64 KiB long).
QUOTED = 40


@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}


class Problems(list):
    """A list of the first `MAX_REPORTED` problems; `total` counts every one appended."""

    def __init__(self, problems: Iterable[Problem] = ()):
        super().__init__()
        self.total = 0
        self.extend(problems)

    def append(self, problem: Problem) -> None:
        self.total += 1
        if len(self) < MAX_REPORTED:
            super().append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        before = len(problems) if isinstance(problems, list) else 0
        for problem in problems:
            self.append(problem)
        if isinstance(problems, Problems):  # what it counted but did not keep
            self.total += problems.total - before

    def __iadd__(self, problems: Iterable[Problem]) -> Problems:
        self.extend(problems)
        return self


def quoted(text: str) -> str:
    """`text` quoted for a message, cut when long."""
    return repr(text if len(text) <= QUOTED else text[:QUOTED] + "…")
