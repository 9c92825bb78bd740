"""Keeping up with the law: `deadlines catalog` and the `check` warnings for stale or outdated regimes."""

from __future__ import annotations

import json
import shutil
from datetime import date

from bot.cli import main
from bot.deadlines.review import catalog_listing, review_issues
from tests.deadlines.conftest import REPO_ROOT, load_dir, write_regime

REGIME = """id: {id}
name: "Test regime {id}"
jurisdiction: EU
status: {status}
{dates}zone: Europe/Berlin
verification: {{last_checked: "{checked}"}}
obligations:
  - id: {id}.authority
    title: "Notify"
    stage: notification
    recipient: "Authority"
    deadline: {{kind: hours, amount: 72, from: aware}}
    citations: [{{text: "Art. 1"}}]
    confidence: {confidence}
"""
PLAYBOOK = """id: security
name: "Security"
rank: 1
criteria: ["breach"]
roles: [{id: commander, title: Commander}]
communications: {external_owner: commander}
status_updates: {cadence: 1h}
regulations: {consider: [old, fresh]}
"""


def _write(tmp_path, rid, *, status="in_force", dates="", checked="2026-11-22", confidence="secondary"):
    write_regime(tmp_path, rid, REGIME.format(id=rid, status=status, dates=dates, checked=checked,
                                              confidence=confidence))


def _config(tmp_path, organisation: str | None = None):
    (tmp_path / "no-playbooks").mkdir(exist_ok=True)
    (tmp_path / "no-playbooks" / "security.yaml").write_text(PLAYBOOK)
    if organisation is not None:
        (tmp_path / "organisation.yaml").write_text(organisation)
    config, issues = load_dir(tmp_path)
    assert config is not None, [str(i) for i in issues if i.severity == "error"]
    return config


def test_stale_regime_in_use_is_warned_at_its_last_checked_line(tmp_path):
    _write(tmp_path, "old", checked="2026-01-10")
    _write(tmp_path, "fresh", checked="2026-11-22")
    _write(tmp_path, "unused", checked="2020-01-01")  # not considered by any playbook: no warning
    config = _config(tmp_path)
    # Default review period 180 days: 2026-01-10 -> 2026-12-01 is 325 days; 2026-11-22 is 9 days.
    [warning] = review_issues(config, date(2026, 12, 1))
    assert warning.severity == "warning" and warning.file.endswith("regulations/old.yaml")
    assert warning.line == 6  # verification: {last_checked: ...}
    assert "325 days ago" in warning.message and "used by security" in warning.message


def test_review_period_is_configurable(tmp_path):
    _write(tmp_path, "old", checked="2026-01-10")
    _write(tmp_path, "fresh", checked="2026-11-22")
    config = _config(tmp_path, "law_review: {max_age: 400d}\n")
    assert review_issues(config, date(2026, 12, 1)) == []
    # ... and tighter: 7 days makes the 9-day-old check stale too
    config = _config(tmp_path, "law_review: {max_age: 7d}\n")
    assert len(review_issues(config, date(2026, 12, 1))) == 2


def test_passed_effective_dates_are_warned(tmp_path):
    _write(tmp_path, "old", status="not_yet_effective", dates='effective_from: "2026-09-11"\n')
    _write(tmp_path, "fresh", status="proposed", dates='effective_from: "2026-12-01"\n')
    _write(tmp_path, "gone", dates='effective_until: "2026-06-30"\n')
    config = _config(tmp_path)
    messages = {i.file.rsplit("/", 1)[-1]: i.message for i in review_issues(config, date(2026, 12, 1))}
    assert "applies since 2026-09-11" in messages["old.yaml"] and "set status: in_force" in messages["old.yaml"]
    assert "expected date 2026-12-01 that has passed" in messages["fresh.yaml"]
    assert "ceased to apply after 2026-06-30" in messages["gone.yaml"]
    # the day before each date, nothing to say
    assert review_issues(config, date(2026, 6, 30)) == []


def test_listing_status_today_and_weakest_confidence(tmp_path):
    _write(tmp_path, "old", status="not_yet_effective", dates='effective_from: "2027-05-13"\n', confidence="verified")
    _write(tmp_path, "fresh", confidence="unverified")
    config = _config(tmp_path)
    rows = {r.regime: r for r in catalog_listing(config, date(2026, 12, 1))}
    assert rows["old"].status_today == "not_yet_effective" and rows["old"].confidence == "verified"
    assert rows["fresh"].confidence == "unverified" and rows["fresh"].used_by == ("security",)
    later = {r.regime: r for r in catalog_listing(config, date(2027, 5, 13))}
    assert later["old"].status_today == "in_force"


def test_catalog_command_lists_every_shipped_regime(tmp_path, capsys):
    shutil.copytree(REPO_ROOT / "config" / "regulations", tmp_path / "regulations")
    files = sorted(p.stem for p in (tmp_path / "regulations").glob("*.yaml"))
    code = main(["deadlines", "catalog", "--config-dir", str(tmp_path), "--at", "2026-12-01T12:00:00Z", "--json"])
    rows = {r["regime"]: r for r in json.loads(capsys.readouterr().out)}
    assert code == 0 and sorted(rows) == files
    cra, dpdp, circia = rows["eu_cra"], rows["in_dpdp"], rows["circia"]
    assert (cra["status_today"], cra["effective_from"]) == ("in_force", "2026-09-11")
    assert (dpdp["status_today"], dpdp["effective_from"]) == ("not_yet_effective", "2027-05-13")
    assert circia["status_today"] == "proposed"
    for row in rows.values():
        assert row["confidence"] in ("verified", "secondary", "unverified") and row["last_checked"]
        assert row["verification"] in ("needs_counsel_review", "reviewed")
    code = main(["deadlines", "catalog", "--config-dir", str(tmp_path), "--at", "2026-12-01T12:00:00Z"])
    text = capsys.readouterr().out
    assert code == 0 and "Not legal advice" in text and "in_dpdp" in text and "not_yet_effective" in text


def test_deadlines_without_regime_or_catalog_is_a_usage_error(tmp_path, capsys):
    shutil.copytree(REPO_ROOT / "config" / "regulations", tmp_path / "regulations")
    code = main(["deadlines", "--config-dir", str(tmp_path)])
    assert code == 2 and "--regime is required" in capsys.readouterr().err
