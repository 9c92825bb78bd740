"""`check` guards what will happen: the weeks ahead of today, not only the fixed compliance window.

The shipped rotas.yaml checks a fixed window (from 2026-12-14, 28 days, so to 2027-01-10). A leave day in
a rostered week after it used to pass `check` while `rota preview` showed a blocking finding.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

# diogo (Lisbon) is rostered on `platform` the week of Mon 2027-01-11 09:00 Berlin (the sixth week after
# anna's 2026-12-21: anna, bruno, carla (covered by felix), diogo). A vacation on 13-14 January falls in it:
# after the fixed window's last day (2027-01-10), inside 8 weeks from 2026-12-01 (to 2027-01-25).
LEAVE = '      - {from: "2027-01-13", to: "2027-01-14", kind: vacation}\n'
TODAY = "2026-12-01"


def bot(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture
def edited(tmp_path) -> Path:
    """The shipped configuration with diogo on vacation in his on-call week, beside the unedited one."""
    for name in ("current", "edited"):
        shutil.copytree(REPO_ROOT / "config", tmp_path / name / "config")
        shutil.copytree(REPO_ROOT / "playbooks", tmp_path / name / "playbooks")
    people = tmp_path / "edited" / "config" / "people.yaml"
    text = people.read_text()
    anchor = '    contract: {oncall_agreement: true, compensation: "EUR 300 per standby week"}\n  - id: felix'
    assert anchor in text
    people.write_text(text.replace(anchor, anchor.replace("\n  - id: felix", "\n    leave:\n" + LEAVE + "  - id: felix")))
    return tmp_path


def test_a_leave_day_after_the_fixed_window_fails_check(edited):
    proc = bot("check", "--today", TODAY, cwd=edited / "edited")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "leave: diogo is rostered on platform on 2027-01-13 but on vacation leave 2027-01-13..2027-01-14" \
        in proc.stderr
    # it says which windows were checked
    assert ("Rota compliance checked: 2026-12-14 .. 2027-01-10 (rotas.yaml compliance (from, days)); "
            "2026-12-01 .. 2027-01-25 (8 weeks from 2026-12-01)") in proc.stdout


def test_the_fixed_window_alone_would_have_let_it_through(edited):
    assert bot("check", "--today", TODAY, "--weeks", "0", cwd=edited / "edited").returncode == 0
    rotas = edited / "edited" / "config" / "rotas.yaml"
    assert "  weeks_ahead: 8 " in rotas.read_text()
    rotas.write_text(rotas.read_text().replace("  weeks_ahead: 8 ", "  weeks_ahead: 0 "))
    proc = bot("check", "--today", TODAY, cwd=edited / "edited")
    assert proc.returncode == 0, proc.stderr
    assert "compliance   2026-12-14 .. 2027-01-10 (rotas.yaml compliance (from, days))\n" in proc.stdout


def test_check_and_the_rota_review_agree(edited):
    check = bot("check", "--today", TODAY, cwd=edited / "edited")
    review = bot("rota", "preview", "--config-dir", "current/config", "--from", "2026-12-01", "--to", "2027-01-25",
                 "--diff", "edited/config", cwd=edited)
    assert check.returncode == 2 and review.returncode == 1, review.stdout + review.stderr
    finding = next(line for line in check.stderr.splitlines() if "leave: diogo" in line)
    new = review.stdout.split("New violations: 1\n", 1)[1].split("\n\n", 1)[0]
    assert new.startswith("  BLOCK leave: diogo is rostered on platform on 2027-01-13")
    assert finding.split("leave: ", 1)[1] in new  # the same finding, word for word
    # and the unedited configuration passes both
    assert bot("check", "--today", TODAY, cwd=edited / "current").returncode == 0


def test_a_passing_check_names_both_windows(tmp_path):
    shutil.copytree(REPO_ROOT / "config", tmp_path / "config")
    shutil.copytree(REPO_ROOT / "playbooks", tmp_path / "playbooks")
    proc = bot("check", "--today", "2027-03-22", "--weeks", "4", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert ("  compliance   2026-12-14 .. 2027-01-10 (rotas.yaml compliance (from, days)); "
            "2027-03-22 .. 2027-04-18 (4 weeks from 2027-03-22)") in proc.stdout
