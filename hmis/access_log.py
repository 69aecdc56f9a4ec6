"""uvicorn's logging for `hmis serve`, with an access log that never holds a query string:
`GET /graphql?query=...&variables=...` carries search terms, names and dates of birth."""

from __future__ import annotations

import copy
import logging

from uvicorn.config import LOGGING_CONFIG


class PathOnly(logging.Filter):
    """Cuts the query string off the access record's path (uvicorn passes it as args[2])."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 2 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].partition("?")[0], *args[3:])
        return True


def log_config() -> dict:
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"path_only": {"()": "hmis.access_log.PathOnly"}}
    config["handlers"]["access"]["filters"] = ["path_only"]
    return config
