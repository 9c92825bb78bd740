"""Small, test-local on-call configurations written to tmp_path.

``write_config`` builds a config folder from Python dicts (people, rotas, labor
profiles) and loads it through the real loader, so every test also exercises
validation and the cross-checks.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.config.loader import ConfigPaths, collect, load_config

REPO = Path(__file__).resolve().parents[2]

# A neutral profile: only the rule under test is added by each test.
BASE_PROFILE = {"id": "base", "name": "test base", "rules": [{"kind": "leave", "cite": "test leave rule"}]}


def person(pid: str, slack: str, **extra) -> dict:
    data = {"id": pid, "slack": slack, "site": extra.pop("site", "munich"), "contract": {"oncall_agreement": True}}
    data.update(extra)
    return data


def site(sid: str, zone: str, profile: str = "base", **extra) -> dict:
    return {"id": sid, "timezone": zone, "labor_profile": profile, **extra}


@pytest.fixture
def write_config(tmp_path):
    def build(*, people: dict, rotas: dict, labor: list[dict] | None = None, shipped_labor: bool = False,
              expect_valid: bool = True):
        cfg = tmp_path / "config"
        (cfg / "labor").mkdir(parents=True, exist_ok=True)
        if shipped_labor:
            for f in (REPO / "config" / "labor").glob("*.yaml"):
                shutil.copy(f, cfg / "labor" / f.name)
        for prof in labor if labor is not None else [BASE_PROFILE]:
            (cfg / "labor" / f"{prof['id']}.yaml").write_text(yaml.safe_dump(prof, allow_unicode=True), encoding="utf-8")
        (cfg / "people.yaml").write_text(yaml.safe_dump(people, allow_unicode=True), encoding="utf-8")
        (cfg / "rotas.yaml").write_text(yaml.safe_dump(rotas, allow_unicode=True), encoding="utf-8")
        paths = ConfigPaths(cfg, tmp_path / "playbooks")
        if expect_valid:
            return load_config(paths)
        return collect(paths)

    return build


def one_rotation(participants, *, zone="Europe/Berlin", start="2026-03-02", handoff="MO 09:00", **extra) -> dict:
    rot = {"id": "ops", "timezone": zone, "participants": participants, "start": start, "handoff": handoff,
           "fallback": extra.pop("fallback", "boss"), **extra}
    return {"compliance": {"from": start, "days": 7}, "rotations": [rot]}
