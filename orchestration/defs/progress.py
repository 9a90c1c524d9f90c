"""A Dagster logger that shows progress on the terminal (used by ``smw build``).

The full run log goes to a file; a person at the terminal sees one line when each step starts
and ends, each check that did not pass, warnings, and progress within long steps: landing
(files n/N), dbt (models n/N, tests n/N) and the check steps (checks n/N). On a terminal the
progress is one line rewritten in place; otherwise (CI, a log file) at most one progress line
per step every few seconds, so the output never floods.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

import dagster as dg

LOG_RECORD_META = "dagster_meta"
DEFAULT_INTERVAL_SECONDS = 5.0
_LANDING_LINE = re.compile(r"^\[(\d+)/(\d+)\] ")


@dataclass
class _StepProgress:
    started: float
    assets: int = 0
    checks: int = 0
    files: tuple[int, int] | None = None
    last_line: float = 0.0


def progress_totals(defs: dg.Definitions) -> dict[str, dict[str, int]]:
    """How many assets and checks each step of the build produces (for "n/N")."""
    totals: dict[str, dict[str, int]] = {}
    graph = defs.resolve_asset_graph()
    for assets_def in graph.assets_defs:
        if not assets_def.is_executable:
            continue
        step = assets_def.node_def.name
        entry = totals.setdefault(step, {"assets": 0, "checks": 0})
        entry["assets"] += len(assets_def.keys)
        entry["checks"] += len(assets_def.check_keys)
    return totals


class ProgressHandler(logging.Handler):
    def __init__(
        self,
        stream: TextIO,
        *,
        totals: dict[str, dict[str, int]] | None = None,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        tty: bool | None = None,
    ) -> None:
        super().__init__(logging.DEBUG)
        self.stream = stream
        self.totals = totals or {}
        self.interval = interval
        self.tty = stream.isatty() if tty is None else tty
        self.steps: dict[str, _StepProgress] = {}
        self._open_line = False  # a progress line is being rewritten in place (TTY)

    # ---- output

    def _write_line(self, line: str) -> None:
        if self._open_line:
            self.stream.write("\r\x1b[K")
            self._open_line = False
        self.stream.write(line + "\n")
        self.stream.flush()

    def _write_progress(self, step: str, state: _StepProgress, text: str, force: bool) -> None:
        now = time.monotonic()
        if self.tty:
            self.stream.write(f"\r\x1b[K  ...     {step}: {text}")
            self.stream.flush()
            self._open_line = True
        elif force or now - state.last_line >= self.interval:
            self._write_line(f"  ...     {step}: {text}")
            state.last_line = now

    # ---- what to say

    def _progress_text(self, step: str, state: _StepProgress) -> str:
        total = self.totals.get(step, {})
        parts = []
        if state.files is not None:
            parts.append(f"files {state.files[0]}/{state.files[1]}")
        if state.assets and total.get("assets", 0) > 1:
            parts.append(f"assets {state.assets}/{total['assets']}")
        if state.checks and total.get("checks"):
            parts.append(f"checks {state.checks}/{total['checks']}")
        return ", ".join(parts)

    def _summary(self, step: str, state: _StepProgress) -> str:
        parts = []
        if state.files is not None:
            parts.append(f"{state.files[1]} files")
        if state.assets > 1:
            parts.append(f"{state.assets} assets")
        if state.checks:
            parts.append(f"{state.checks} checks")
        return "; " + ", ".join(parts) if parts else ""

    def handle_record(self, record: logging.LogRecord) -> None:
        meta: dict[str, Any] = getattr(record, LOG_RECORD_META, None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        kind = getattr(event, "event_type_value", None)
        if kind == "STEP_START":
            from orchestration.lib.runlock import record_step

            record_step(step)
            self.steps[step] = _StepProgress(time.monotonic(), last_line=time.monotonic())
            self._write_line(f"  ...     {step}")
            return
        state = self.steps.get(step)
        if kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            state = self.steps.pop(step, None) or _StepProgress(time.monotonic())
            took = time.monotonic() - state.started
            word = {"STEP_SUCCESS": "done", "STEP_FAILURE": "FAILED", "STEP_SKIPPED": "skipped"}[
                kind
            ]
            self._write_line(f"  {word:<7} {step} ({took:.1f} s{self._summary(step, state)})")
            return
        if kind == "ASSET_MATERIALIZATION" and state is not None:
            state.assets += 1
            self._write_progress(step, state, self._progress_text(step, state), force=False)
            return
        if kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if state is not None:
                state.checks += 1
            if data is not None and not data.passed:
                self._write_line(
                    f"  check   {data.asset_key.to_user_string()}:{data.check_name} did not pass "
                    f"({data.severity.value.lower()})"
                )
            elif state is not None:
                self._write_progress(step, state, self._progress_text(step, state), force=False)
            return
        message = str(meta.get("orig_message", record.getMessage()))
        landing = _LANDING_LINE.match(message) if event is None else None
        if landing and state is not None:
            state.files = (int(landing.group(1)), int(landing.group(2)))
            self._write_progress(step, state, self._progress_text(step, state), force=False)
        if event is None and record.levelno >= logging.WARNING:
            self._write_line(f"  warning {message}")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.handle_record(record)
        except Exception:  # progress must never break a build
            self.handleError(record)


@dg.logger(
    config_schema={
        "totals": dg.Field(dg.Permissive(), is_required=False, default_value={}),
        "interval_seconds": dg.Field(float, is_required=False, default_value=5.0),
        # quiet: record each step for smw status, print nothing (smw build --verbose, whose
        # terminal shows the full logs instead)
        "quiet": dg.Field(bool, is_required=False, default_value=False),
    },
    description="Progress on the terminal: steps, files n/N, assets n/N, checks n/N.",
)
def terminal_progress(init_context: dg.InitLoggerContext) -> logging.Logger:
    cfg = init_context.logger_config or {}
    lg = logging.Logger("smw.progress", level=logging.DEBUG)
    stream = io.StringIO() if cfg.get("quiet") else (sys.__stderr__ or sys.stderr)
    lg.addHandler(
        ProgressHandler(
            stream,
            totals=cfg.get("totals") or {},
            interval=float(cfg.get("interval_seconds", DEFAULT_INTERVAL_SECONDS)),
        )
    )
    return lg
