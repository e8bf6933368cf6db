"""Drive a report page in headless Chromium over the DevTools protocol (no dependency).

Chromium's ``--remote-debugging-pipe`` speaks the Chrome DevTools Protocol as JSON
messages ending in a NUL byte on file descriptors 3 (commands in) and 4 (replies out), so
the report checks (``tests/report``) and ``make report-shots`` need neither Playwright nor a
browser download: the system ``chromium`` is enough. Used by tests and the screenshot
target only; the report itself never runs a browser.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any

HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""A headless Chromium that makes no connection of its own (this machine's network is
closed; without the background-networking flags it retries many at a time)."""

FLAGS = (*HEADLESS_FLAGS, "--remote-debugging-pipe")


def find_chromium() -> str | None:
    """Path of the system Chromium, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _onto_3_and_4(to_browser: int, from_browser: int) -> None:
    """In the child: the pipe ends on the descriptors Chromium reads (3) and writes (4);
    through copies, so an end already on 3 or 4 is not overwritten before it is moved."""
    inbound, outbound = os.dup(to_browser), os.dup(from_browser)
    os.dup2(inbound, 3)
    os.dup2(outbound, 4)


class Page:
    """One page of a headless Chromium, driven over the DevTools pipe.

    ``with Page(chromium, profile) as page: page.open(uri); page.evaluate("1 + 1")``.
    Console errors and uncaught exceptions are kept in :attr:`errors`.
    """

    def __init__(self, chromium: str, profile: Path, width: int = 1200, height: int = 900):
        to_browser, self._send_fd = os.pipe()
        self._read_fd, from_browser = os.pipe()
        os.set_inheritable(to_browser, True)
        os.set_inheritable(from_browser, True)
        self._proc = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=lambda: _onto_3_and_4(to_browser, from_browser),
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._id = 0
        self.errors: list[str] = []
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def __enter__(self) -> Page:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the browser this page started."""
        os.close(self._send_fd)
        os.close(self._read_fd)
        self._proc.kill()
        self._proc.wait(timeout=30)

    def _message(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._read_fd, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        method = message.get("method")
        if method == "Runtime.exceptionThrown":
            self.errors.append(str(message["params"]["exceptionDetails"]))
        elif method == "Runtime.consoleAPICalled" and message["params"]["type"] == "error":
            self.errors.append(str(message["params"]["args"]))
        elif method == "Log.entryAdded" and message["params"]["entry"]["level"] == "error":
            self.errors.append(message["params"]["entry"]["text"])
        return message

    def _call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._id += 1
        command: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        os.write(self._send_fd, json.dumps(command).encode() + b"\0")
        while True:
            message = self._message()
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """A DevTools command on this page; its result."""
        return self._call(method, self._session, **params)

    def open(self, uri: str) -> None:
        """Load ``uri`` and wait for its load event."""
        self.call("Page.navigate", url=uri)
        while self._message().get("method") != "Page.loadEventFired":
            pass

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def mouse(self, kind: str, x: float, y: float) -> None:
        """A mouse event (``mouseMoved``, ``mousePressed``, ``mouseReleased``) at page
        coordinates (CSS pixels of the viewport)."""
        button = "none" if kind == "mouseMoved" else "left"
        self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button=button, clickCount=1)

    def screenshot(self, path: Path, *, whole: bool = True) -> Path:
        """A PNG of the whole page (``whole=False``: of the viewport)."""
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=whole)
        path.write_bytes(base64.b64decode(data["data"]))
        return path
