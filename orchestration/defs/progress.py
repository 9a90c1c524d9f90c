"""A Dagster logger that shows step-level progress on the terminal (used by ``smw build``).

The full run log goes to a file; a person at the terminal sees one line per step, each failed
check, and the landing progress messages.
"""

import logging
import sys
import time
from typing import Any, TextIO

import dagster as dg

LOG_RECORD_META = "dagster_meta"


class ProgressHandler(logging.Handler):
    def __init__(self, stream: TextIO) -> None:
        super().__init__(logging.DEBUG)
        self.stream = stream
        self.started: dict[str, float] = {}

    def format_progress(self, record: logging.LogRecord) -> str | None:
        meta: dict[str, Any] = getattr(record, LOG_RECORD_META, None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        kind = getattr(event, "event_type_value", None)
        if kind == "STEP_START":
            self.started[step] = time.monotonic()
            return f"  ...     {step}"
        if kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            took = time.monotonic() - self.started.get(step, time.monotonic())
            word = {"STEP_SUCCESS": "done", "STEP_FAILURE": "FAILED", "STEP_SKIPPED": "skipped"}[
                kind
            ]
            return f"  {word:<7} {step} ({took:.1f} s)"
        if kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if data is not None and not data.passed:
                return (
                    f"  check   {data.asset_key.to_user_string()}:{data.check_name} did not pass "
                    f"({data.severity.value.lower()})"
                )
            return None
        if event is None and record.levelno >= logging.WARNING:
            return f"  warning {meta.get('orig_message', record.getMessage())}"
        return None

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format_progress(record)
        if line:
            self.stream.write(line + "\n")
            self.stream.flush()


@dg.logger(description="One line per step on the terminal; smw build uses it.")
def terminal_progress(init_context: dg.InitLoggerContext) -> logging.Logger:
    lg = logging.Logger("smw.progress", level=logging.DEBUG)
    lg.addHandler(ProgressHandler(sys.__stderr__ or sys.stderr))
    return lg
