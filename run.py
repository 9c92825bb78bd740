#!/usr/bin/env python3
"""Quick start on a fresh machine with only Python 3.11+.

    python3 run.py drill   # set up .venv, then run a complete incident drill (embedded SQLite)
    python3 run.py test    # set up .venv, then run the whole test suite

Extra arguments are passed on (``python3 run.py test -k deadlines``).
The virtual environment is rebuilt when pyproject.toml changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def ensure_venv() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    with _setup_lock():  # two runs started together (say a SQLite and a PostgreSQL pass) install once
        if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
            return
        _install(wanted)


@contextlib.contextmanager
def _setup_lock():
    VENV.mkdir(exist_ok=True)
    with open(VENV / ".setup.lock", "w") as lock:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks here; runs there are one at a time
            yield
            return
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _install(wanted: str) -> None:
    if not PYTHON.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing dependencies into .venv ...", flush=True)
    _pip("install", "--quiet", "--upgrade", "pip")
    _pip("install", "--quiet", "-e", f"{ROOT}[test]")
    STAMP.write_text(wanted)


def _pip(*args: str) -> None:
    """Run pip quietly: its warnings (an index location, an editable build) are shown only if it fails, and
    then with what to do instead of a traceback."""
    done = subprocess.run([str(PYTHON), "-m", "pip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"\ncould not install the dependencies into .venv (`pip {' '.join(args)}` failed, its output is "
                 "above): check the network or the package index pip uses (PIP_INDEX_URL, pip.conf), then run "
                 "the same command again")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("drill", "test"):
        print(__doc__)
        return 2
    ensure_venv()
    task, rest = argv[0], argv[1:]
    if task == "drill":
        command = [str(PYTHON), "-m", "bot", "drill", *rest]
    else:
        command = [str(PYTHON), "-m", "pytest", *rest]
    return subprocess.call(command, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
