"""The CSV files of an import, read as streams: a folder or a zip is opened once per pass over
a file, and a file is never held in memory whole (an import reads each file twice: checked
first, then written).

What cannot be read is a problem of the file, never a crash: text that is not UTF-8, a line
or a cell too long, more rows or more unzipped bytes than the limits (counted as they are
read, whatever the zip declares), a damaged or encrypted zip member."""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from . import hud_csv as H

MIB = 1024 * 1024
# A HUD row is a few hundred characters; cells are at most a few hundred.
MAX_LINE_CHARS = 64 * 1024
# The files read whole by the writer (organizations, projects, users) and Export.csv.
REFERENCE_FILES = frozenset(s.name for s in (H.EXPORT, H.ORGANIZATION, H.USER, H.PROJECT))
MAX_REFERENCE_ROWS = 10_000
# Bytes that are not UTF-8, as `errors="surrogateescape"` decodes them (one each).
UNDECODABLE = re.compile("[\udc80-\udcff]")
UTF16_MARKS = ("\udcff\udcfe", "\udcfe\udcff")  # FF FE and FE FF, read as UTF-8
AS_UTF8 = "HUD CSV files are UTF-8 (save the file as UTF-8)"


@dataclass(frozen=True)
class Limits:
    """How much one import may read (docs/hud-csv.md, "Limits"; `hmis.config.Settings`)."""

    file_bytes: int = 512 * MIB  # one CSV file, unzipped
    total_bytes: int = 1024 * MIB  # all of them
    rows: int = 1_000_000  # of one file (the reference files: MAX_REFERENCE_ROWS)

    @classmethod
    def of(cls, settings) -> Limits:
        return cls(settings.import_max_file_bytes, settings.import_max_total_bytes,
                   settings.import_max_rows)  # fmt: skip

    def rows_of(self, name: str) -> int:
        return min(self.rows, MAX_REFERENCE_ROWS) if name in REFERENCE_FILES else self.rows


class Unreadable(Exception):
    """What stops the reading of a file: a row of it (`whole_file` false) or all of it."""

    def __init__(self, message: str, *, whole_file: bool = False):
        super().__init__(message)
        self.whole_file = whole_file


class Source:
    """The CSV files of a folder or a zip, by file name (without folders).

    `problems` are (file, message) pairs found before reading (a zip member too large or
    encrypted, two members of one name); the files they name are not read."""

    def __init__(self, folder: Path | None = None, archive: zipfile.ZipFile | None = None,
                 limits: Limits = Limits(), name: str = "") -> None:  # fmt: skip
        self._folder = folder
        self._archive = archive
        self.limits = limits
        self.problems: list[tuple[str, str]] = []
        self.refused: set[str] = set()
        self._read: dict[str, int] = {}  # the most bytes read of each file in one pass
        if folder is not None:
            self._members = {p.name: p for p in sorted(folder.glob("*.csv"))}
            return
        self._members = {}
        for info in archive.infolist():
            base = Path(info.filename).name
            if not base.lower().endswith(".csv") or info.is_dir():
                continue
            if base in self._members:
                self._refuse(base, f"the zip holds two files named {base}")
            elif info.flag_bits & 0x1:
                self._refuse(base, "the file is encrypted: send the zip without a password")
            elif info.file_size > limits.file_bytes:
                self._refuse(base, f"unzips to {info.file_size} bytes, over the limit of "
                             f"{limits.file_bytes} for one file")  # fmt: skip
            self._members.setdefault(base, info)
        declared = sum(i.file_size for i in self._members.values())
        if declared > limits.total_bytes:
            self.problems.append((name, f"the CSV files unzip to {declared} bytes, over the "
                                  f"limit of {limits.total_bytes}"))  # fmt: skip
            self.refused.update(self._members)

    def _refuse(self, name: str, message: str) -> None:
        self.problems.append((name, message))
        self.refused.add(name)

    def __contains__(self, name: str) -> bool:
        return name in self._members

    @contextmanager
    def records(self, sink, name: str) -> Iterator[Records]:
        """The file's CSV records, read as they are consumed (UTF-8, a byte-order mark
        skipped). What stops the reading is reported to `sink.unreadable(file, row, column,
        message)` (None: ignored) and ends the records."""
        if name in self.refused:  # reported in `problems`
            yield Records(None, name, None, 0)
            return
        try:
            raw = self._binary(name)
        except _ZIP_ERRORS:  # a bad header, a compression method zipfile does not know
            if sink is not None:
                sink.unreadable(name, 0, "", DAMAGED)
            yield Records(None, name, None, 0)
            return
        with raw:
            counted = io.BufferedReader(_Counted(raw, self, name))
            text = io.TextIOWrapper(counted, "utf-8-sig", "surrogateescape", newline="")
            yield Records(sink, name, text, self.limits.rows_of(name))

    def _binary(self, name: str) -> IO[bytes]:
        if self._folder is not None:
            return open(self._members[name], "rb")  # closed by `records`
        return self._archive.open(self._members[name])

    def _count(self, name: str, count: int) -> None:
        """`count` bytes of `name` read so far in this pass: refused past the limits."""
        self._read[name] = max(self._read.get(name, 0), count)
        if count > self.limits.file_bytes:
            raise Unreadable(f"more than {self.limits.file_bytes} bytes unzipped, the limit "
                             "for one file", whole_file=True)  # fmt: skip
        if sum(self._read.values()) > self.limits.total_bytes:
            raise Unreadable(f"the CSV files hold more than {self.limits.total_bytes} "
                             "bytes, the limit of an import", whole_file=True)  # fmt: skip

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()


