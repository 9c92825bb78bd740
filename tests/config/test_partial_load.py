"""A command that needs only some kinds of file (``collect(kinds=...)``) reads and checks only those, and still
records the version of the whole configuration."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from bot.cli.commands.deadlines import ASSESSMENT_KINDS as DEADLINE_KINDS
from bot.cli.commands.oncall import ONCALL_KINDS
from bot.config.loader import ConfigPaths, collect
from bot.config.version import config_version
from tests.conftest import REPO_ROOT


def shipped_copy(tmp_path: Path) -> ConfigPaths:
    shutil.copytree(REPO_ROOT / "config", tmp_path / "config")
    shutil.copytree(REPO_ROOT / "playbooks", tmp_path / "playbooks")
    return ConfigPaths(tmp_path / "config", tmp_path / "playbooks")


def test_a_partial_load_reads_only_the_kinds_asked(tmp_path):
    paths = shipped_copy(tmp_path)
    (paths.config_dir / "rotas.yaml").write_text("rotations: [this is not a rota\n", encoding="utf-8")
    full, full_issues = collect(paths)
    assert full is None and any("rotas.yaml" in i.file for i in full_issues)  # the broken file matters to a full load
    config, issues = collect(paths, kinds=DEADLINE_KINDS)
    assert config is not None, [str(i) for i in issues if i.severity == "error"]
    assert set(config.files) <= set(DEADLINE_KINDS)
    assert config.loaded("rotas") == [] and config.all("regulation")


def test_a_broken_file_of_a_kind_asked_for_is_still_refused_with_its_position(tmp_path):
    paths = shipped_copy(tmp_path)
    (paths.config_dir / "organisation.yaml").write_text("facts:\n  member_state: DE\n  member_state: FR\n",
                                                          encoding="utf-8")
    config, issues = collect(paths, kinds=DEADLINE_KINDS)
    assert config is None
    [error] = [i for i in issues if i.severity == "error"]
    assert error.file.endswith("organisation.yaml") and error.line == 3 and "duplicate key" in error.message


def test_cross_checks_that_read_a_kind_left_out_do_not_report_its_items_as_unknown(tmp_path):
    # the playbooks name regulation regimes; without the regulations read, they are not "unknown regimes"
    paths = shipped_copy(tmp_path)
    config, issues = collect(paths, kinds=ONCALL_KINDS)
    assert config is not None, [str(i) for i in issues if i.severity == "error"]
    assert not [i for i in issues if "unknown" in i.message]


def test_cross_checks_among_the_kinds_asked_still_run(tmp_path):
    paths = shipped_copy(tmp_path)
    rotas = paths.config_dir / "rotas.yaml"
    text = rotas.read_text(encoding="utf-8")
    assert "anna" in text
    rotas.write_text(text.replace("anna", "annabel", 1), encoding="utf-8")
    config, issues = collect(paths, kinds=ONCALL_KINDS)
    assert config is None
    assert any("annabel" in i.message and i.file.endswith("rotas.yaml") for i in issues if i.severity == "error")


def test_the_version_of_a_partial_load_covers_every_file(tmp_path):
    paths = shipped_copy(tmp_path)
    full, _ = collect(paths)
    assert full is not None
    lines = sorted(f"{folder}/{p.relative_to(root).as_posix()} {hashlib.sha256(p.read_bytes()).hexdigest()}\n"
                   for folder, root in (("config", paths.config_dir), ("playbooks", paths.playbooks_dir))
                   for p in root.rglob("*.yaml"))
    recipe = hashlib.sha256("".join(lines).encode()).hexdigest()
    for kinds in (DEADLINE_KINDS, ONCALL_KINDS):
        partial, _ = collect(paths, kinds=kinds)
        assert partial is not None
        assert config_version(partial).digest == config_version(full).digest == recipe
        assert config_version(partial).files == config_version(full).files


def test_a_kind_that_does_not_exist_is_a_programming_error(tmp_path):
    with pytest.raises(KeyError, match="rota"):
        collect(shipped_copy(tmp_path), kinds=("settings", "rota"))
