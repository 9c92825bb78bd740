"""Rest by statute: replacement rest days, advance notice of standby schedules, standby-free blocks and night buffers,
the week's only rest at page time, and Portuguese deputies on standby.

Every expected value is worked out by hand in the comment above it, from the statute cited.
"""

from __future__ import annotations

from datetime import date

from bot.oncall.planner import plan_pages
from tests.oncall.helpers import local
from tests.oncall.statute_helpers import findings, review, site_config

IT = {"activity": "it_systems_continuity"}  # ArbZG §10(1) Nr. 14, so that Sunday standby itself is allowed


def test_german_replacement_rest_day_missing_after_an_edit(tmp_path):
    # ArbZG §11(3): who works on a Sunday needs a replacement rest day within a two-week period that includes that
    # Sunday: a free working day (Monday-Saturday, no public holiday) at most 13 days before or after it, with no work
    # and (as shipped) no standby. anna works MO-FR 09:00-17:00 and alternates weekly with bea from MO 2 March 09:00.
    # Checked window: MO 16 Feb .. SU 12 April. anna's free days are the Saturdays of bea's weeks: 28 Feb, 28 Mar,
    # 11 Apr (and 14 Mar before the edit).
    before = site_config(tmp_path / "before", "de-arbzg", "Europe/Berlin", rotation=IT)
    # Before: her Sundays inside the window with their whole period in it are 8 and 22 March: 8 Mar -> 28 Feb,
    # 22 Mar -> 14 Mar. Fine.
    assert findings(before, "2026-02-16", "2026-04-12", "replacement_rest_day")[0] == []
    # The edit has anna cover bea's week 9-16 March too: on standby 2-23 March. Her Sundays 8, 15 and 22 March need
    # three free days; within reach are 28 Feb (for 8 Mar) and 28 Mar (for 15 Mar), nothing for 22 Mar
    # (9 Mar .. 4 Apr holds no other free day).
    edit = [{"rotation": "ops", "person": "anna", "replaces": "bea", "from": "2026-03-09 09:00", "to": "2026-03-16 09:00"}]
    after = site_config(tmp_path / "after", "de-arbzg", "Europe/Berlin", rotation=IT, overrides=edit)
    result = review(before, after, "2026-02-16", "2026-04-12")
    [new] = [v for v in result.new_violations if v.rule == "replacement_rest_day"]
    assert new.person == "anna" and new.severity == "block" and new.citation.startswith("ArbZG §11(3)")
    assert "worked on a Sunday (2026-03-22) and no replacement rest day (a free working day, no work or standby) " \
           "within a 14-day period that includes it" in new.message
    assert new in result.new_blocking
    # Sunday 22 Feb's period reaches back before the window; before the edit the free days inside went to 8 and
    # 22 March (and 28 Mar to 5 April, whose period reaches past it), so 22 Feb has none inside: not judged.
    _, notes = findings(before, "2026-02-16", "2026-04-12", "replacement_rest_day")
    assert len(notes) == 1 and "not judged: worked on a Sunday (2026-02-22)" in notes[0]


def test_french_advance_notice_of_standby_schedules(tmp_path):
    # C. trav. L3121-12 2° (no agreement): the individual astreinte schedule is notified 15 days ahead, except in
    # exceptional circumstances and with at least one clear day's notice. Notified on MO 2 March: shifts from
    # TU 17 March 00:00 are fine; before that only exceptionally; before WE 4 March 00:00 (3 March being the one
    # clear day) never.
    before = site_config(tmp_path / "before", "fr-ct", "Europe/Paris")

    def edit(name, start, end):
        return site_config(tmp_path / name, "fr-ct", "Europe/Paris", overrides=[
            {"rotation": "ops", "person": "bea", "replaces": "anna", "from": start, "to": end}])

    # TU 3 March 18:00: no clear day -> blocking, for both bea (gains) and anna (loses)
    result = review(before, edit("tomorrow", "2026-03-03 18:00", "2026-03-04 09:00"), "2026-03-02", "2026-03-29",
                    notified_on=date(2026, 3, 2))
    notice = [v for v in result.new_violations if v.rule == "advance_notice"]
    assert sorted((v.person, v.severity) for v in notice) == [("anna", "block"), ("bea", "block")]
    assert ("less than 1 clear day(s) after it was notified on 2026-03-02, not allowed even in exceptional "
            "circumstances") in notice[0].message and "L3121-12" in notice[0].citation
    # TH 5 March 18:00: inside the 15 days, after the clear day -> warning (exceptional circumstances only)
    result = review(before, edit("thursday", "2026-03-05 18:00", "2026-03-06 09:00"), "2026-03-02", "2026-03-29",
                    notified_on=date(2026, 3, 2))
    notice = [v for v in result.new_violations if v.rule == "advance_notice"]
    assert {v.severity for v in notice} == {"warn"} and len(notice) == 2
    assert "less than 15 days after it was notified on 2026-03-02; only in exceptional circumstances" in notice[0].message
    # TU 17 March 18:00: 15 days ahead -> no finding
    result = review(before, edit("later", "2026-03-17 18:00", "2026-03-18 09:00"), "2026-03-02", "2026-03-29",
                    notified_on=date(2026, 3, 2))
    assert [v for v in result.new_violations if v.rule == "advance_notice"] == []


