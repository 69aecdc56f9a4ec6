"""The CSV files of one export, spooled to temporary files as batches are written (memory
stays flat), then handed out as a folder or as a zip streamed in chunks. Cells a spreadsheet
would run as formulas are neutralized (`hmis.csv_cells`)."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from hmis.csv_cells import Writer

from .hud_csv import FILES, HudFile

CHUNK = 1 << 16


class CsvFiles:
    def __init__(self) -> None:
        self._files: dict[str, IO[str]] = {}
        self._writers: dict[str, Writer] = {}
        # Each file's columns by position: most HUD columns stay empty, so a row is a blank
        # line with the given cells put in place.
        self._index = {spec.name: {c: i for i, c in enumerate(spec.columns)} for spec in FILES}
        for spec in FILES:
            # Open for the export's life (closed by `close`), hence no `with`.
            handle = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
            self._files[spec.name] = handle
            self._writers[spec.name] = Writer(handle)
            self._writers[spec.name].writerow(spec.columns)

    def write(self, spec: HudFile, row: dict[str, str]) -> None:
        index = self._index[spec.name]
        line = [""] * len(index)
        for column, value in row.items():
            line[index[column]] = value
        self._writers[spec.name].writerow(line)

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()

    def _rewound(self) -> Iterator[tuple[str, IO[str]]]:
        for name, handle in self._files.items():
            handle.flush()
            handle.seek(0)
            yield name, handle

    def to_folder(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, handle in self._rewound():
            with open(folder / name, "w", encoding="utf-8", newline="") as out:
                shutil.copyfileobj(handle, out, CHUNK)

    def to_zip(self, path: Path) -> None:
        with open(path, "wb") as archive:
            for chunk in self.zip_chunks():
                archive.write(chunk)

    def zip_chunks(self) -> Iterator[bytes]:
        """The zip, a chunk at a time (written to a stream, so no whole file in memory)."""
        sink = _Sink()
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, handle in self._rewound():
                with archive.open(name, "w") as entry:
                    while text := handle.read(CHUNK):
                        entry.write(text.encode("utf-8"))
                        yield sink.take()
        yield sink.take()


class _Sink:
    """A write-only stream for `zipfile` (which then writes data descriptors, not seeking)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._written = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data
