"""Headless Chromium over the DevTools protocol on a pipe (no websocket, no extra packages).

``chromium --remote-debugging-pipe`` reads protocol messages on file descriptor 3 and writes on
4, each a JSON object ended by a NUL byte. A small shell wrapper maps them onto the child's
stdin and stdout, so no ``preexec_fn`` is needed (that is unsafe in threaded processes such as
Dagster's). One browser serves many pages: PDFs here, and page checks and screenshots in tests.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Flags for a quiet, offline, throw-away browser (root in a container needs --no-sandbox).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class BrowserError(RuntimeError):
    pass


def find_chromium() -> str | None:
    """The Chromium to use: ``SMW_CHROMIUM`` if set, else the first on the PATH."""
    configured = os.environ.get("SMW_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() or shutil.which(configured) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageSession:
    browser: Chromium
    target_id: str
    session_id: str
    console_errors: list[str] = field(default_factory=list)

    def send(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = 30.0
    ) -> dict:
        return self.browser.send(method, params, session_id=self.session_id, timeout=timeout)

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self, path: Path, width: int = 1200) -> Path:
        height = int(self.evaluate("Math.ceil(document.documentElement.scrollHeight)") or 800)
        data = self.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": min(height, 30000), "scale": 1},
            },
            timeout=60,
        )["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def pdf(self, path: Path) -> Path:
        data = self.send(
            "Page.printToPDF",
            {
                "printBackground": True,
                "preferCSSPageSize": True,
                "paperWidth": 8.27,
                "paperHeight": 11.69,
                "displayHeaderFooter": False,
            },
            timeout=120,
        )["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".pdf.tmp")
        tmp.write_bytes(base64.b64decode(data))
        os.replace(tmp, path)
        return path


class Chromium:
    """A headless Chromium process driven over the DevTools pipe."""

    def __init__(self, executable: str | None = None, width: int = 1200, height: int = 900) -> None:
        self.executable = executable or find_chromium()
        if not self.executable:
            raise BrowserError(
                "Chromium not found (install the Debian `chromium` package, or set SMW_CHROMIUM)"
            )
        self.width, self.height = width, height
        self._profile = tempfile.TemporaryDirectory(prefix="smw-chromium-")
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict] = []
        args = [
            self.executable,
            *FLAGS,
            f"--user-data-dir={self._profile.name}",
            f"--window-size={width},{height}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        # fd 3 <- our stdin pipe, fd 4 -> our stdout pipe; the browser's own stdin/stdout are null
        self._proc = subprocess.Popen(
            ["/bin/sh", "-c", 'exec "$@" 3<&0 4>&1 0</dev/null 1>/dev/null', "sh", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            self.send("Browser.getVersion", timeout=30)
        except Exception:
            self.close()
            raise

    # -- protocol ------------------------------------------------------------------------------

    def _write(self, message: dict) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(message).encode() + b"\0")
        self._proc.stdin.flush()

    def _read(self, timeout: float) -> dict | None:
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(
        self,
        method: str,
        params: dict | None = None,
        session_id: str | None = None,
        timeout: float = 30.0,
    ) -> dict:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        self._write(message)
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(max(0.0, deadline - time.monotonic()))
            if reply is None:
                raise BrowserError(f"no reply to {method} within {timeout:.0f}s")
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_for(self, method: str, session_id: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self._events):
                if ev.get("method") == method and ev.get("sessionId") == session_id:
                    return self._events.pop(i)
            reply = self._read(max(0.0, deadline - time.monotonic()))
            if reply is None:
                raise BrowserError(f"{method} did not happen within {timeout:.0f}s")
            if "method" in reply:
                self._events.append(reply)

    def _drain_errors(self, session: PageSession) -> None:
        keep = []
        for ev in self._events:
            if ev.get("sessionId") != session.session_id:
                keep.append(ev)
                continue
            method, params = ev.get("method"), ev.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                session.console_errors.append(
                    " ".join(
                        str(a.get("value", a.get("description", "")))
                        for a in params.get("args", [])
                    )
                )
            elif method == "Runtime.exceptionThrown":
                session.console_errors.append(
                    params.get("exceptionDetails", {}).get("text", "exception")
                )
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                session.console_errors.append(
                    f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip()
                )
        self._events = keep

    # -- pages ---------------------------------------------------------------------------------

    @contextmanager
    def page(self, path: Path, timeout: float = 60.0) -> Iterator[PageSession]:
        """Open ``path`` in a fresh tab, wait for it to load, and collect console errors."""
        target_id = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session_id = self.send("Target.attachToTarget", {"targetId": target_id, "flatten": True})[
            "sessionId"
        ]
        session = PageSession(self, target_id, session_id)
        try:
            for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
                session.send(domain)
            session.send(
                "Emulation.setDeviceMetricsOverride",
                {
                    "width": self.width,
                    "height": self.height,
                    "deviceScaleFactor": 1,
                    "mobile": False,
                },
            )
            session.send("Page.navigate", {"url": Path(path).resolve().as_uri()})
            self.wait_for("Page.loadEventFired", session_id, timeout)
            session.evaluate("document.fonts ? document.fonts.ready.then(() => true) : true")
            self._drain_errors(session)
            yield session
            self._drain_errors(session)
        finally:
            try:
                self.send("Target.closeTarget", {"targetId": target_id}, timeout=10)
            except BrowserError:
                pass

    def close(self) -> None:
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            try:
                self.send("Browser.close", timeout=5)
            except Exception:  # noqa: BLE001 - closing anyway
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for stream in (getattr(proc, "stdin", None), getattr(proc, "stdout", None)):
            if stream is not None:
                stream.close()
        self._profile.cleanup()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def print_pdfs(pages: list[tuple[Path, Path]], executable: str | None = None) -> list[Path]:
    """Print each HTML page to its PDF with one browser; returns the PDFs written."""
    written = []
    with Chromium(executable) as browser:
        for html, pdf in pages:
            with browser.page(html) as page:
                written.append(page.pdf(pdf))
    return written
