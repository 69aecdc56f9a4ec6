"""Our HUD CSV files against HUD's FY2026 lists (tests/hud_fy2026_spec.py, verified as
docs/hud-mapping.md records): the headers of a real export, and what the import accepts in
each column (type, length)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlalchemy import select

from hmis.db import models
from hmis.exports import hud_csv
from hmis.exports.validate import EXPORT_COLUMNS, Problem, columns
from hmis.seed.build import unsafe_bulk_seed

from .hud_fy2026_spec import SPEC
from .test_export import URL
from .test_import import agency, post, vendor_files  # noqa: F401 (agency: a fixture)

KINDS = {"S": ("text", "id"), "I": ("int",), "D": ("date",), "T": ("timestamp",), "M": ("money",)}


def test_the_files_we_exchange_are_hud_s() -> None:
    assert [spec.name for spec in hud_csv.FILES] == list(SPEC)


@pytest.mark.parametrize("spec", hud_csv.FILES, ids=lambda s: s.name)
def test_our_columns_are_hud_s_names_in_hud_s_order(spec) -> None:
    assert spec.columns == tuple(name for name, _type in SPEC[spec.name])


async def test_an_export_s_headers_are_hud_s(engine, api, token) -> None:
    await unsafe_bulk_seed(engine, clients=5, seed=1)
    reply = await api.get(URL, headers={"Authorization": f"Bearer {token('hmis_admin')}"})
    assert reply.status_code == 200
    with zipfile.ZipFile(io.BytesIO(reply.content)) as archive:
        for name, listed in SPEC.items():
            header = next(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))
            assert header == [column for column, _type in listed], name


@pytest.mark.parametrize("spec", hud_csv.FILES, ids=lambda s: s.name)
def test_the_import_reads_each_column_as_hud_types_it(spec) -> None:
    """Every column the import reads has HUD's type, and accepts no more than HUD's length
    (a longer value would not fit HUD's file: we reject it, never truncate)."""
    hud = dict(SPEC[spec.name])
    found = {"ExportID": columns(spec, False).get("ExportID")} if spec is hud_csv.EXPORT else {}
    found |= EXPORT_COLUMNS if spec is hud_csv.EXPORT else columns(spec, False)
    found = {k: v for k, v in found.items() if v is not None}
    assert found, spec.name
    for name, column in found.items():
        assert name in hud, f"{spec.name} {name}: not a HUD column"
        kind = hud[name]
        assert column.kind in KINDS[kind[0]], f"{spec.name} {name}: {column.kind} for {kind}"
        if kind[0] == "S" and kind[1:].isdigit():
            assert column.length is not None, f"{spec.name} {name}: no length for {kind}"
            assert column.length <= int(kind[1:]), f"{spec.name} {name}: {column.length} > {kind}"


@pytest.mark.parametrize("name", list(SPEC))
def test_no_two_of_hud_s_columns_differ_by_case_only(name) -> None:
    """So a header read without regard to case names one HUD column."""
    names = [column.lower() for column, _type in SPEC[name]]
    assert len(set(names)) == len(names)


def _respelled(files: dict[str, str], name: str, spelling: dict[str, str]) -> None:
    head, rest = files[name].split("\r\n", 1)
    files[name] = ",".join(spelling.get(c, c) for c in head.split(",")) + "\r\n" + rest


async def test_another_vendor_s_spelling_of_a_header_is_read_as_hud_s(agency) -> None:  # noqa: F811
    files = vendor_files(agency)
    _respelled(files, "Exit.csv", {"WorkplaceViolenceThreats": "WorkPlaceViolenceThreats"})
    _respelled(files, "Client.csv", {"LastName": "LASTNAME", "PersonalID": "PersonalId"})
    # A file we do not read, with another vendor's `Zip` for HUD's `ZIP`: accepted, ignored.
    files["ProjectCoC.csv"] = "ProjectCoCID,ProjectID,CoCCode,Zip\r\nC1,P,XX-500,60187\r\n"
    reply = await post(agency, files)
    assert reply.status_code == 200, reply.text
    assert sorted(str(Problem(**w)) for w in reply.json()["warnings"]) == [
        "Client.csv:1:LASTNAME: read as LastName (HUD's spelling)",
        "Client.csv:1:PersonalId: read as PersonalID (HUD's spelling)",
        "Exit.csv:1:WorkPlaceViolenceThreats: read as WorkplaceViolenceThreats (HUD's spelling)",
    ]
    async with agency.sessions() as s:
        client = (await s.scalars(select(models.Client))).one()
    assert client.last_name == "Lovelace"


async def test_a_header_naming_a_column_twice_is_refused(agency) -> None:  # noqa: F811
    files = vendor_files(agency)
    _respelled(files, "Client.csv", {"MiddleName": "lastname"})
    reply = await post(agency, files)
    assert reply.status_code == 422, reply.text
    errors = [str(Problem(**e)) for e in reply.json()["errors"]]
    assert errors == ["Client.csv:1:LastName: a second LastName column (first: lastname)"]