def test_dutch_consignatie_free_blocks_and_night_shift_buffers(tmp_path):
    # Atb consignatie (nl-atw as shipped): in 28 days at least two blocks of 48 h free of standby (and work). anna is
    # on standby MO 2 - MO 9 and MO 16 - MO 23 March and works MO-FR 09:00-17:00: free FR 13 Mar 17:00 - MO 16 Mar
    # 09:00 (64 h) and FR 27 Mar 17:00 - the end of the 28 days, MO 30 Mar 00:00 (55 h of wall clock, 54 h because
    # the clocks go forward on 29 March): two blocks. Fine.
    ams = "Europe/Amsterdam"
    config = site_config(tmp_path / "a", "nl-atw", ams)
    assert findings(config, "2026-03-02", "2026-03-29", "min_standby_free_blocks") == ([], [])
    # Covering bea's weekend (SA 14 - MO 16 March) leaves one block: a violation, naming the longest (54 h).
    config = site_config(tmp_path / "b", "nl-atw", ams, overrides=[
        {"rotation": "ops", "person": "anna", "replaces": "bea", "from": "2026-03-14 00:00", "to": "2026-03-16 09:00"}])
    violations, _ = findings(config, "2026-03-02", "2026-03-29", "min_standby_free_blocks")
    assert violations and "1 block(s) of 48 h free of standby and work in the 28 days from here, needs 2 " \
                          "(longest: 54 h)" in violations[0]
    # No standby 11 h before or 14 h after a night shift (more than 1 h of work between 00:00 and 06:00). anna works
    # Sunday nights, 22:00 - MO 06:00; her standby weeks start MO 09:00, 3 h after the night of SU 1 March ends.
    config = site_config(tmp_path / "c", "nl-atw", ams, people={"anna": {"working_hours": {"SU": ["22:00-06:00"]}}})
    violations, _ = findings(config, "2026-03-02", "2026-03-29", "standby_night_buffer")
    assert violations == ["anna 2026-03-02 06:00 Europe/Amsterdam: on standby within 14 h after the night shift "
                          "2026-03-01 22:00 Europe/Amsterdam to 2026-03-02 06:00 Europe/Amsterdam (Atb consignatie "
                          "rules: no consignatie 11 h before / 14 h after a night shift (verify))"]
    # Her Monday-night shifts instead (MO 22:00 - TU 06:00) sit inside her standby week: standby within 11 h before.
    config = site_config(tmp_path / "d", "nl-atw", ams, people={"anna": {"working_hours": {"MO": ["22:00-06:00"]}}})
    violations, _ = findings(config, "2026-03-02", "2026-03-29", "standby_night_buffer")
    assert violations and "on standby within 11 h before the night shift 2026-03-02 22:00" in violations[0]
    # Wednesday nights in bea's weeks only are clear of anna's standby by more than 11 h / 14 h: the night of
    # WE 11 March 22:00 - TH 06:00 is fine; but the Wednesday nights of anna's own weeks are not, so give her the
    # nights only while bea is on call, with a rota of four weeks: she is on call 2-9 March only.
    config = site_config(tmp_path / "e", "nl-atw", ams, people={"anna": {"working_hours": {"WE": ["22:00-06:00"]}}},
                         rotation={"participants": ["anna", "bea", "boss"], "start": "2026-03-02"})
    violations, _ = findings(config, "2026-03-09", "2026-03-22", "standby_night_buffer")
    assert violations == []


