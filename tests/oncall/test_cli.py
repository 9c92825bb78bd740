"""`python -m bot oncall`: text and the documented --json shape."""

from __future__ import annotations

import json
import shutil

import pytest

from bot.audit.unit_time import happens_at
from bot.cli import main
from tests.oncall.conftest import REPO


@pytest.fixture
def config_dir(tmp_path):
    cfg = tmp_path / "config"
    shutil.copytree(REPO / "config" / "labor", cfg / "labor")
    for name in ("people.yaml", "rotas.yaml"):
        shutil.copy(REPO / "config" / name, cfg / name)
    return str(cfg)


def run(capsys, *args):
    code = main(["oncall", *args])
    return code, capsys.readouterr()


def test_json_for_the_drill_instant(capsys, config_dir, tmp_path):
    code, out = run(capsys, "platform", "--config-dir", config_dir, "--playbooks-dir", str(tmp_path / "none"),
                    "--at", "2026-12-25T02:00:00+01:00", "--severity", "sev2", "--json")
    assert code == 0
    data = json.loads(out.out)
    assert data["rota"] == "platform" and data["at"] == "2026-12-25T01:00:00Z" and data["on_call"] == ["anna"]
    anna = next(s for s in data["skipped"] if s["person"] == "anna")
    assert anna["reason_code"] == "holiday_work" and anna["until"] == "2026-12-26T23:00:00Z"
    # bruno's leave runs to 27 Dec inclusive: back at 28 Dec 00:00 Lisbon (WET = UTC in winter).
    bruno = next(s for s in data["skipped"] if s["person"] == "bruno")
    assert bruno["reason_code"] == "leave" and bruno["until"] == "2026-12-28T00:00:00Z"
    # Every deputy is skipped too (Munich: holiday; Lisbon: rest contact ban), so the fallback is paged, loudly.
    assert data["plan"][0]["person"] == "katrin" and data["plan"][0]["slack_user"] == "U0KATRIN1"
    assert any(w.startswith("NOBODY ELIGIBLE") for w in data["warnings"])


def test_text_all_rotas_and_exception_flags(capsys, config_dir, tmp_path):
    pb = str(tmp_path / "none")
    code, out = run(capsys, "--config-dir", config_dir, "--playbooks-dir", pb, "--at", "2026-12-25T02:00:00+01:00")
    assert code == 0 and "platform at" in out.out and "payments at" in out.out and "skipped:" in out.out
    code, out = run(capsys, "platform", "--config-dir", config_dir, "--playbooks-dir", pb, "--severity", "sev1",
                    "--at", "2026-12-25T02:00:00+01:00", "--exception", "notfall")
    assert code == 2 and "--justification" in out.err
    code, out = run(capsys, "platform", "--config-dir", config_dir, "--playbooks-dir", pb, "--severity", "sev1",
                    "--at", "2026-12-25T02:00:00+01:00", "--exception", "notfall",
                    "--justification", "checkout down for every customer", "--declared-by", "katrin")
    assert code == 0 and "exception notfall (ArbZG §14(1), (3)) for anna: checkout down for every customer" in out.out


def test_unknown_rota_and_naive_time(capsys, config_dir, tmp_path):
    pb = str(tmp_path / "none")
    code, out = run(capsys, "nope", "--config-dir", config_dir, "--playbooks-dir", pb)
    assert code == 2 and 'unknown rota "nope"' in out.err
    with pytest.raises(SystemExit):
        main(["oncall", "platform", "--config-dir", config_dir, "--at", "2026-12-25T02:00"])
    assert "no UTC offset" in capsys.readouterr().err


def test_help_explains_the_command(capsys):
    with pytest.raises(SystemExit):
        main(["oncall", "--help"])
    text = capsys.readouterr().out
    assert "--severity" in text and "--json" in text and "docs/oncall.md" in text


def test_history_from_the_database(capsys, config_dir, tmp_path, store, database_url, monkeypatch):
    from datetime import datetime

    from bot.oncall.tables import Engagement

    with store.session() as s:
        happens_at(s, datetime.fromisoformat("2026-12-30T00:00:00+00:00"))
        # bruno holds the platform week from MO 28 Dec 09:00 Berlin. He worked a call-out until 23:30 Lisbon
        # on 29 Dec; the EU baseline (via pt-ct) compensates rather than blocks: he is still paged at
        # 02:00 Berlin (01:00 Lisbon) on 30 Dec, with a note that compensatory rest is owed.
        s.add(Engagement(person_id="bruno", start=datetime.fromisoformat("2026-12-29T22:00:00+00:00"),
                         end=datetime.fromisoformat("2026-12-29T23:30:00+00:00")))
    monkeypatch.setenv("DATABASE_URL", database_url)
    code, out = run(capsys, "platform", "--config-dir", config_dir, "--playbooks-dir", str(tmp_path / "none"),
                    "--at", "2026-12-30T02:00:00+01:00", "--history", "--json")
    step = json.loads(out.out)["plan"][0]
    assert code == 0 and step["person"] == "bruno"
    assert any("compensatory rest is owed" in n for n in step["notes"])
