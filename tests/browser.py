"""A real headless Chromium (Debian's ``chromium`` package) for the tests of pages and the web view.

Found through ``$CHROMIUM`` or ``chromium`` on PATH.  Started with a fresh
profile, no network services of its own, and no sandbox (tests run as root in
CI).  Pages are rendered with ``--dump-dom`` (the DOM after layout and after
any script in the page ran) and photographed with ``--screenshot``.  Without a
Chromium the tests are skipped on a developer machine and FAIL under CI (``CI``
set), where .ci/run installs it.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         "--disable-dev-shm-usage", "--mute-audio")
PHONE = (390, 844)
DESKTOP = (1280, 900)
DOCS_IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "no Chromium: install Debian's package (apt-get install chromium) or set CHROMIUM to its path"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _run(args: list[str], timeout: float = 90) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run([chromium_path(), *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout, check=False)


def dump_dom(url: str, *, size: tuple[int, int] = DESKTOP, wait_ms: int = 0) -> str:
    """The rendered DOM of ``url`` (``file://`` or ``http://127.0.0.1:...``) as HTML text.

    ``wait_ms``: let the page's timers run for this much (virtual) time before the DOM is taken.
    """
    wait = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    done = _run([f"--window-size={size[0]},{size[1]}", *wait, "--dump-dom", url])
    assert done.returncode == 0 and "<html" in done.stdout, f"chromium failed on {url}: {done.stderr[-2000:]}"
    return done.stdout


def screenshot(url: str, target: Path, *, size: tuple[int, int] = DESKTOP) -> tuple[int, int]:
    """Photograph ``url`` into the PNG ``target``; returns its (width, height)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    done = _run([f"--window-size={size[0]},{size[1]}", f"--screenshot={target}", url])
    assert done.returncode == 0 and target.exists(), f"chromium made no screenshot of {url}: {done.stderr[-2000:]}"
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def keep_for_docs(shot: Path, name: str) -> None:
    """With DOCS_SCREENSHOTS=1, copy a screenshot to docs/images/ (how the pictures in the docs are made)."""
    if os.environ.get("DOCS_SCREENSHOTS") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_IMAGES / name)