def test_page_time_warning_when_a_call_out_breaks_the_only_weekly_rest(tmp_path):
    # Directive 2003/88/EC art. 5 with C-477/21 MÁV-START (pt-ct inherits eu-wtd): 24 h + the 11 h daily rest = 35 h
    # in each 7-day period. anna works MO-SA 09:00-17:00, so the week's only rest of 35 h is SA 7 March 17:00 -
    # MO 9 March 09:00 (40 h). A call-out at SU 04:00 leaves 11 h before and 29 h after: neither makes 35 h, so the
    # page says so (she is on call, so Portugal's contact ban does not hold her back).
    lisbon = "Europe/Lisbon"
    config = site_config(tmp_path / "pt", "pt-ct", lisbon, people={"anna": {"working_hours": {"MO-SA": ["09:00-17:00"]}}})
    step = plan_pages(config, "ops", local("2026-03-08 04:00", lisbon), "sev2").plan[0]
    assert step.person == "anna" and any(
        "a call-out now breaks the only 35 h weekly rest of this week (2026-03-07 17:00 Europe/Lisbon to "
        "2026-03-09 09:00 Europe/Lisbon)" in n and "C-477/21" in n for n in step.notes)
    # At SA 18:00, 39 h of it are still ahead: no warning.
    step = plan_pages(config, "ops", local("2026-03-07 18:00", lisbon), "sev2").plan[0]
    assert not any("weekly rest" in n for n in step.notes)
    # WTR 1998 reg 11: 24 h. MO-SA 08:00-20:00 leaves SA 20:00 - MO 08:00 (36 h). At SU 09:00: 13 h before, 23 h
    # after: warned. At SU 21:00 the 25 h before the page are a weekly rest already: not warned.
    london = "Europe/London"
    config = site_config(tmp_path / "uk", "uk-wtr", london, people={"anna": {"working_hours": {"MO-SA": ["08:00-20:00"]}}})
    step = plan_pages(config, "ops", local("2026-03-08 09:00", london), "sev2").plan[0]
    assert any("breaks the only 24 h weekly rest" in n and "WTR 1998 reg 11" in n for n in step.notes)
    step = plan_pages(config, "ops", local("2026-03-08 21:00", london), "sev2").plan[0]
    assert not any("weekly rest" in n for n in step.notes)


def test_portuguese_deputy_counts_as_rostered_only_when_the_rota_says_standby(tmp_path):
    # CT art. 199.º-A: no employer contact during rest; rest is time not at the employer's disposal (ACT note 2025).
    # WE 4 March 02:00 Lisbon: anna is on call; bea is her deputy. Unless the rota tells the deputies they are on
    # standby, bea is at rest: the deputy level may not contact her, and the fallback is paged.
    lisbon = "Europe/Lisbon"
    policy = [{"id": "dep", "fallback": "boss", "levels": [{"targets": [{"deputies_of": "ops"}]}]}]
    config = site_config(tmp_path / "a", "pt-ct", lisbon, policies=policy)
    plan = plan_pages(config, "dep", local("2026-03-04 02:00", lisbon), "sev2")
    assert [(s.person, s.reason_code) for s in plan.skipped if s.person == "bea"] == [("bea", "contact_forbidden")]
    # deputies_on_standby: the first deputy is told and is at the employer's disposal: contacted.
    config = site_config(tmp_path / "b", "pt-ct", lisbon, policies=policy,
                         rotation={"deputies_on_standby": True})
    plan = plan_pages(config, "dep", local("2026-03-04 02:00", lisbon), "sev2")
    assert plan.plan[0].person == "bea" and plan.skipped == []


def test_rota_preview_diff_cli_exits_1_for_a_change_without_a_clear_day(tmp_path, capsys):
    # The same French edit through the command line: notified on MO 2 March, a shift from TU 3 March 18:00 has no
    # clear day before it (C. trav. L3121-12 2°): blocking, exit 1, and the text names the rule and the citation.
    from bot.cli import main

    site_config(tmp_path / "before", "fr-ct", "Europe/Paris")
    site_config(tmp_path / "after", "fr-ct", "Europe/Paris", overrides=[
        {"rotation": "ops", "person": "bea", "replaces": "anna", "from": "2026-03-03 18:00", "to": "2026-03-04 09:00"}])
    args = ["rota", "preview", "--config-dir", str(tmp_path / "before" / "config"), "--from", "2026-03-02",
            "--to", "2026-03-15", "--diff", str(tmp_path / "after" / "config"), "--notified-on", "2026-03-02"]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "BLOCK advance_notice: bea" in out and "not allowed even in exceptional circumstances" in out
    assert "L3121-12" in out
