"""What one import may cost a worker: the body is bounded before and while it arrives (and
written to a temporary file, not held), the files' unzipped bytes and rows are bounded, the
reply lists the first problems and counts them all, and the parsing runs in worker threads
while the event loop serves other requests."""

from __future__ import annotations

import asyncio
import threading
import zipfile

from hmis.exports import load, routes

from . import test_import
from .support import serve
from .test_import import hmis, post, vendor_files, zipped
from .test_import_checks import upload, zip_of

agency = test_import.agency  # a fixture
LIMIT = 64 * 1024


def headers(world) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.service}"}


BOUNDARY = "b0undary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
OPENING = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
           'filename="export.zip"\r\n\r\n').encode()  # fmt: skip


def multipart(content: bytes) -> bytes:
    return OPENING + content + f"\r\n--{BOUNDARY}--\r\n".encode()


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    agency, database_url, issuer
):
    sent = []

    async def body():
        sent.append(1)
        yield b"x" * 100

    async with serve(database_url, issuer, import_max_upload_bytes=LIMIT) as api:
        reply = await api.post(
            "/imports/hmis-csv", content=body(),
            headers={**headers(agency), "Content-Length": str(LIMIT + 1),
                     "Content-Type": "multipart/form-data; boundary=b"},
        )  # fmt: skip
    assert reply.status_code == 413, reply.text
    assert reply.json()["errors"][0]["extensions"]["code"] == "TOO_LARGE"
    assert reply.headers["connection"] == "close"
    assert sent == []  # not one chunk asked for


async def test_a_chunked_body_is_refused_once_it_passes_the_limit(agency, database_url, issuer):
    sent = []

    async def body():
        yield OPENING
        for _ in range(1000):  # 64 MiB, if it were all read
            sent.append(1)
            yield b"x" * LIMIT

    async with serve(database_url, issuer, import_max_upload_bytes=10 * LIMIT) as api:
        reply = await api.post(
            "/imports/hmis-csv",
            content=body(),
            headers={**headers(agency), "Content-Type": CONTENT_TYPE},
        )
    assert reply.status_code == 413, reply.text
    assert str(10 * LIMIT) in reply.json()["errors"][0]["message"]
    assert len(sent) <= 11  # stopped at the chunk that passed the limit


async def test_an_upload_within_the_limit_is_streamed_and_imported(agency, database_url, issuer):
    body = multipart(zipped(vendor_files(agency)))

    async def chunks():
        for at in range(0, len(body), 1000):  # boundaries split across chunks
            yield body[at : at + 1000]

    async with serve(database_url, issuer, import_max_upload_bytes=LIMIT) as api:
        reply = await api.post(
            "/imports/hmis-csv",
            content=chunks(),
            headers={**headers(agency), "Content-Type": CONTENT_TYPE},
        )
    assert reply.status_code == 200, reply.text
    assert reply.json()["created"] == 4


async def test_a_compressed_body_is_refused(agency):
    reply = await agency.api.post(
        "/imports/hmis-csv", content=b"x",
        headers={**headers(agency), "Content-Encoding": "gzip",
                 "Content-Type": "multipart/form-data; boundary=b"},
    )  # fmt: skip
    assert reply.status_code == 415 and "multipart/form-data" in reply.text


async def test_problems_are_capped_in_the_reply_and_all_counted(agency):
    """A few KiB of zip, a million bad lines once: the reply lists the first problems and says
    how many there are, and a value quoted in a message is cut short."""
    files = vendor_files(agency)
    files["Client.csv"] += "a,b\n" * 5000
    files["Enrollment.csv"] += "".join(f"N{i},P1,{'9' * 5000}\n" for i in range(100))
    content = zip_of({n: t.encode() for n, t in files.items()}, zipfile.ZIP_DEFLATED)
    assert len(content) < 64 * 1024
    reply = await upload(agency, content, dryRun="true")
    assert reply.status_code == 422
    body = reply.json()
    assert body["errorCount"] == 5100 and len(body["errors"]) == 1000
    assert len(reply.content) < 200_000
    files = vendor_files(agency)
    lines = files["Client.csv"].splitlines(keepends=True)
    files["Client.csv"] = lines[0] + "".join(
        " " + lines[1].replace("P1", f"P{i}", 1) for i in range(1500)
    )  # 1,500 clients, each with a leading space: a warning each
    reply = await post(agency, files, dryRun="true")
    assert reply.status_code == 200, reply.text
    assert reply.json()["warningCount"] == 1500 and len(reply.json()["warnings"]) == 1000
    many = "".join(f"N{i},P1,{'7' * 60_000}\n" for i in range(2))
    files = {**vendor_files(agency)}
    files["Enrollment.csv"] += many
    reply = await post(agency, files, dryRun="true")
    assert all(len(e["message"]) < 200 for e in reply.json()["errors"])


