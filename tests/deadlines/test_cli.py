"""`incident-bot deadlines`: text and JSON output, input errors."""

from __future__ import annotations

import json
import shutil

import pytest

from bot.cli import main
from tests.deadlines.conftest import REPO_ROOT


@pytest.fixture
def config_dir(tmp_path):
    shutil.copytree(REPO_ROOT / "config" / "regulations", tmp_path / "regulations")
    return tmp_path


def _run(capsys, config_dir, *argv):
    code = main(["deadlines", "--config-dir", str(config_dir), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_lists_every_obligation_with_offset_and_utc(capsys, config_dir):
    code, out, _ = _run(capsys, config_dir, "--regime", "nis2", "--trigger", "aware=2026-03-27T10:00:00+01:00",
                        "--fact", "nis2_entity=true", "--fact", "significant_incident=true",
                        "--fact", "nis2_trust_service_provider=false", "--json")
    assert code == 0
    rows = {r["obligation"]: r for r in json.loads(out)}
    early = rows["nis2.early_warning"]
    # aware 2026-03-27 09:00 UTC + 24 h = 2026-03-28 09:00 UTC = 10:00 CET (summer time starts the 29th)
    assert (early["due_at"], early["due_at_utc"]) == ("2026-03-28T10:00:00+01:00", "2026-03-28T09:00:00Z")
    notification = rows["nis2.notification"]
    # + 72 h = 2026-03-30 09:00 UTC = 11:00 CEST
    assert notification["due_at"] == "2026-03-30T11:00:00+02:00"
    assert rows["nis2.intermediate"]["status"] == "qualitative" and rows["nis2.intermediate"]["due_at"] is None
    assert rows["nis2.notification_trust_service"]["status"] == "not_applicable"
    for row in rows.values():
        assert {"obligation", "regime", "recipient", "stage", "status", "due_at", "due_at_utc", "estimated", "reason",
                "citation"} <= set(row)


def test_submitted_stage_anchors_the_next_one(capsys, config_dir):
    code, out, _ = _run(capsys, config_dir, "--regime", "dora", "--trigger", "aware=2026-03-02T09:00:00+01:00",
                        "--trigger", "classified_major=2026-03-02T10:00:00+01:00", "--fact", "dora_financial_entity=true",
                        "--fact", "major_ict_incident=true", "--fact", "dora_entity_type=credit_institution",
                        "--fact", "member_state=DE", "--submitted", "dora.initial=2026-03-02T13:00:00+01:00", "--json")
    assert code == 0
    rows = {r["obligation"]: r for r in json.loads(out)}
    # intermediate: 72 h after the actual submission Mon 13:00 CET -> Thu 2026-03-05 13:00 CET, not estimated
    assert (rows["dora.intermediate"]["due_at"], rows["dora.intermediate"]["estimated"]) == ("2026-03-05T13:00:00+01:00", False)


def test_text_output_says_it_is_not_legal_advice(capsys, config_dir):
    code, out, _ = _run(capsys, config_dir, "--regime", "cert_in", "--trigger", "aware=2026-05-01T22:00:00+05:30",
                        "--fact", "cert_in_reportable_incident=true")
    assert code == 0
    assert out.startswith("Not legal advice") and "reviewable data" in out
    # 22:00 IST + 6 h = Sat 2026-05-02 04:00 IST = Fri 22:30 UTC
    assert "Sat 2026-05-02 04:00 IST (Asia/Kolkata) = 2026-05-01 22:30 UTC" in out


def test_per_state_resident_counts(capsys, config_dir):
    code, out, _ = _run(capsys, config_dir, "--regime", "us_state_tx,us_state_ca", "--trigger",
                        "determined=2026-01-15T10:00:00-06:00", "--trigger", "discovered=2026-01-15T10:00:00-06:00",
                        "--fact", "personal_information_breach=true", "--fact", "residents.TX=250", "--json")
    rows = {r["obligation"]: r for r in json.loads(out)}
    assert rows["us_state_tx.attorney_general"]["status"] == "deadline"  # at least 250
    assert rows["us_state_ca.residents"]["status"] == "not_applicable"  # no California residents listed


@pytest.mark.parametrize("argv, message", [
    (["--regime", "gdpr,nope"], 'unknown regime "nope"'),
    (["--regime", "gdpr", "--trigger", "noticed=2026-03-02T10:00:00Z"], 'unknown trigger "noticed"'),
    (["--regime", "gdpr", "--trigger", "aware=2026-03-02T10:00"], "has no UTC offset"),
    (["--regime", "gdpr", "--trigger", "aware=2026-03-29T02:30", "--zone", "Europe/Berlin"], "does not exist"),
    (["--regime", "gdpr", "--trigger", "aware=2026-10-25T02:30[Europe/Berlin]"], "is ambiguous"),
    (["--regime", "gdpr", "--submitted", "gdpr.nothing=2026-03-02T10:00:00Z"], 'unknown obligation "gdpr.nothing"'),
    (["--regime", "gdpr", "--fact", "risk_level"], "--fact expects NAME=VALUE"),
])
def test_input_errors_exit_2_with_a_clear_message(capsys, config_dir, argv, message):
    code, out, err = _run(capsys, config_dir, *argv)
    assert code == 2 and out == ""
    assert message in err


def test_recorded_delay_notice_moves_the_8k(capsys, config_dir):
    # Determined Wed 2026-07-01: due Wed 07-08 17:30 EDT; the Attorney General's notice (Item 1.05(c)) specifies
    # Fri 2026-08-07 17:30 EDT, within 30 days of 07-08.
    code, out, _ = _run(capsys, config_dir, "--regime", "sec_8k", "--fact", "sec_registrant=true",
                        "--trigger", "materiality_determined=2026-07-01T10:00:00-04:00",
                        "--delay", "sec_8k.item_1_05=attorney_general,2026-08-07T17:30:00-04:00,DOJ-1", "--json")
    assert code == 0
    row = {r["obligation"]: r for r in json.loads(out)}["sec_8k.item_1_05"]
    assert row["due_at"] == "2026-08-07T17:30:00-04:00" and "Item 1.05(c)" in row["reason"]
    code, _, err = _run(capsys, config_dir, "--regime", "sec_8k", "--delay", "sec_8k.item_1_05=attorney_general")
    assert code == 2 and "OBLIGATION=DELAY,ISO8601" in err
