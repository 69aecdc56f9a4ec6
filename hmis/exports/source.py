"""The CSV files of an import, read as streams: a folder or a zip is opened once per pass over
a file, and a file is never held in memory whole (an import reads each file twice: checked
first, then written)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class Source:
    """The CSV files of a folder or a zip, by file name (without folders)."""

    def __init__(self, folder: Path | None = None, archive: zipfile.ZipFile | None = None):
        self._folder = folder
        self._archive = archive
        if folder is not None:
            self._members = {p.name: p for p in sorted(folder.glob("*.csv"))}
        else:
            self._members = {
                Path(name).name: name
                for name in archive.namelist()
                if name.lower().endswith(".csv")
            }

    def __contains__(self, name: str) -> bool:
        return name in self._members

    @contextmanager
    def open(self, name: str) -> Iterator[IO[str]]:
        """The file as text (UTF-8, a byte-order mark skipped), read as it is consumed."""
        if self._folder is not None:
            with open(self._members[name], encoding="utf-8-sig", newline="") as handle:
                yield handle
            return
        with self._archive.open(self._members[name]) as raw:
            yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()


def read_source(path: Path) -> Source:
    if path.is_dir():
        return Source(folder=path)
    return Source(archive=zipfile.ZipFile(path))


def read_zip(content: bytes) -> Source:
    """An uploaded zip (already bounded in size by the route)."""
    return Source(archive=zipfile.ZipFile(io.BytesIO(content)))
