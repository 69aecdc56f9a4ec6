"""The zip of a HUD CSV import, received as `multipart/form-data` (its `file` part, or its
only file part) and written to a temporary file as it arrives: memory holds one chunk of the
body, whatever its size. The body is bounded like /graphql's (`request_limits.guard_body`:
the declared length at once, the bytes received as they arrive, the time it takes)."""

from __future__ import annotations

import email.message
import email.parser
import email.policy
from collections.abc import AsyncIterator
from typing import IO

MAX_HEADER_BYTES = 16 * 1024  # the headers of one part
MAX_PARTS = 16


class BadUpload(ValueError):
    """The body is not a multipart/form-data upload of one file; the message says why."""


def boundary_of(content_type: str) -> bytes:
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        raise BadUpload("send the zip as multipart/form-data (a `file` part)")
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not 1 <= len(boundary) <= 70 or not boundary.isascii():
        raise BadUpload("the multipart/form-data Content-Type has no valid boundary")
    return boundary.encode("ascii")


async def save_file_part(chunks: AsyncIterator[bytes], content_type: str, out: IO[bytes]) -> str:
    """Write the upload's file part to `out`; its file name (or "")."""
    delimiter = b"\r\n--" + boundary_of(content_type)
    buffer = b"\r\n"  # the first delimiter has no line break of its own before it
    state, sink, name, parts = "preamble", None, None, 0
    async for chunk in chunks:
        buffer += chunk
        while True:
            if state in ("preamble", "body"):
                at = buffer.find(delimiter)
                if at < 0:  # keep what could be the start of a delimiter
                    keep = len(delimiter) - 1
                    if sink is not None and len(buffer) > keep:
                        sink.write(buffer[:-keep])
                    buffer = buffer[-keep:]
                    break
                if sink is not None:
                    sink.write(buffer[:at])
                buffer, state, sink = buffer[at + len(delimiter) :], "after", None
            elif state == "after":  # `--` ends the body, a line break starts a part
                if len(buffer) < 2:
                    break
                if buffer.startswith(b"--"):
                    if name is None:
                        raise BadUpload(TWO_FILES)
                    return name
                line_end = buffer.find(b"\r\n")
                if line_end < 0:
                    if len(buffer) > MAX_HEADER_BYTES:
                        raise BadUpload("a multipart boundary line is malformed")
                    break
                if buffer[:line_end].strip(b" \t"):
                    raise BadUpload("a multipart boundary line is malformed")
                buffer, state = buffer[line_end + 2 :], "headers"
                parts += 1
                if parts > MAX_PARTS:
                    raise BadUpload(f"more than {MAX_PARTS} parts in the upload")
            else:  # headers, up to an empty line
                end = -2 if buffer.startswith(b"\r\n") else buffer.find(b"\r\n\r\n")
                if end == -1:
                    if len(buffer) > MAX_HEADER_BYTES:
                        raise BadUpload(f"a part's headers are over {MAX_HEADER_BYTES} bytes")
                    break
                head, buffer = buffer[: max(end, 0)], buffer[end + 4 :]
                file_name = _file_name(head)
                if file_name is not None:
                    if name is not None:
                        raise BadUpload(TWO_FILES)
                    name, sink = file_name, out
                state = "body"
    raise BadUpload("the multipart/form-data body ends before its closing boundary")


TWO_FILES = "send exactly one file (a zip of HUD CSV files) as the `file` part"


def _file_name(head: bytes) -> str | None:
    """The file name of a part with these headers ("" for a `file` part without one); None
    for a part that is not a file."""
    parser = email.parser.BytesHeaderParser(policy=email.policy.HTTP)
    headers = parser.parsebytes(head + b"\r\n\r\n")
    encoding = str(headers.get("content-transfer-encoding", "binary")).strip().lower()
    if encoding not in ("binary", "8bit", "7bit"):
        raise BadUpload(f"Content-Transfer-Encoding {encoding!r} is not accepted: send the "
                        "file as it is")  # fmt: skip
    file_name = headers.get_filename()
    if file_name is None and headers.get_param("name", header="content-disposition") == "file":
        return ""
    return file_name
