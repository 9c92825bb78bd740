"""Builders for the statute tests: shipped labor profiles, a small team at one site, previews and diffs."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import yaml

from bot.config.loader import ConfigPaths
from bot.reports.diff import diff_configs
from bot.reports.preview import build_preview
from bot.reports.review_config import load_for_review
from tests.oncall.conftest import REPO, one_rotation, person, site

CONTRACT = {"oncall_agreement": True, "compensation": "EUR 40 per standby day"}


def site_config(root: Path, profile: str, zone: str, *, people: dict[str, dict] | None = None,
                rotation: dict | None = None, overrides: list | None = None, extra_rules: list | None = None,
                policies: list | None = None):
    """anna and bea (and boss, the fallback) at one site under a shipped ``profile``; weekly rota from MO 2026-03-02.

    ``people``: extra fields per person (working_hours, contract, leave...). The config is loaded for review, so a
    rota that breaks a blocking rule still loads (its violations are findings).
    """
    cfg = root / "config"
    shutil.copytree(REPO / "config" / "labor", cfg / "labor", dirs_exist_ok=True)
    if extra_rules:
        (cfg / "labor" / "test-overlay.yaml").write_text(yaml.safe_dump(
            {"id": "test-overlay", "type": "overlay", "source": "test agreement", "rules": extra_rules}), encoding="utf-8")
    people = people or {}
    members = []
    for pid in ("anna", "bea", "boss"):
        data = person(pid, f"U0{pid.upper():0<7}"[:9], site="office", contract=dict(CONTRACT))
        data.update(people.get(pid, {}))
        members.append(data)
    office = site("office", zone, profile, **({"overlays": ["test-overlay"]} if extra_rules else {}))
    rot = dict(rotation or {})
    rotas = one_rotation(rot.pop("participants", ["anna", "bea"]), zone=zone, **rot)
    if overrides:
        rotas["overrides"] = overrides
    if policies:
        rotas["escalation_policies"] = policies
    (cfg / "people.yaml").write_text(yaml.safe_dump({"sites": [office], "people": members}), encoding="utf-8")
    (cfg / "rotas.yaml").write_text(yaml.safe_dump(rotas), encoding="utf-8")
    return load_for_review(ConfigPaths(cfg, root / "playbooks-none"))


def findings(config, first: str, last: str, rule: str, person: str = "anna"):
    """(violations, notes) of ``rule`` for ``person`` in a preview of local days first..last."""
    preview = build_preview(config, date.fromisoformat(first), date.fromisoformat(last))
    return ([v.message for v in preview.violations if v.rule == rule and v.person == person],
            [v.message for v in preview.notes if v.rule == rule and v.person == person])


def review(before, after, first: str, last: str, **kwargs):
    return diff_configs(before, after, date.fromisoformat(first), date.fromisoformat(last), **kwargs)
