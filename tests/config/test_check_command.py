"""`python -m bot check` and `schema` as a manager uses them, on copies of the shipped configuration."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config.kinds import KINDS
from tests.conftest import REPO_ROOT


def bot(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def repo_copy(tmp_path) -> Path:
    shutil.copytree(REPO_ROOT / "config", tmp_path / "config")
    shutil.copytree(REPO_ROOT / "playbooks", tmp_path / "playbooks")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_shipped_config_passes_with_a_summary(repo_copy):
    proc = bot("check", cwd=repo_copy)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("Configuration OK")
    for kind in ("people", "rotas", "labor", "regulation", "playbook"):
        assert f"  {kind}" in proc.stdout
    assert len(proc.stdout.splitlines()) < 40  # one screen


def test_errors_in_several_files_are_all_reported_with_positions(repo_copy):
    rotas = repo_copy / "config" / "rotas.yaml"
    edit(rotas, "        ack_timeout: 5m\n", "        ack_timout: 5m\n")
    settings = repo_copy / "config" / "settings.yaml"
    edit(settings, "retention_days: 365", "retention_days: forever")
    proc = bot("check", cwd=repo_copy)
    assert proc.returncode == 2
    typo_line = line_of(rotas, "ack_timout")
    assert f"config/rotas.yaml:{typo_line}:9: escalation_policies[0].levels[0].ack_timout: unknown key" in proc.stderr
    assert 'did you mean "ack_timeout"?' in proc.stderr
    line = line_of(settings, "retention_days")
    assert f'config/settings.yaml:{line}:17: retention_days: expected a whole number, got "forever"' in proc.stderr
    assert "nothing was applied" in proc.stdout


def test_a_dangling_reference_is_an_error(repo_copy):
    playbook = repo_copy / "playbooks" / "sev2.yaml"
    edit(playbook, "  - target: platform-escalation", "  - target: platfrom-escalation")
    proc = bot("check", cwd=repo_copy)
    assert proc.returncode == 2
    line = line_of(playbook, "platfrom-escalation")
    assert f"playbooks/sev2.yaml:{line}:" in proc.stderr
    assert "platfrom-escalation" in proc.stderr


def test_a_duplicate_key_is_an_error(repo_copy):
    settings = repo_copy / "config" / "settings.yaml"
    settings.write_text(settings.read_text() + "timezone: UTC\n")
    proc = bot("check", cwd=repo_copy)
    assert proc.returncode == 2
    line = len(settings.read_text().splitlines())  # the appended, second "timezone" key
    first = line_of(settings, "timezone:")
    assert (f'config/settings.yaml:{line}:1: timezone: duplicate key "timezone" (first defined at line {first})'
            in proc.stderr)


def test_a_yaml_syntax_error_is_an_error(repo_copy):
    people = repo_copy / "config" / "people.yaml"
    people.write_text(people.read_text() + "  - {id: broken, slack: U0BROKEN1\n")
    proc = bot("check", cwd=repo_copy)
    assert proc.returncode == 2
    # The flow mapping opened on the last line is never closed: the parser notices at the end of the file,
    # one line below it, column 1.
    end = len(people.read_text().splitlines()) + 1
    assert f"config/people.yaml:{end}:1: YAML syntax error" in proc.stderr


@pytest.mark.parametrize("kind", [k.name for k in KINDS])
def test_schema_is_valid_json_schema_for_every_kind(kind, tmp_path):
    proc = bot("schema", kind, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    assert schema["type"] == "object"
    assert schema["properties"]
    assert schema.get("additionalProperties") is False  # unknown keys are errors in editors too


def test_an_empty_or_mistyped_config_folder_is_not_reported_as_ok(tmp_path):
    (tmp_path / "config").mkdir()  # e.g. --config-dir pointing at the wrong folder
    proc = bot("check", cwd=tmp_path)
    assert proc.returncode == 2
    for missing in ("config/people.yaml:1:1: required file not found", "config/rotas.yaml:1:1: required file not found",
                    "playbooks/*.yaml:1:1: required file not found"):
        assert missing in proc.stderr


def test_errors_of_one_file_do_not_hide_dangling_references_in_another(repo_copy):
    settings = repo_copy / "config" / "settings.yaml"
    edit(settings, "retention_days: 365", "retention_days: forever")
    rotas = repo_copy / "config" / "rotas.yaml"
    edit(rotas, "    fallback: katrin\n", "    fallback: katrn\n")
    proc = bot("check", cwd=repo_copy)
    assert proc.returncode == 2
    assert "config/settings.yaml:" in proc.stderr and "retention_days" in proc.stderr
    line = line_of(rotas, "fallback: katrn")
    assert f"config/rotas.yaml:{line}:" in proc.stderr and '"katrn"' in proc.stderr


def test_a_broken_file_does_not_cause_false_dangling_references(repo_copy):
    # people.yaml cannot be read at all; rotas.yaml names people from it. Reporting every one of those
    # names as "unknown person" would bury the real error, so the rota cross-check waits for people.yaml.
    people = repo_copy / "config" / "people.yaml"
    people.write_text(people.read_text() + "  - {id: broken\n")
    proc = bot("check", cwd=repo_copy)
    assert proc.returncode == 2
    assert "YAML syntax error" in proc.stderr and "unknown person" not in proc.stderr


@pytest.mark.parametrize("written", ["20s", "90s", "0m", "PT30S"])
def test_a_duration_below_a_minute_or_between_minutes_is_refused_by_check(repo_copy, written):
    # Pages keep their acknowledgement timeout in whole minutes: "20s" used to pass check and run as
    # 0 minutes (the whole escalation chain paged within seconds). It is refused with the reason.
    rotas = repo_copy / "config" / "rotas.yaml"
    edit(rotas, "        ack_timeout: 5m\n", f"        ack_timeout: {written}\n")
    proc = bot("check", cwd=repo_copy)
    assert proc.returncode == 2
    line = line_of(rotas, f"ack_timeout: {written}")
    assert f"config/rotas.yaml:{line}:" in proc.stderr and "escalation_policies[0].levels[0].ack_timeout" in proc.stderr
    assert "expected a duration of at least one minute in whole minutes" in proc.stderr
    assert f'"{written}"' in proc.stderr and 'write "1m" or more' in proc.stderr


def test_whole_minutes_written_in_seconds_are_accepted(repo_copy):
    rotas = repo_copy / "config" / "rotas.yaml"
    edit(rotas, "        ack_timeout: 5m\n", "        ack_timeout: 300s\n")  # exactly 5 minutes
    proc = bot("check", cwd=repo_copy)
    assert proc.returncode == 0, proc.stderr
