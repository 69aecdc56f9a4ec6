"""Headless Chromium (Debian's `chromium` package) driven over the DevTools protocol on a pipe
(`--remote-debugging-pipe`: no port, no extra package), for tests of what a person sees.

`chromium_path()` finds /usr/bin/chromium, installs it with apt-get when missing, and skips the
test with the reason when it cannot. `Browser` is synchronous: run a scenario in a thread
(`await asyncio.to_thread(scenario, ...)`) while the test's event loop serves the app. The
browser reaches only 127.0.0.1: every other host goes to a closed proxy port and fails.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
LOCK = Path(tempfile.gettempdir()) / "hmis-chromium-install.lock"
# The page may finish its own work (React mounting GraphiQL) in this long.
TIMEOUT = 30.0


def chromium_path() -> str:
    """Debian's chromium, installed on first use; the test is skipped when it cannot be."""
    found = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if found:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip("headless Chromium is needed: install Debian's `chromium` package "
                    "(apt-get install -y chromium): no apt-get here, or not root")  # fmt: skip
    with LOCK.open("w") as lock:  # one install at a time on this machine
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(CHROMIUM):
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            update, install = ["apt-get", "update", "-q"], ["apt-get", "install", "-y", "chromium"]
            for command in (update, install):
                done = subprocess.run(command, capture_output=True, text=True, env=env,
                                      timeout=900, check=False)  # fmt: skip
                if done.returncode != 0 and command is install:
                    pytest.skip(f"headless Chromium is needed and `apt-get install chromium` "
                                f"failed (no package mirror?):\n{done.stderr[-2000:]}")  # fmt: skip
    return CHROMIUM


class Browser:
    """One headless Chromium with a fresh profile and one page (tab)."""

    def __init__(self, width: int = 1200, height: int = 900):
        self.profile = tempfile.TemporaryDirectory(prefix="hmis-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # Chromium reads commands on fd 3 and writes replies and events on fd 4: bash (unlike
        # dash it takes fds past 9) puts the pipes there and becomes Chromium.
        plumbing = f'exec "$0" "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}'
        self.process = subprocess.Popen(
            [
                "bash", "-c", plumbing, chromium_path(),
                "--headless", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-pipe", f"--user-data-dir={self.profile.name}",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--disable-dev-shm-usage",
                "--proxy-server=http://127.0.0.1:9",  # loopback is never proxied
                f"--window-size={width},{height}", "about:blank",
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_chrome_r, from_chrome_w),
        )  # fmt: skip
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.page(f"{domain}.enable")
        self.resize(width, height)

    # --- the protocol ------------------------------------------------------------------------

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe (did it crash?)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        return self.send(method, self.session, **params)

    def wait_for(self, event: str, *, since: int = 0) -> dict[str, Any]:
        """The first `event` after the first `since` events, waiting for it if need be."""
        deadline = time.monotonic() + TIMEOUT
        seen = since
        while True:
            for message in self.events[seen:]:
                if message.get("method") == event:
                    return message
            seen = len(self.events)
            self.events.append(self._read(deadline))

    # --- what a test does --------------------------------------------------------------------

    def resize(self, width: int, height: int) -> None:
        self.page("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip

    def open(self, url: str, headers: dict[str, str] | None = None) -> None:
        """Load `url` (with extra request headers, e.g. a bearer token) up to its load event."""
        self.page("Network.setExtraHTTPHeaders", headers=headers or {})
        since = len(self.events)
        self.page("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired", since=since)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (not subject to the page's CSP)."""
        result = self.page("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)  # fmt: skip
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def until(self, expression: str, timeout: float = TIMEOUT) -> Any:
        """Poll `expression` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(f"never true in the page: {expression}")

    def click(self, selector: str) -> None:
        """A real mouse click (pressed and released) in the middle of the element."""
        box = self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                            ".getBoundingClientRect(); return [r.x + r.width / 2, "
                            "r.y + r.height / 2]; })()")  # fmt: skip
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.page("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                      button="left", clickCount=1)  # fmt: skip

    def press(self, key: str, *, ctrl: bool = False) -> None:
        """A key pressed and released (e.g. "Enter" with ctrl) in the focused element."""
        codes = {"Enter": 13}
        for kind in ("rawKeyDown", "keyUp"):
            self.page("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                      windowsVirtualKeyCode=codes[key], modifiers=2 if ctrl else 0)  # fmt: skip

    def screenshot(self, path: Path) -> Path:
        data = self.page("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def print_pdf(self, path: Path, *, paper: str = "A4") -> Path:
        inches = {"A4": (8.27, 11.69), "Letter": (8.5, 11.0)}[paper]
        data = self.page("Page.printToPDF", paperWidth=inches[0], paperHeight=inches[1],
                         printBackground=True)["data"]  # fmt: skip
        path.write_bytes(base64.b64decode(data))
        return path

    def requested_urls(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def console_errors(self) -> list[str]:
        """Errors the page logged, CSP violations included."""
        found = []
        for e in self.events:
            if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error":
                found.append(e["params"]["entry"]["text"])
            if e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error":
                found.append(" ".join(str(a.get("value")) for a in e["params"]["args"]))
            if e.get("method") == "Runtime.exceptionThrown":
                found.append(json.dumps(e["params"]["exceptionDetails"])[:500])
        return found

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)
        self.profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
