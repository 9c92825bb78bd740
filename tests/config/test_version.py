"""The configuration version: a content hash of the files as loaded, the git commit, and where decisions record it."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import select

from bot.audit.tables import TimelineEvent
from bot.audit.trail import events
from bot.clock import ManualClock
from bot.config.loader import ConfigPaths, collect
from bot.config.version import config_version
from bot.deadlines.tables import Obligation
from bot.incidents.service import IncidentService
from bot.scheduling.delivery import Dispatcher
from tests.conftest import REPO_ROOT
from tests.incidents.conftest import REPORTER, load, write_config
from tests.scheduling.fakes import FakeChat


def _by_recipe(paths: ConfigPaths) -> str:
    """The documented recipe, done with hashlib on the files as they are on disk: one line
    "<folder>/<path> <sha256 of the bytes>" per file, sorted, then SHA-256 of the lines."""
    lines = []
    for folder, root in (("config", paths.config_dir), ("playbooks", paths.playbooks_dir)):
        for path in sorted(root.rglob("*.yaml")):
            lines.append(f"{folder}/{path.relative_to(root).as_posix()} {hashlib.sha256(path.read_bytes()).hexdigest()}\n")
    return hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()


def test_the_hash_is_the_documented_recipe_over_the_bytes(tmp_path):
    paths = write_config(tmp_path / "c")
    version = config_version(load(paths))
    assert version.digest == _by_recipe(paths)
    assert dict(version.files)["config/settings.yaml"] == \
        hashlib.sha256((paths.config_dir / "settings.yaml").read_bytes()).hexdigest()
    assert version.git_commit is None and version.git_exact is None  # a temporary folder is no git checkout


def test_an_edit_after_loading_does_not_change_the_loaded_version(tmp_path):
    paths = write_config(tmp_path / "c")
    config = load(paths)
    before = config_version(config).digest
    settings = paths.config_dir / "settings.yaml"
    settings.write_text(settings.read_text() + "\n# a comment is an edit too\n")
    assert config_version(config).digest == before  # built from the bytes read at load time
    reloaded = load(paths)
    assert config_version(reloaded).digest != before and config_version(reloaded).digest == _by_recipe(paths)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is part of the CI image and of every checkout")
def test_git_commit_and_whether_the_files_are_exactly_that_commit(tmp_path):
    paths = write_config(tmp_path / "repo")
    git = ["git", "-C", str(tmp_path / "repo"), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "config"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    clean = config_version(load(paths))
    assert (clean.git_commit, clean.git_exact, clean.git_changed) == (head, True, ())
    (paths.playbooks_dir / "minor.yaml").write_text((paths.playbooks_dir / "minor.yaml").read_text() + "\n# local\n")
    edited = config_version(load(paths))
    assert (edited.git_commit, edited.git_exact, edited.git_changed) == (head, False, ("playbooks/minor.yaml",))
    assert edited.stamp() == {"hash": edited.digest, "git": head, "git_exact": False}


def test_the_shipped_configuration_is_a_checkout_of_this_repository():
    version = config_version(load(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks")))
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")  # CI runs on a fresh clone, which is one
    assert version.git_commit and len(version.git_commit) == 40


def test_a_permission_decision_records_the_version_and_the_global_chain_lists_its_files(tmp_path, store, clock):
    config = load(write_config(tmp_path / "c"))
    service = IncidentService(store, lambda: config, clock)
    service.declare("major", "Checkout is down", actor=REPORTER, key="d")
    service.add_note(1, "looking at the load balancer", actor=REPORTER, key="n")
    digest = config_version(config).digest
    with store.session() as s:
        incident_events = events(s, 1)
        assert incident_events and all(e.data["config_version"]["hash"] == digest for e in incident_events)
        recorded = s.exec(select(TimelineEvent).where(TimelineEvent.chain == "global",
                                                      TimelineEvent.kind == "config.version")).all()
    assert len(recorded) == 1  # once per version, however many decisions use it
    assert recorded[0].data["hash"] == digest
    assert recorded[0].data["files"]["playbooks/major.yaml"] == \
        hashlib.sha256((tmp_path / "c" / "playbooks" / "major.yaml").read_bytes()).hexdigest()


def test_a_reload_during_a_decision_makes_it_decide_again_under_the_new_version(tmp_path, store, clock):
    first = load(write_config(tmp_path / "a"))
    second = load(write_config(tmp_path / "b", settings="organisation: Reloaded Org\nadmins: [UADMIN01]\n"))
    calls = []

    def provider():
        calls.append(1)
        return first if len(calls) == 1 else second  # the reload lands while the first attempt works

    service = IncidentService(store, provider, clock)
    service.declare("major", "Checkout is down", actor=REPORTER, key="d")
    with store.session() as s:
        declared = [e for e in events(s, 1) if e.kind == "incident.declared"]
    assert len(declared) == 1  # the first attempt was rolled back, not kept beside the second
    assert declared[0].data["config_version"]["hash"] == config_version(second).digest


@pytest.fixture(scope="module")
def shipped():
    config, issues = collect(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks"))
    assert config is not None, issues
    return config


def test_page_plans_and_deadline_computations_record_the_version(store, shipped):
    # Tuesday 2026-12-22 11:00 in Munich: anna's on-call week on the platform rotation.
    clock = ManualClock(datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc))
    service = IncidentService(store, lambda: shipped, clock)
    service.declare("security", "Customer records exposed", actor="U0KATRIN1", key="d",
                    facts={"personal_data_breach": True, "gdpr_in_scope": True})
    service.record_channel(1, "CINC0001", "inc-1", key="c")
    stamp = config_version(shipped).stamp()
    with store.session() as s:
        planned = [e for e in events(s, 1) if e.kind in ("page.planned", "page.held", "page.skipped")]
        added = [e for e in events(s, 1) if e.kind == "obligation.added"]
        rows = s.exec(select(Obligation).where(Obligation.incident_id == 1)).all()
    assert planned and all(e.data["config_version"] == stamp for e in planned)
    assert added and all(e.data["config_version"] == stamp for e in added)
    assert rows and all(r.spec["config_version"] == stamp for r in rows)
    # An escalation is planned by the scheduler, outside any request: its plan records the version too.
    dispatcher = Dispatcher(store, lambda: shipped, FakeChat(), clock)
    dispatcher.run_due()
    clock.advance(timedelta(minutes=6))
    dispatcher.run_due()
    with store.session() as s:
        escalated = [e for e in events(s, 1) if e.kind == "page.planned" and e.data.get("level", 1) > 1]
    assert escalated and all(e.data["config_version"] == stamp for e in escalated)


def test_check_prints_the_version(tmp_path, capsys):
    from bot.cli import main

    shutil.copytree(REPO_ROOT / "config", tmp_path / "config")
    shutil.copytree(REPO_ROOT / "playbooks", tmp_path / "playbooks")
    paths = ConfigPaths(tmp_path / "config", tmp_path / "playbooks")
    assert main(["check", "--config-dir", str(paths.config_dir), "--playbooks-dir", str(paths.playbooks_dir)]) == 0
    assert f"version      {_by_recipe(paths)}\n" in capsys.readouterr().out  # no git: a copy is no checkout
