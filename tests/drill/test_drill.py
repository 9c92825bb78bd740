"""The drill end to end: the README's first command, on the shipped configuration.

The default drill declares a security/privacy breach on Christmas night
(2026-12-25 02:00 Europe/Berlin) from the shipped config and playbooks.
Expectations below are derived from the shipped data, not from the drill's
own output:

* Paging: anna (Munich) holds the ``platform`` rotation that week; 25 Dec is a
  Bavarian public holiday and the Munich works agreement forbids holiday
  call-outs except ArbZG §14 emergencies.  The security playbook declares that
  exception, so anna is paged at level 1 under it.  She does not answer (the
  drill's default), so after the 5-minute ack timeout of
  ``platform-escalation`` level 1 the deputy level is paged at 02:05.
* People in Lisbon who are not rostered may not be contacted during their rest
  (Portugal, CT art. 199.º-A): they are skipped, naming that article.
* Legal: the reporter gives only the organisation's standing answers; at 02:03 the commander names
  ``backup-store`` (config/catalog.yaml) and facts are derived from it; at 02:10 legal records what the logs
  show and confirms the derived facts that hold (bot/drill/legal_story.py). The real duties are worked out by
  hand in the test below.
* GDPR Art. 33: the drill records awareness at the declaration, 02:00 CET on
  25 Dec; 72 elapsed hours later is 02:00 CET on Mon 28 Dec (no DST change in
  between), 01:00 UTC.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time

import pytest

from bot.config.loader import ConfigPaths, load_config
from bot.drill.runner import DrillOptions, run_drill
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def shipped():
    return load_config(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks"))


@pytest.fixture
def drill(shipped, database_url, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the evidence pack is written under ./var/drill
    out = io.StringIO()
    outcome = run_drill(shipped, DrillOptions(database_url=database_url), out)
    return outcome, out.getvalue()


def test_the_drill_closes_the_incident_with_a_verified_audit_chain(drill):
    outcome, text = drill
    assert outcome.closed and outcome.chain_ok
    assert re.search(r"audit chain: \d+ events, head hash [0-9a-f]{64}, verified", text)
    assert "INC-1 closed" in text


def test_a_person_is_skipped_with_the_legal_reason(drill):
    _, text = drill
    assert re.search(r"skipped \w+: skipped: contact during rest forbidden until .* \(CT art\. 199\.º-A", text)


def test_the_first_page_goes_out_under_the_named_exception_and_the_deputy_after_the_timeout(drill):
    _, text = drill
    first = text.index("] DM to anna\n    Page: INC-1")
    assert "paged under exception notfall (ArbZG §14" in text[first:first + 600]
    # level 1 ack timeout is 5 minutes: the escalation and the deputy's page come at 02:05 CET.
    assert "[Fri 25 Dec 02:05 CET] #inc-1-sec\n    Escalating INC-1: page not acknowledged within 5m" in text
    deputy_page = re.search(r"\[Fri 25 Dec (\d\d:\d\d) (CET|WET)\] DM to (\w+)\n    Page: INC-1.*\n.*\n    Why you: deputy",
                            text)
    assert deputy_page, "no deputy was paged"
    assert deputy_page.group(3) != "anna"


def test_checklist_buttons_show_as_much_of_the_task_as_slack_allows_and_mark_the_cut(drill):
    """Slack refuses a button text over 75 characters; the label used to be the title cut at 60 with no mark
    ("... /incident]"), now the renderer cuts it at 75 with an ellipsis."""
    _, text = drill
    labels = [label for line in text.splitlines() if line.strip().startswith("[Done: ")
              for label in re.findall(r"\[(Done: [^\]]*)\]", line)]
    assert labels and all(len(label) <= 75 for label in labels)
    # "Done: " + the task's 81-character title is over 75: cut, and the cut is marked
    aware = next(label for label in labels if label.startswith("Done: Record when we became aware"))
    assert aware.startswith("Done: Record when we became aware (starts legal clocks): /incident trigger")
    assert aware.endswith("…")


def test_the_gdpr_obligation_is_due_72_hours_after_awareness(drill):
    _, text = drill
    # aware Fri 25 Dec 02:00 CET (01:00 UTC) + 72 h = Mon 28 Dec 02:00 CET, shown with its UTC instant
    assert re.search(r"gdpr\.authority -> .*: due Mon 28 Dec 02:00 CET \(Mon 28 Dec 2026 01:00 UTC\)", text)


def test_the_security_story_names_the_system_and_the_duty_list_shrinks_to_the_real_duties(drill):
    _, text = drill
    tallies = re.findall(r"Legal duties now: (\d+) dut(?:y applies|ies apply)(?: \((\d+) on derived facts, to be "
                         r"confirmed\))?, (\d+) assumed until facts are known, (\d+) do not apply", text)
    assert len(tallies) == 3, tallies  # declared, systems named, facts confirmed
    (applies0, _, assumed0, _), (applies1, derived1, assumed1, _), (applies2, derived2, assumed2, off2) = tallies
    # Declared with the organisation's standing answers only: no duty is known to apply, every one whose facts
    # are unknown is assumed.
    assert int(applies0) == 0 and int(assumed0) > 0
    # 02:03 the commander names backup-store (config/catalog.yaml: personal data of AT/DE/FR/PT and 420 US-CA
    # people, payment-card data with VISA 17000 / MASTERCARD 11000 accounts). Derived facts switch on, never off:
    # us_state_ca.residents (personal information of 420 > 0 Californians), card_visa's three duties
    # (VISA 17000 > 0, card data compromise likely) and card_mastercard.adc_report (its forensic duty needs a
    # confirmed compromise, unknown) = 5, all on derived facts; Amex (no AMEX accounts derived: a derived 0 cannot
    # fail a condition) and California's AG notice (420 is not > 500, derived) stay assumed.
    assert "[Fri 25 Dec 02:03 CET] #inc-1-sec\n    INC-1: affected systems backup-store" in text
    assert "gdpr_in_scope = true: because backup-store holds personal and payment-card data of EU/EEA data " \
           "subjects (AT, DE, FR, PT)" in text
    assert (int(applies1), int(derived1)) == (5, 5) and int(assumed1) == int(assumed0) - 5
    # 02:10 legal records what the logs show (controller, risk not high, 1800 people, card dumps not read, no UK
    # data subjects, no NIS2 significance, no ransom) and confirms the derived facts that hold. The real duties:
    # GDPR Art. 33(1) authority, 33(4) information in phases, 33(5) breach register (Art. 34 only for high
    # risk) and California's consumer notice (1798.82(a); the AG sample copy only for more than 500 residents):
    # 4, none assumed, none on derived facts; the card brands' duties no longer apply (a person said "no").
    assert (int(applies2), derived2, int(assumed2)) == (4, "", 0) and int(off2) > 0
    confirmed = text.index("INC-1: derived facts confirmed")
    assert "residents = {CA: 420}: because backup-store" in text[confirmed:confirmed + 1200]
    assert "Still derived, not confirmed: card_accounts" in text[confirmed:confirmed + 1200]
    duties = re.findall(r"^  (\S+) -> ", text[text.index("Legal notification deadlines"):], re.M)
    assert duties == ["gdpr.authority", "gdpr.authority_phases", "gdpr.breach_record", "us_state_ca.residents"]


def test_the_comms_lead_drafts_a_statement_and_legal_signs_it_off_before_it_is_published(drill):
    """The security playbook: the comms lead owns external communication, legal (listed first) or the commander signs
    off. 20 minutes after the declaration (02:20 CET) the statement is asked for, then published with legal's
    sign-off; the summary says so."""
    _, text = drill
    asked = text.index("[Fri 25 Dec 02:20 CET] #inc-1-sec\n    Approval needed: publish the investigating statement")
    published = text.index("[Fri 25 Dec 02:20 CET] #inc-1-sec\n    INC-1 public statement published (investigating)")
    assert asked < published
    summary = re.search(r"investigating, published Fri 25 Dec 02:20 CET, drafted by (\w+), signed off by (\w+) "
                        r"\(legal\); event hash [0-9a-f]{12}", text)
    assert summary and summary.group(1) != summary.group(2)
    assert f"Drafted by @{summary.group(1)}, signed off by @{summary.group(2)}." in text[published:published + 600]


def test_a_customer_subscribed_to_the_status_page_is_mailed_the_published_statement(drill):
    """Before the draft a customer (it-desk@customer.example) subscribes by email and confirms; the published
    statement goes to them by the scheduler's sweep, the channel is told how many went, and the address is masked
    wherever the drill shows it."""
    _, text = drill
    confirm = text.index("email to a status page subscriber (i***@customer.example)\n    Confirm your subscription")
    mailed = text.index("email to a status page subscriber (i***@customer.example)\n    [Example Org status] "
                        "Investigating: incident ")
    published = text.index("INC-1 public statement published (investigating)")
    assert confirm < mailed
    assert "Being emailed to 1 confirmed subscriber of the status page" in text[published:published + 800]
    report = text.index("Email to the status page's subscribers: the investigating statement\n    1 sent.")
    assert report > published
    assert "emailed to the status page's confirmed subscribers: 1 sent" in text
    assert "it-desk@customer.example" not in text


def test_the_notification_owner_is_reminded_until_it_is_recorded(drill):
    _, text = drill
    nudges = re.findall(r"Legal deadline due in .*: Notify the lead / competent supervisory authority", text)
    # The reminder plan's "half the window" (36 h after awareness) and "24 h before" nudges come before the
    # drill's legal counsel records the notification on the second one.
    assert len(nudges) >= 2
    notified = text.index("gdpr.authority: Lead or competent supervisory authority (Art. 55, 56) notified")
    assert all(text.index(n) < notified for n in nudges)
    after = text[notified:]
    assert "Notify the lead / competent supervisory authority" not in after  # no nudges once recorded


def test_the_summary_lists_the_evidence_pack(drill, tmp_path):
    outcome, text = drill
    assert "evidence pack (timeline, roles, pages, exceptions, obligations met or missed): var/drill/INC-1-evidence.md" in text
    written = (tmp_path / "var" / "drill" / "INC-1-evidence.md").read_text()
    assert written == outcome.export_markdown
    assert "| gdpr.authority |" in written and "met" in written


def test_everyone_acknowledging_means_no_escalation(shipped, database_url, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    run_drill(shipped, DrillOptions(database_url=database_url, no_ack=[]), out)
    assert "Escalating INC-1" not in out.getvalue()
    assert "Anna Berger acknowledged the page for INC-1" in out.getvalue()  # display name from people.yaml


def test_the_readme_command_runs_in_a_fresh_process_in_under_a_minute(tmp_path):
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "bot", "drill", "--config-dir", str(REPO_ROOT / "config")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "SUMMARY of INC-1 (closed)" in proc.stdout
    assert elapsed < 60, f"the drill took {elapsed:.1f} s"
    # the drill's month (declared 2026-12-25) as a rota calendar, with its path printed
    page = tmp_path / "var" / "drill" / "rota-calendar-2026-12.html"
    assert f"Rota calendar of December 2026 (open it in a browser): {page.resolve()}" in proc.stdout
    html = page.read_text(encoding="utf-8")
    assert 'id="rota-platform"' in html and 'data-date="2026-12-25"' in html and "Holiday for anna: Christmas Day" in html


def test_unknown_playbook_is_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "bot", "drill", "sev9", "--config-dir", str(REPO_ROOT / "config")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert 'unknown playbook "sev9"; choose one of: security, sev1, sev2, sev3, sev4' in proc.stderr


def test_the_drill_ends_with_a_review_draft_two_follow_ups_one_deferred_and_a_metrics_line(drill, tmp_path):
    _, text = drill
    after = text[text.index("After the incident\n"):]
    # The commander (katrin) proposes both; the only product owner of config/permissions.yaml (olivia, allowed
    # risk_owner) defers the costly one: a different person than the proposer.
    assert re.search(r"F-1 \[open\] .* proposed by katrin", after)
    assert re.search(r"F-2 \[deferred\] .* proposed by katrin: .*; deferred until \S+ by olivia: .+", after)
    # Resolved Fri 25 Dec 08:00 CET (6 h after the declaration). Five business days on the Munich calendar:
    # 26 Dec (St Stephen's Day) and 27 Dec (Sunday) do not count; 28, 29, 30 Dec count; 31 Dec is a company
    # closure and 1 Jan a holiday; 2-3 Jan are a weekend; 4 and 5 Jan count: due Tuesday 5 January 2027.
    assert "review draft 1 (due 2027-01-05, owner katrin), posted to the channel: var/drill/INC-1-review.md" in after
    review = (tmp_path / "var" / "drill" / "INC-1-review.md").read_text()
    assert "## Contributing factors" in review and "Rebuild the affected service in a second region" in review
    # Detected 02:00, acknowledged by the deputy at 02:08 (paged at 02:05, answering 3 minutes later): MTTA 8m;
    # resolved 08:00: MTTR 6h. Both pages went out on Christmas night, outside anyone's working hours.
    assert re.search(r"metrics: security: 1 incident\(s\), MTTA 8m, MTTR 6h 00m; pages 2 \(2 out of hours\)", after)
    assert "INC-1 mitigated" in text  # marked halfway to the resolution, in the channel


def test_the_drill_is_recorded_as_an_exercise_the_period_report_lists(drill, store):
    from datetime import datetime, timezone

    from bot.audit.trail import verify_chain
    from bot.learning.period_report import build

    _, text = drill
    assert re.search(r"tabletop-exercise record: EX-\d+ of 2026-12-25 on the global chain", text)
    # December 2026 in Berlin: the drill declared at 02:00 CET on 25 December, so its day is in the period.
    with store.session() as s:
        report = build(s, datetime(2026, 11, 30, 23, tzinfo=timezone.utc), datetime(2026, 12, 31, 23, tzinfo=timezone.utc),
                       datetime(2027, 1, 10, tzinfo=timezone.utc))
        assert verify_chain(s, None).ok
    [exercise] = report["drills"]["recorded"]
    assert exercise["date"] == "2026-12-25" and exercise["drill"]["playbook"] == "security"
    assert 'story "personal-data breach"' in exercise["scenario"]
    assert exercise["drill"]["outcome"]["incident"] == "INC-1 closed" and exercise["drill"]["outcome"]["chain"] == "verified"
    assert exercise["recorded_by"] == "drill"
    assert report["drills"]["twelve_months"]["finding"] is None
