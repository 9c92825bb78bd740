"""`deadlines --regime R` reads only R's regulation file when that answers the question, and gives the same
answer, or the same error, as a read of every regulation."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest

from bot.cli import main
from bot.cli.commands.deadlines import ASSESSMENT_KINDS
from bot.config.loader import ConfigPaths, collect
from bot.config.version import config_version
from bot.deadlines.assess import Situation, assess
from bot.deadlines.catalog import regimes
from tests.deadlines.conftest import REPO_ROOT

AWARE = "aware=2026-03-27T10:00:00+01:00"
REGIMES = sorted(p.stem for p in (REPO_ROOT / "config" / "regulations").glob("*.yaml"))


@pytest.fixture
def config_dir(tmp_path):
    shutil.copytree(REPO_ROOT / "config", tmp_path / "config")
    shutil.copytree(REPO_ROOT / "playbooks", tmp_path / "playbooks")
    return tmp_path / "config"


def _run(capsys, config_dir, *argv):
    code = main(["deadlines", "--config-dir", str(config_dir), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _break_all_regulations_but(config_dir, keep: set[str]) -> None:
    """Any other regulation file is made unreadable: a command that reads it fails loudly."""
    for path in (config_dir / "regulations").glob("*.yaml"):
        if path.stem not in keep:
            path.write_text("id: [this is not yaml\n", encoding="utf-8")


def test_every_shipped_regime_is_assessed_alike_from_its_own_file(config_dir):
    # the reference is what the command read before (every regulation); each regime alone must agree with it,
    # obligation by obligation, with no facts known (so every duty is assumed and computed)
    paths = ConfigPaths.default(config_dir)
    whole, _ = collect(paths, kinds=ASSESSMENT_KINDS)
    assert whole is not None
    at = datetime(2026, 3, 27, 9, tzinfo=UTC)
    situation = Situation(triggers={"aware": at}, facts={}, submitted={}, at=at, delays={}, derived={})
    for regime in REGIMES:
        alone, issues = collect(paths, kinds=ASSESSMENT_KINDS, only={"regulation": {regime}})
        assert alone is not None, [str(i) for i in issues if i.severity == "error"]
        assert [r.model.id for r in alone.loaded("regulation")] == [regime]
        expected = [r.to_json() for r in assess(regimes(whole), [regime], situation)]
        assert [r.to_json() for r in assess(regimes(alone), [regime], situation)] == expected, regime
        assert expected  # a regime with no obligation would make this comparison empty


def test_the_command_reads_only_the_named_regimes(capsys, config_dir):
    _break_all_regulations_but(config_dir, {"gdpr", "nis2"})
    code, out, err = _run(capsys, config_dir, "--regime", "GDPR,nis2", "--trigger", AWARE,
                          "--fact", "gdpr_in_scope=true", "--fact", "personal_data_breach=true", "--json")
    assert code == 0, err
    assert {row["regime"] for row in json.loads(out)} == {"gdpr", "nis2"}


def test_a_fact_of_another_regime_reads_every_regulation_as_before(capsys, config_dir):
    # nis2_entity is declared in nis2.yaml only: asking about gdpr with it used to be accepted, and still is
    code, out, err = _run(capsys, config_dir, "--regime", "gdpr", "--trigger", AWARE,
                          "--fact", "nis2_entity=true", "--json")
    assert code == 0, err
    assert {row["regime"] for row in json.loads(out)} == {"gdpr"}


def test_errors_are_those_of_a_whole_read(capsys, config_dir):
    # a misspelt regime gets the suggestion computed from every regime, so it must have read them all
    code, _, err = _run(capsys, config_dir, "--regime", "nis", "--trigger", AWARE)
    assert code == 2
    assert 'unknown regime "nis"' in err and "nis2" in err and "gdpr" in err
    code, _, err = _run(capsys, config_dir, "--regime", "gdpr", "--trigger", AWARE, "--fact", "no_such_fact=true")
    assert code == 2 and "no_such_fact" in err


def test_an_unknown_fact_is_an_error_even_when_other_regulations_are_broken(capsys, config_dir):
    # the fall-back read of every regulation reports the broken files (exit 2), never a half answer
    _break_all_regulations_but(config_dir, {"gdpr"})
    with pytest.raises(SystemExit) as exited:
        _run(capsys, config_dir, "--regime", "gdpr", "--trigger", AWARE, "--fact", "nis2_entity=true", "--json")
    out, err = capsys.readouterr()
    assert exited.value.code == 2 and out == ""
    assert "nis2.yaml" in err and "configuration invalid" in err


def test_the_version_still_covers_every_regulation(config_dir):
    paths = ConfigPaths.default(config_dir)
    whole, _ = collect(paths)
    alone, _ = collect(paths, only={"regulation": {"gdpr"}})
    assert whole is not None and alone is not None
    assert config_version(alone).digest == config_version(whole).digest
    assert config_version(alone).files == config_version(whole).files


def test_cross_checks_that_need_every_regulation_are_not_run_on_a_part(config_dir):
    # derivations.yaml names facts of many regimes: with gdpr alone they are not "unknown facts"
    alone, issues = collect(ConfigPaths.default(config_dir), only={"regulation": {"gdpr"}})
    assert alone is not None
    assert not [i for i in issues if "unknown fact" in i.message]
