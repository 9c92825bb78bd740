"""run.py, the README's quick start: pip's own chatter stays out of the first thing a newcomer reads, and a failed
install says what to do instead of ending in a Python traceback."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_run_py(python: Path):
    spec = importlib.util.spec_from_file_location("quick_start_run", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.PYTHON = python  # a stand-in for .venv's python: a script that answers as pip would
    return module


def fake_python(tmp_path: Path, *, output: str, exit_code: int) -> Path:
    script = tmp_path / "python"
    script.write_text(f"#!/bin/sh\necho '{output}'\necho \"pip: $*\" >&2\nexit {exit_code}\n")
    script.chmod(0o700)
    return script


@pytest.mark.skipif(os.name == "nt", reason="the stand-in is a shell script")
def test_a_successful_install_prints_none_of_pips_warnings(tmp_path, capfd):
    run = load_run_py(fake_python(tmp_path, output="WARNING: Location is ignored", exit_code=0))
    run._pip("install", "--quiet", "-e", ".[test]")
    out, err = capfd.readouterr()
    assert "WARNING" not in out + err and "pip:" not in out + err


@pytest.mark.skipif(os.name == "nt", reason="the stand-in is a shell script")
def test_a_failed_install_shows_pips_output_and_what_to_do(tmp_path, capfd):
    run = load_run_py(fake_python(tmp_path, output="ERROR: No matching distribution found for slack-bolt",
                                  exit_code=1))
    with pytest.raises(SystemExit) as exited:
        run._pip("install", "--quiet", "-e", ".[test]")
    out, err = capfd.readouterr()
    assert "ERROR: No matching distribution found for slack-bolt" in err and "pip: -m pip install" in err
    message = str(exited.value.code)
    assert "could not install the dependencies" in message and "run the same command again" in message
