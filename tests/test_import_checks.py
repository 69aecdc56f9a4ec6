"""What the database would refuse, the check refuses first (so a dry run and an import answer
alike, with `file:row:column`); files that cannot be read are a 422 saying why, never a 500;
an unexpected failure of a route is a JSON 500 whose log line holds no client data."""

from __future__ import annotations

import io
import logging
import struct
import zipfile

import pytest
from sqlalchemy import text

from hmis.db import models

from . import test_import
from .test_import import count, post, vendor_files, zipped

agency = test_import.agency  # a fixture
ADA = {
    ("Client.csv", 0, "SSN"): "123456789",
    ("Client.csv", 0, "SSNDataQuality"): "1",
    ("Client.csv", 0, "DOB"): "1980-02-03",
    ("Client.csv", 0, "DOBDataQuality"): "1",
}
PPI = ("Lovelace", "123456789", "1980-02-03")

# (file, column, value, words of the message)
REFUSED = [
    ("Client.csv", "FirstName", "A\x00da", "control character (U+0000)"),
    ("Client.csv", "SSN", "12345678\x00", "control character (U+0000)"),
    ("Client.csv", "LastName", "Love\x1blace", "control character (U+001B)"),
    ("Export.csv", "SourceID", "s" * 340, "longer than 313 characters"),
    ("Client.csv", "Sex", "9" * 30, "out of range"),
    ("Client.csv", "Sex", "١", "not a whole number"),  # an Arabic-Indic 1
    ("Client.csv", "DOB", "19800203", "not a date"),
]  # fmt: skip


@pytest.mark.parametrize("file,column,value,words", REFUSED, ids=[r[1] for r in REFUSED])
async def test_what_the_database_refuses_is_an_error_of_the_dry_run_and_the_import(
    agency, file, column, value, words
):
    files = vendor_files(agency, {**ADA, (file, 0, column): value})
    for params in ({"dryRun": "true"}, {}):
        reply = await post(agency, files, **params)
        assert reply.status_code == 422, reply.text
        (error,) = reply.json()["errors"]
        assert (error["file"], error["row"], error["column"]) == (file, 2, column)
        assert words in error["message"] and reply.json()["errorCount"] == 1
    assert await count(agency.sessions, models.Client) == 0


async def test_a_dry_run_refuses_another_organizations_project_as_the_import_does(agency):
    other = agency.token("agency_staff", org=agency.outreach.id, sub="svc-o", client_id="svc-o")
    for params in ({"dryRun": "true"}, {}):
        reply = await post(agency, vendor_files(agency), token=other, **params)
        assert reply.status_code == 422, reply.text
        (error,) = reply.json()["errors"]
        where = (error["file"], error["row"], error["column"])
        assert where == ("Project.csv", 2, "OrganizationID")
    assert await count(agency.sessions, models.Client) == 0


async def test_an_amount_over_the_column_is_an_error(agency):
    files = vendor_files(agency)
    files["IncomeBenefits.csv"] += ",".join(
        {"IncomeBenefitsID": "I1", "EnrollmentID": "N1", "PersonalID": "P1",
         "InformationDate": "2025-01-02", "IncomeFromAnySource": "1", "Earned": "1",
         "EarnedAmount": "123456789.00", "DataCollectionStage": "1",
         "DateCreated": "2025-01-02 10:00:00", "DateUpdated": "2025-01-02 10:00:00",
         "UserID": "u1", "ExportID": "E1"}.get(c, "")
        for c in files["IncomeBenefits.csv"].splitlines()[0].split(",")
    ) + "\r\n"  # fmt: skip
    reply = await post(agency, files, dryRun="true")
    assert reply.status_code == 422, reply.text
    (error,) = reply.json()["errors"]
    assert (error["row"], error["column"]) == (2, "EarnedAmount")
    assert "out of range" in error["message"] and "99999999.99" in error["message"]


# --- files that cannot be read ---------------------------------------------------------------


async def upload(world, content: bytes, **params):
    return await world.api.post(
        "/imports/hmis-csv", params=params,
        files={"file": ("export.zip", content, "application/zip")},
        headers={"Authorization": f"Bearer {world.service}"},
    )  # fmt: skip