# What zipfile raises on a damaged member: a bad CRC or header, a truncated or corrupt
# stream, a compression method it does not know.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)
DAMAGED = "the zip's copy of the file is damaged (its CRC or compressed data): zip it again"


class _Counted(io.RawIOBase):
    """A file's bytes, counted as they are read (`Source._count`)."""

    def __init__(self, raw: IO[bytes], source: Source, name: str):
        self._raw, self._source, self._name, self.count = raw, source, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._raw.read(len(buffer))
        except _ZIP_ERRORS:
            raise Unreadable(DAMAGED, whole_file=True) from None
        buffer[: len(data)] = data
        self.count += len(data)
        self._source._count(self._name, self.count)
        return len(data)


class Records:
    """A file's CSV records (lists of cells), the header first; row 1 is the header. The
    first thing that cannot be read is reported and ends them (`failed`)."""

    def __init__(self, sink, name: str, text: IO[str] | None, max_rows: int):
        self._sink, self._name, self._max_rows = sink, name, max_rows
        self._reader = csv.reader(self._lines(text) if text is not None else ())
        self._header: list[str] = []
        self._undecodable = False
        self.row = 0  # the last row read
        self.failed = text is None  # not read at all (its problem was reported)

    def __iter__(self) -> Records:
        return self

    def __next__(self) -> list[str]:
        if self.failed:
            raise StopIteration
        self.row += 1
        try:
            if self.row > self._max_rows + 1:
                if next(self._reader, None) is None:
                    raise StopIteration
                raise Unreadable(f"more than {self._max_rows} rows, the limit of one file")
            cells = next(self._reader)
        except Unreadable as error:
            self._fail(0 if error.whole_file else self.row, "", str(error))
        except csv.Error as error:
            self._fail(self.row, "", f"not CSV: {error}")
        if self._undecodable:
            self._not_utf8(cells)
        if self.row == 1:
            self._header = [h.strip() for h in cells]
        return cells

    def _lines(self, text) -> Iterator[str]:
        while line := text.readline(MAX_LINE_CHARS + 2):
            if len(line.rstrip("\r\n")) > MAX_LINE_CHARS:
                raise Unreadable(f"a line longer than {MAX_LINE_CHARS} characters")
            if self.row == 1 and line.startswith(UTF16_MARKS):
                raise Unreadable(f"UTF-16 text (its byte-order mark): {AS_UTF8}")
            if self.row == 1 and "\x00" in line:
                raise Unreadable(f"NUL characters in the header (UTF-16 text?): {AS_UTF8}")
            self._undecodable = self._undecodable or bool(UNDECODABLE.search(line))
            yield line

    def _not_utf8(self, cells: list[str]) -> None:
        for index, cell in enumerate(cells):
            found = UNDECODABLE.search(cell)
            if found:
                column = self._header[index] if index < len(self._header) else ""
                byte = ord(found.group()) - 0xDC00
                self._fail(self.row, column, f"not UTF-8 (byte 0x{byte:02X}): {AS_UTF8}")

    def _fail(self, row: int, column: str, message: str):
        self.failed = True
        if self._sink is not None:
            self._sink.unreadable(self._name, row, column, message)
        raise StopIteration


def read_source(path: Path, limits: Limits = Limits()) -> Source:
    if path.is_dir():
        return Source(folder=path, limits=limits)
    with open(path, "rb") as handle:
        _check_directory(handle)
    return Source(archive=zipfile.ZipFile(path), limits=limits, name=path.name)


def read_zip(content: IO[bytes], limits: Limits, name: str = "") -> Source:
    """An uploaded zip (a file on disk, already bounded in size by the route)."""
    _check_directory(content)
    return Source(archive=zipfile.ZipFile(content), limits=limits, name=name)


# zipfile reads the whole central directory into objects of a few hundred bytes per member
# before anything else: a 256 MiB zip of empty members would be millions of them. A HUD
# export's directory is well under a KiB per file.
MAX_DIRECTORY_BYTES = 1 * MIB
END, END64_LOCATOR, END64 = b"PK\x05\x06", b"PK\x06\x07", b"PK\x06\x06"


def _check_directory(file: IO[bytes]) -> None:
    """Refuse a zip whose central directory is over MAX_DIRECTORY_BYTES, by the size its end
    record (or its ZIP64 record) declares: what zipfile reads (a file that is no zip is left
    to zipfile to say so)."""
    file.seek(0, io.SEEK_END)
    start = max(0, file.tell() - 22 - 0xFFFF)  # the end record, after a comment of any size
    file.seek(start)
    tail = file.read()
    at = len(tail) - 22 if tail[-22:-18] == END else tail.rfind(END)
    if at < 0 or len(tail) - at < 22:
        return
    size = int.from_bytes(tail[at + 12 : at + 16], "little")
    if tail[at - 20 : at - 16] == END64_LOCATOR and tail[at - 76 : at - 72] == END64:
        size = int.from_bytes(tail[at - 76 + 40 : at - 76 + 48], "little")
    if MAX_DIRECTORY_BYTES < size <= start + at:  # else not there: zipfile refuses it
        raise Unreadable(f"the zip's directory is {size} bytes, over {MAX_DIRECTORY_BYTES} "
                         "(it lists far more files than a HUD CSV export)")  # fmt: skip
