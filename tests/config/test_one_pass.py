"""One run of `check` reports every error of every file, references between files included.

A manager fixing a configuration should never meet the errors one at a time: a typo in one file
must not make that file "not found", nor hide an unknown person in another file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config.loader import ConfigPaths, collect
from tests.conftest import REPO_ROOT


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    shutil.copytree(REPO_ROOT / "config", tmp_path / "config")
    shutil.copytree(REPO_ROOT / "playbooks", tmp_path / "playbooks")
    monkeypatch.chdir(tmp_path)  # files are named relative to where check runs, as a manager sees them
    return tmp_path


def edit(path: Path, old: str, new: str) -> int:
    """Replace the first ``old``; return the 1-based line where ``new`` now starts."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1))
    return line


def run_check(repo: Path) -> tuple[list[str], list[str]]:
    config, issues = collect(ConfigPaths(repo / "config", repo / "playbooks"), complete=True)
    assert config is None, "expected the configuration to be rejected"
    return ([str(i) for i in issues if i.severity == "error"], [str(i) for i in issues if i.severity == "warning"])


def test_a_misspelt_key_and_an_unknown_person_in_another_file_come_in_one_run(repo):
    rotas = repo / "config" / "rotas.yaml"
    typo = edit(rotas, "    cadence: weekly\n", "    cadance: weekly\n")
    playbook = repo / "playbooks" / "sev1.yaml"
    unknown = edit(playbook, "    people: [katrin]", "    people: [katrn]")
    errors, _ = run_check(repo)
    assert errors == [
        f'config/rotas.yaml:{typo}:5: rotations[0].cadance: unknown key "cadance"; did you mean "cadence"?',
        f'playbooks/sev1.yaml:{unknown}:14: notifications[2].people[0]: unknown person "katrn"; '
        "add them to config/people.yaml or fix the id",
    ]


def test_a_file_with_errors_is_never_reported_as_not_found(repo):
    edit(repo / "config" / "rotas.yaml", "rotations:\n", "rotatoins:\n")  # the required list itself is misspelt
    errors, _ = run_check(repo)
    assert not any("not found" in e for e in errors), errors
    assert any('rotatoins: unknown key "rotatoins"; did you mean "rotations"?' in e for e in errors)
    assert any('rotations: required key "rotations" is missing' in e for e in errors)


def test_unknown_references_are_found_in_the_same_file_as_a_typo(repo):
    rotas = repo / "config" / "rotas.yaml"
    edit(rotas, "        ack_timeout: 5m\n", "        ack_timout: 5m\n")
    line = edit(rotas, "    fallback: katrin\n    escalation: platform-escalation",
                "    fallback: katrina\n    escalation: platform-escalation")
    errors, _ = run_check(repo)
    assert f'config/rotas.yaml:{line}:15: rotations[0].fallback: unknown person "katrina"; ' \
           "people are defined in config/people.yaml" in errors
    assert sum("ack_timout" in e for e in errors) == 1


def test_a_reference_to_an_item_with_its_own_error_is_not_reported_again(repo):
    # The platform rotation's start date is invalid, so the rotation cannot be built. The policies and
    # playbooks that name it are not told "unknown rotation platform": it exists, with one error.
    rotas = repo / "config" / "rotas.yaml"
    line = edit(rotas, 'start: "2026-12-21"', 'start: "2026-12-32"')
    errors, _ = run_check(repo)
    assert errors == [f'config/rotas.yaml:{line}:12: rotations[0].start: expected a date like "2026-12-24", '
                      'got "2026-12-32"']


def test_a_regulation_file_with_an_error_leaves_the_other_checks_running(repo):
    regime = repo / "config" / "regulations" / "gdpr.yaml"
    edit(regime, "jurisdiction:", "jurisdicton:")
    unknown = edit(repo / "playbooks" / "sev1.yaml", "    people: [katrin]", "    people: [katrn]")
    errors, _ = run_check(repo)
    assert any("config/regulations/gdpr.yaml" in e and 'unknown key "jurisdicton"' in e for e in errors)
    assert any(f"playbooks/sev1.yaml:{unknown}:14:" in e for e in errors)
    # the security playbook considers gdpr: that reference resolves, so nothing is said about it
    assert not any('unknown regulation regime "gdpr"' in e for e in errors), errors


def test_an_unreadable_file_says_which_references_were_not_checked(repo):
    people = repo / "config" / "people.yaml"
    people.write_text(people.read_text() + "people: [\n")
    unknown = edit(repo / "config" / "settings.yaml", "retention_days: 365", "retention_days: forever")
    errors, warnings = run_check(repo)
    assert any(e.startswith("config/people.yaml:") and "YAML syntax error" in e for e in errors)
    assert any(e.startswith(f"config/settings.yaml:{unknown}:") for e in errors)
    # nothing can be said about references to people, and check says so instead of guessing
    assert not any("unknown person" in e for e in errors), errors
    assert ("config/rotas.yaml:1:1: warning: references into config/people.yaml were not checked: "
            "it cannot be read; fix it and run check again") in warnings
    assert any(w.startswith("playbooks/*.yaml:1:1: warning: references into config/people.yaml") for w in warnings)


def test_labor_violations_are_not_guessed_from_a_rota_with_parts_missing(repo):
    # Without its coverage windows (a typo in the key) payments-amer would look on call around the clock;
    # the compliance check must wait for the real rota instead of reporting hours nobody will work.
    rotas = repo / "config" / "rotas.yaml"
    edit(rotas, '    coverage: [{days: MO-SU, window: "19:00-07:00"}]', '    coverrage: [{days: MO-SU, window: "19:00-07:00"}]')
    errors, _ = run_check(repo)
    assert len(errors) == 1 and 'unknown key "coverrage"; did you mean "coverage"?' in errors[0]


def test_an_alert_route_naming_a_playbook_with_its_own_error_is_not_reported_again(repo):
    # sev3.yaml cannot be built (its required name is misspelt). config/alerts.yaml declares sev3 on a route
    # and names it as a page route's declare_with: those references exist, with one error, reported once.
    playbook = repo / "playbooks" / "sev3.yaml"
    line = edit(playbook, 'name: "SEV3', 'nme: "SEV3')
    errors, _ = run_check(repo)
    assert errors and all(e.startswith("playbooks/sev3.yaml:") for e in errors), errors
    assert any(e.startswith(f"playbooks/sev3.yaml:{line}:") for e in errors), errors