def zip_of(files: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def encoded(world, encoding: str) -> bytes:
    files = vendor_files(world, {("Client.csv", 0, "FirstName"): "Zoé"})
    return zip_of({n: t.encode(encoding if n == "Client.csv" else "utf-8")
                   for n, t in files.items()})  # fmt: skip


UNREADABLE = [
    ("latin-1", 2, "FirstName", "not UTF-8 (byte 0xE9)"),
    ("cp1252", 2, "FirstName", "not UTF-8 (byte 0xE9)"),
    ("utf-16", 1, "", "UTF-16 text"),
    ("utf-16-le", 1, "", "UTF-16 text?"),
]


@pytest.mark.parametrize("encoding,row,column,words", UNREADABLE, ids=[u[0] for u in UNREADABLE])
async def test_text_that_is_not_utf8_is_a_422_at_its_row(agency, encoding, row, column, words):
    reply = await upload(agency, encoded(agency, encoding), dryRun="true")
    assert reply.status_code == 422, reply.text
    # Only the first: the references to the file it stopped are not checked.
    assert reply.json()["errors"] == [
        {
            "file": "Client.csv",
            "row": row,
            "column": column,
            "message": reply.json()["errors"][0]["message"],
        }  # fmt: skip
    ]
    assert words in reply.json()["errors"][0]["message"]
    assert "save the file as UTF-8" in reply.json()["errors"][0]["message"]


async def test_a_utf8_byte_order_mark_is_read(agency):
    reply = await upload(agency, encoded(agency, "utf-8-sig"))
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize(
    "tail,row,words",
    [
        # A quoted cell over several lines, longer than the csv module reads.
        ('"' + ("x" * 60_000 + "\n") * 3 + '"\r\n', 3, "field larger than field limit"),
        ("x" * 70_000 + "\r\n", 3, "a line longer than 65536 characters"),
        ('P2,"unclosed\r\n', 3, "2 cells, the header has"),
    ],
    ids=["cell over the field limit", "line too long", "open quote"],
)
async def test_a_cell_or_line_too_long_is_a_422_at_its_row(agency, tail, row, words):
    files = vendor_files(agency)
    files["Client.csv"] += tail
    reply = await post(agency, files, dryRun="true")
    assert reply.status_code == 422, reply.text
    (error,) = reply.json()["errors"]
    assert (error["file"], error["row"]) == ("Client.csv", row) and words in error["message"]
    assert len(reply.content) < 1000


def central_entry(content: bytearray, name: bytes) -> int:
    """Where the zip's central directory entry of `name` starts."""
    at = content.find(b"PK\x01\x02")
    while content[at + 46 : at + 46 + len(name)] != name:
        at = content.find(b"PK\x01\x02", at + 4)
    return at


async def test_a_damaged_zip_member_is_a_422_of_its_file(agency):
    content = bytearray(zipped(vendor_files(agency)))
    content[content.find(b"Ada,")] = ord("B")  # stored: the CRC no longer matches
    reply = await upload(agency, bytes(content), dryRun="true")
    assert reply.status_code == 422, reply.text
    assert [(e["file"], e["row"]) for e in reply.json()["errors"]] == [("Client.csv", 0)]
    assert "damaged" in reply.json()["errors"][0]["message"]


async def test_a_member_holding_more_than_it_declares_is_refused(agency):
    """A zip bomb's lie: the directory declares a few bytes, the data holds many more. What is
    read is what is counted: reading stops at the declared size, and the file is damaged."""
    files = {n: t.encode() for n, t in vendor_files(agency).items()}
    files["Client.csv"] += b"\r\n" * 500_000
    content = bytearray(zip_of(files, zipfile.ZIP_DEFLATED))
    at = central_entry(content, b"Client.csv")
    content[at + 24 : at + 28] = struct.pack("<I", 100)  # the uncompressed size
    reply = await upload(agency, bytes(content), dryRun="true")
    assert reply.status_code == 422, reply.text
    assert [(e["file"], e["row"]) for e in reply.json()["errors"]] == [("Client.csv", 0)]


async def test_an_encrypted_member_or_a_name_twice_is_refused(agency):
    files = {n: t.encode() for n, t in vendor_files(agency).items()}
    content = bytearray(zip_of(files))
    at = central_entry(content, b"Client.csv")
    content[at + 8] |= 0x1  # flagged encrypted
    reply = await upload(agency, bytes(content), dryRun="true")
    assert reply.status_code == 422, reply.text
    (error,) = reply.json()["errors"]
    assert (error["file"], error["row"]) == ("Client.csv", 0) and "encrypted" in error["message"]
    twice = zip_of({**files, "old/Client.csv": files["Client.csv"]})
    reply = await upload(agency, twice, dryRun="true")
    assert reply.status_code == 422
    assert "two files named Client.csv" in reply.json()["errors"][0]["message"]


async def test_a_zip_listing_thousands_of_files_is_refused_before_its_directory_is_read(agency):
    files = {n: t.encode() for n, t in vendor_files(agency).items()}
    for members in (25_000, 70_000):  # the second needs ZIP64 records
        padded = {**files, **{f"pad/{i}.txt": b"" for i in range(members)}}
        reply = await upload(agency, zip_of(padded), dryRun="true")
        assert reply.status_code == 422, reply.text
        (error,) = reply.json()["errors"]
        assert (error["file"], error["row"]) == ("export.zip", 0)
        assert "the zip's directory is" in error["message"]


async def test_bytes_that_are_no_zip_are_a_400(agency):
    whole = zipped(vendor_files(agency))
    for content in (b"", b"not a zip", whole[: len(whole) // 2], b"PK\x05\x06" + b"\xff" * 18):
        reply = await upload(agency, content, dryRun="true")
        assert reply.status_code == 400, reply.text
        assert reply.json()["errors"][0]["message"] == "the file is not a zip"


# --- an unexpected failure ---------------------------------------------------------------


REFUSE_INSERTS = {
    "sqlite": ["CREATE TRIGGER refuse_clients BEFORE INSERT ON clients "
               "BEGIN SELECT RAISE(ABORT, 'refused'); END"],
    "postgresql": ["CREATE FUNCTION refuse_clients() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'refused'; END $$",
                   "CREATE TRIGGER refuse_clients BEFORE INSERT ON clients FOR EACH ROW "
                   "EXECUTE FUNCTION refuse_clients()"],
}  # fmt: skip
UNDO = {
    "sqlite": ["DROP TRIGGER refuse_clients"],
    "postgresql": ["DROP TRIGGER refuse_clients ON clients", "DROP FUNCTION refuse_clients()"],
}


async def test_an_unexpected_failure_is_a_json_500_and_logs_no_client_data(agency, engine, caplog):
    """The database refuses the INSERT (a trigger): its driver's message quotes the row. The
    reply and the log say only that it failed, with the request's ID; the exception does not
    reach the server (which would log it whole)."""
    dialect = engine.dialect.name
    async with engine.begin() as connection:
        for statement in REFUSE_INSERTS[dialect]:
            await connection.execute(text(statement))
    try:
        # At the server's level (aiosqlite's DEBUG lines quote every statement, failing or not).
        with caplog.at_level(logging.INFO):
            reply = await post(agency, vendor_files(agency, ADA))  # raised here before
    finally:
        async with engine.begin() as connection:
            for statement in UNDO[dialect]:
                await connection.execute(text(statement))
    assert reply.status_code == 500
    (error,) = reply.json()["errors"]
    assert error == {"message": "Internal error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
    request_id = reply.headers["x-request-id"]
    logged = [r for r in caplog.records if "request failed" in r.getMessage()]
    assert len(logged) == 1 and request_id in logged[0].getMessage()
    assert "/imports/hmis-csv" in logged[0].getMessage()
    for record in caplog.records:
        assert record.exc_info is None and record.exc_text is None
        assert not any(p in record.getMessage() for p in PPI), record.getMessage()
    assert await count(agency.sessions, models.Client) == 0
