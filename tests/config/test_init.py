"""`incident-bot init` writes a starting configuration that passes check; the drill runs from any folder."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def bot(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "SLACK_")) and k != "DATABASE_URL"}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**clean, **(env or {})})


def shipped_files() -> list[Path]:
    return sorted(p.relative_to(REPO_ROOT) for folder in ("config", "playbooks")
                  for p in (REPO_ROOT / folder).rglob("*.yaml"))


def test_init_writes_the_whole_example_which_passes_check(tmp_path):
    proc = bot("init", "starter", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    written = sorted(p.relative_to(tmp_path / "starter") for p in (tmp_path / "starter").rglob("*.yaml"))
    assert written == shipped_files()
    for relative in written:
        assert (tmp_path / "starter" / relative).read_bytes() == (REPO_ROOT / relative).read_bytes()
    # it says what to edit first, and how to check and try it
    for line in ("Edit first:", "config/settings.yaml", "config/people.yaml", "config/rotas.yaml", "playbooks/*.yaml",
                 "incident-bot check --config-dir starter/config", "incident-bot drill --config-dir starter/config"):
        assert line in proc.stdout
    assert bot("check", "--config-dir", "starter/config", cwd=tmp_path).returncode == 0


def test_the_people_file_is_readable_by_its_owner_only(tmp_path):
    proc = bot("init", cwd=tmp_path)
    assert proc.returncode == 0
    assert stat.S_IMODE((tmp_path / "config" / "people.yaml").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "config" / "settings.yaml").stat().st_mode) == 0o644
    assert "  incident-bot check      every error" in proc.stdout  # written here: the default folder needs no option


def test_init_never_overwrites(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.yaml").write_text("organisation: Mine\n")
    proc = bot("init", cwd=tmp_path)
    assert proc.returncode == 2
    assert "init never overwrites a configuration" in proc.stderr
    assert (tmp_path / "config" / "settings.yaml").read_text() == "organisation: Mine\n"
    assert not (tmp_path / "playbooks").exists()


def test_the_drill_runs_from_an_empty_folder_with_the_packaged_example(tmp_path):
    proc = bot("drill", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert "No configuration folder here (./config), so the drill uses the example configuration" in proc.stderr
    assert "SUMMARY of INC-1 (closed)" in proc.stdout


@pytest.mark.slow
def test_the_example_ships_inside_the_wheel_and_the_installed_drill_uses_it(tmp_path):
    # Build the wheel as `pip install` would (setuptools from PyPI, in an isolated build environment).
    source = tmp_path / "source"
    shutil.copytree(REPO_ROOT, source, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__",
                                                  ".pytest_cache", ".hypothesis"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"),
                            str(source)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("incident_bot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [str(p) for p in shipped_files() if f"bot/example/{p}" not in names]
    assert not missing, f"not in the wheel: {missing}"
    # Installed on its own (its dependencies come from this environment), run from an empty folder.
    site = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site),
                                str(wheel)], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = bot("drill", cwd=empty, env={"PYTHONPATH": str(site)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert f"({site / 'bot' / 'example' / 'config'})" in proc.stderr
