"""A headless Chromium driven over the DevTools protocol, for the tests of the HTML pages and
for scripts/screenshot.py. No dependency: ``--remote-debugging-pipe`` speaks JSON messages
ended by NUL over file descriptors 3 (commands) and 4 (answers and events).

The browser resolves no host name (``--host-resolver-rules``) and goes through a proxy at a
closed local port, so a page that tried the network would fail; every request it makes is
recorded all the same (``Page.requests``), and the tests require each to be a ``file:`` URL.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_chromium() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Page:
    """What a page did while it loaded: console messages, uncaught exceptions, browser log
    entries (a refused request shows there), every request's URL."""

    url: str
    console: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    evaluate: Callable[[str], Any] = lambda expression: None
    screenshot: Callable[[], bytes] = lambda: b""

    @property
    def errors(self) -> list[str]:
        return self.exceptions + [m for m in self.console if m.startswith("error")] + self.log


class Browser:
    def __init__(self, executable: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="factdb-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire() -> None:  # in the child: its fd 3 reads commands, fd 4 writes answers
            a, b = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-pipe",
                f"--user-data-dir={self.profile}",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--proxy-server=http://127.0.0.1:9",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-default-apps",
                "--mute-audio",
                "--hide-scrollbars",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            pass_fds=(3, 4),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next = 0
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._events: list[dict[str, Any]] = []

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                self._messages.put(None)
                return
            buffer += chunk
            while b"\0" in buffer:
                message, buffer = buffer.split(b"\0", 1)
                self._messages.put(json.loads(message))

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> Any:
        self._next += 1
        wanted = self._next
        message: dict[str, Any] = {"id": wanted, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            item = self._get(deadline, method)
            if item.get("id") == wanted:
                if "error" in item:
                    raise RuntimeError(f"{method}: {item['error']}")
                return item.get("result", {})
            self._events.append(item)

    def _get(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"chromium did not answer {waiting_for} in {self.timeout} s")
        try:
            item = self._messages.get(timeout=left)
        except queue.Empty:
            raise TimeoutError(
                f"chromium did not answer {waiting_for} in {self.timeout} s"
            ) from None
        if item is None:
            raise RuntimeError("chromium closed its DevTools pipe")
        return item

    def _wait_event(self, method: str, session: str) -> None:
        for i, event in enumerate(self._events):
            if event.get("method") == method and event.get("sessionId") == session:
                del self._events[i]
                return
        deadline = time.monotonic() + self.timeout
        while True:
            item = self._get(deadline, method)
            if item.get("method") == method and item.get("sessionId") == session:
                return
            self._events.append(item)

    def open(self, url: str, width: int = 1200, height: int = 900) -> Page:
        """Load ``url`` in a new tab and return what it did; the tab stays open for
        ``Page.evaluate`` and ``Page.screenshot`` until the next ``open``."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        self._events = [e for e in self._events if e.get("sessionId") != session]
        self.send("Page.navigate", {"url": url}, session)
        self._wait_event("Page.loadEventFired", session)
        # Let anything a page might run late (a timer, an image's onerror) happen first.
        self.send(
            "Runtime.evaluate",
            {"expression": "new Promise(r => setTimeout(r, 100))", "awaitPromise": True},
            session,
        )
        page = Page(url)
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            params = event.get("params", {})
            method = event.get("method")
            if method == "Runtime.consoleAPICalled":
                text = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]
                )
                page.console.append(f"{params['type']}: {text}")
            elif method == "Runtime.exceptionThrown":
                page.exceptions.append(json.dumps(params["exceptionDetails"])[:500])
            elif method == "Log.entryAdded":
                entry = params["entry"]
                if entry["level"] in ("error", "warning"):
                    page.log.append(f"{entry['level']}: {entry['text']}")
            elif method == "Network.requestWillBeSent":
                page.requests.append(params["request"]["url"])
        self._events = [e for e in self._events if e.get("sessionId") != session]

        def evaluate(expression: str) -> Any:
            result = self.send(
                "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session
            )
            if "exceptionDetails" in result:
                raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
            return result["result"].get("value")

        def screenshot() -> bytes:
            metrics = self.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
            shot = self.send(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {
                        "x": 0,
                        "y": 0,
                        "width": width,
                        "height": int(metrics["height"]),
                        "scale": 1,
                    },
                },
                session,
            )
            return base64.b64decode(shot["data"])

        page.evaluate = evaluate
        page.screenshot = screenshot
        return page

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)