async def test_rows_and_unzipped_bytes_are_bounded(agency, database_url, issuer):
    files = vendor_files(agency)
    rows = files["Client.csv"].splitlines(keepends=True)
    files["Client.csv"] = rows[0] + "".join(rows[1].replace("P1", f"P{i}", 1) for i in range(11))
    async with serve(database_url, issuer, import_max_rows=10) as api:
        agency.api = api
        reply = await post(agency, files, dryRun="true")
    assert reply.status_code == 422
    (error,) = reply.json()["errors"]
    assert (error["file"], error["row"], error["column"]) == ("Client.csv", 12, "")
    assert error["message"] == "more than 10 rows, the limit of one file"
    # A zip bomb's few KiB: refused by what its members declare, before any is read.
    bomb = {n: t.encode() for n, t in vendor_files(agency).items()}
    bomb["Client.csv"] += b"\r\n" * 1_000_000
    content = zip_of(bomb, zipfile.ZIP_DEFLATED)
    async with serve(database_url, issuer, import_max_file_bytes=1_000_000,
                     import_max_total_bytes=3_000_000) as api:  # fmt: skip
        agency.api = api
        reply = await upload(agency, content, dryRun="true")
        assert reply.status_code == 422
        ((file, row, message),) = [(e["file"], e["row"], e["message"])
                                   for e in reply.json()["errors"]]  # fmt: skip
        assert (file, row) == ("Client.csv", 0) and "over the limit of 1000000" in message
        for name in ("Client.csv", "Enrollment.csv", "Exit.csv", "Disabilities.csv"):
            bomb[name] = b"\r\n" * 450_000  # under the limit of one file, not all of them
        reply = await upload(agency, zip_of(bomb, zipfile.ZIP_DEFLATED), dryRun="true")
        ((file, row, message),) = [(e["file"], e["row"], e["message"])
                                   for e in reply.json()["errors"]]  # fmt: skip
        assert file == "export.zip" and "over the limit of 3000000" in message


async def test_a_folder_file_over_the_limit_is_refused_by_the_bytes_read(
    agency, database_url, tmp_path, monkeypatch
):
    """`hmis import-csv` of a folder: nothing declares a size, the bytes read are counted."""
    files = {n: t.encode() for n, t in vendor_files(agency).items()}
    files["Client.csv"] += b"\r\n" * 60_000
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    monkeypatch.setenv("HMIS_IMPORT_MAX_FILE_BYTES", "100000")
    status, _out, err = await hmis(database_url, "import-csv", "--dry-run", str(tmp_path))
    assert status == 1
    assert "error: Client.csv:0:: more than 100000 bytes unzipped" in err, err


async def test_the_check_and_the_parsing_run_off_the_event_loop(agency, monkeypatch):
    """While an import is being checked, /healthz is answered: the check waits (in its worker
    thread) until it is. Were it on the event loop, /healthz could not be served and the wait
    would time out."""
    loop_thread = threading.get_ident()
    checking, answered, threads = threading.Event(), threading.Event(), []
    check, take = routes.check, load._take

    def waiting_check(source):
        threads.append(threading.get_ident())
        checking.set()
        assert answered.wait(timeout=10), "/healthz was not answered during the check"
        return check(source)

    def recorded_take(batches):
        threads.append(threading.get_ident())
        return take(batches)

    monkeypatch.setattr(routes, "check", waiting_check)
    monkeypatch.setattr(load, "_take", recorded_take)
    importing = asyncio.ensure_future(post(agency, vendor_files(agency)))
    assert await asyncio.to_thread(checking.wait, 10)
    health = await agency.api.get("/healthz")
    answered.set()
    assert health.status_code == 200
    reply = await importing
    assert reply.status_code == 200, reply.text
    assert threads and loop_thread not in threads
