"""Our HUD CSV files against HUD's FY2026 lists (tests/hud_fy2026_spec.py, verified as
docs/hud-mapping.md records): the headers of a real export, and what the import accepts in
each column (type, length)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from hmis.exports import hud_csv
from hmis.exports.validate import EXPORT_COLUMNS, columns
from hmis.seed.build import unsafe_bulk_seed

from .hud_fy2026_spec import SPEC
from .test_export import URL

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
