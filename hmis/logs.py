"""Request lines in the server's log carry the method, the path and the status, never the query
string: `GET /graphql?query=...&variables=...` holds whatever the caller searched for (a name,
the last four of an SSN, a date of birth), and logs are kept, copied and read far more widely
than the audit log. Bodies are never logged at all.
"""

from __future__ import annotations

import logging

# uvicorn logs each request on this logger as
# ('%s - "%s %s HTTP/%s" %d', client address, method, path?query, HTTP version, status).
ACCESS_LOGGER = "uvicorn.access"
_PATH_ARG = 2


class DropQueryString(logging.Filter):
    """Cuts the query string off the path of an access-log record (the line still logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _PATH_ARG and isinstance(args[_PATH_ARG], str):
            path = args[_PATH_ARG].split("?", 1)[0]
            record.args = (*args[:_PATH_ARG], path, *args[_PATH_ARG + 1 :])
        return True


def keep_query_strings_out() -> None:
    """Install the filter on uvicorn's access logger (once per process; the app factory calls
    it, so every way of serving the app gets it)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, DropQueryString) for f in logger.filters):
        logger.addFilter(DropQueryString())
