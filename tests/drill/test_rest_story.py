"""The drill's rest story: a call-out recorded after the fact shortens availability; the rest ledger in the summary.

Expectations derived by hand from the shipped configuration and the statutes it cites:

* carla (Munich, de-arbzg) answers the level-2 page of ``platform-escalation`` at 02:08 CET on 25 Dec under the
  ArbZG §14 ``notfall`` exception; the incident is resolved at 08:00, which ends her call-out.
* At 18:00 she records with ``/oncall worked`` a call-out taken by phone from 13:00 to 17:30. It started 5 h after
  her last work (< 11 h) outside working hours: an incomplete rest, which ArbZG §5(1) restarts in full, so 11 h run
  until 04:30 on 26 Dec. Her work in the last 24 h is now 02:08-08:00 (5 h 52 min) + 4 h 30 min = 10 h 22 min,
  which reaches the ArbZG §3 daily maximum of 10 h incl. call-outs; it falls below 10 h once 22 min of the
  02:08 call-out leave the 24 h window: 02:30 on 26 Dec. The notfall exception waives the daily rest and the
  holiday ban, but not §3, so the level that reached her at 18:00 before the record now skips her and pages the
  next Munich deputy, felix (bruno is on leave; diogo is in Lisbon, where contact during rest is forbidden).
* Paging her under notfall owes compensatory rest equal to her 11 h daily rest from the call-out's end (08:00).
  The EU profile's compensatory_rest says 0 h to schedule it (Directive art. 17(2), Jaeger), so her manager katrin
  is nudged at 08:00; at 18:00 she schedules it from then to 05:00. By the close (28 Dec) it has passed with no work
  inside: taken.
"""

from __future__ import annotations

import io

from bot.config.loader import ConfigPaths, load_config
from bot.drill.runner import DrillOptions, run_drill
from tests.conftest import REPO_ROOT


def test_a_recorded_call_out_shortens_availability_and_the_summary_shows_the_rest_ledger(database_url, monkeypatch,
                                                                                         tmp_path):
    monkeypatch.chdir(tmp_path)
    shipped = load_config(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks"))
    out = io.StringIO()
    outcome = run_drill(shipped, DrillOptions(database_url=database_url), out)
    text = out.getvalue()
    assert outcome.closed and outcome.chain_ok
    summary = text[text.index("Rest after call-outs (work records and the rest ledger)"):text.index("Evidence for auditors")]
    assert ("/oncall worked by carla: call-out of carla recorded: 2026-12-25 13:00 Europe/Berlin to 2026-12-25 17:30 "
            "(4.5 h)") in summary
    assert ("carla answered the level-2 page of platform-escalation; that level planned again at Fri 25 Dec 18:00: "
            "before the record it reaches carla (under exception notfall); after it carla is skipped: ") in summary
    assert "11 h daily rest running until 2026-12-26 04:30 Europe/Berlin (ArbZG §5(1))" in summary
    assert "limit 10 h; free again 2026-12-26 02:30 Europe/Berlin (ArbZG §3)" in summary
    assert "felix would be paged instead" in summary
    assert ("TAKEN       #1 carla: 11 h compensatory rest owed since 2026-12-25 08:00 Europe/Berlin, scheduled "
            "2026-12-25 18:00 Europe/Berlin to 2026-12-26 05:00 Europe/Berlin by katrin: paged under exception notfall "
            "(ArbZG §14(1), (3))") in summary
    # what carla's manager and carla read in Slack
    assert ("[Fri 25 Dec 08:00 CET] DM to katrin\n    Compensatory rest to schedule for Carla Huber\n"
            "    Carla Huber is owed 11 h of compensatory rest since 2026-12-25 08:00 Europe/Berlin") in text
    assert "[Fri 25 Dec 18:00 CET] DM to katrin\n    Carla Huber recorded work" in text
    assert "[Fri 25 Dec 18:00 CET] DM to carla\n    Your compensatory rest is scheduled" in text
