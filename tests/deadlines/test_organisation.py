"""Standing organisation facts: defaults under incident facts, checked by `bot check`."""

from __future__ import annotations

import shutil

from sqlmodel import select

from bot.deadlines.tables import Obligation
from bot.deadlines.tracker import mark_notified, recompute
from bot.incidents.tables import Incident
from tests.deadlines.conftest import REPO_ROOT, load_dir, utc

ORG = """name: "Example Versicherung AG"
facts:
  dora_financial_entity: true
  dora_entity_type: insurer
  nis2_identified: false
  member_state: DE
  entity_zone: Europe/Berlin
"""


def _config(tmp_path, org_text: str):
    shutil.copytree(REPO_ROOT / "config" / "regulations", tmp_path / "regulations")
    (tmp_path / "organisation.yaml").write_text(org_text)
    return load_dir(tmp_path)


def test_standing_facts_apply_to_incidents_and_to_rescheduled_stages(store, tmp_path):
    config, issues = _config(tmp_path, ORG)
    assert config is not None, issues
    with store.session() as s:
        inc = Incident(number=3, title="Core outage", severity="sev1", playbook="sev1", reporter="U0REPORT",
                       declared_at=utc(2026, 3, 6, 8), facts={"major_ict_incident": True},
                       triggers={"aware": "2026-03-06T08:00:00Z", "classified_major": "2026-03-06T19:00:00Z"})
        s.add(inc)
        s.flush()
        recompute(s, config, inc, regimes=["dora"], actor="U0LEAD", why="declared", at=utc(2026, 3, 6, 19, 5))
        rows = {r.obligation_id: r for r in s.exec(select(Obligation)).all()}
        # classified Fri 20:00 CET + 4 h = Sat 2026-03-07 00:00 CET: the insurer (from organisation.yaml) gets the
        # relief to Mon 2026-03-09 12:00 CET = 11:00 UTC
        assert rows["dora.initial"].due_at == utc(2026, 3, 9, 11, 0)
        # submitted Mon 2026-03-09 10:00 UTC; intermediate + 72 h = Thu 2026-03-12 10:00 UTC (a working day)
        mark_notified(s, rows["dora.initial"].id, incident=inc, by="U0LEGAL", submitted_at=utc(2026, 3, 9, 10), reference="R1",
                      evidence_url="", at=utc(2026, 3, 9, 10, 5))
        assert (rows["dora.intermediate"].due_at, rows["dora.intermediate"].estimated) == (utc(2026, 3, 12, 10), False)
        # final, estimated: Thu 2026-03-12 11:00 CET + 1 month = Sun 2026-04-12 11:00 CEST: a Sunday, so the
        # insurer's relief (standing facts kept in the row's snapshot) gives Mon 2026-04-13 12:00 CEST = 10:00 UTC
        assert rows["dora.final"].due_at == utc(2026, 4, 13, 10, 0)


def test_incident_fact_overrides_a_standing_fact(tmp_path):
    config, _ = _config(tmp_path, ORG)
    from bot.deadlines.organisation import facts_for

    assert facts_for(config, {"dora_entity_type": "credit_institution"})["dora_entity_type"] == "credit_institution"
    assert facts_for(config, {})["member_state"] == "DE"


def test_check_refuses_unknown_facts_and_bad_zones_and_countries(tmp_path):
    config, issues = _config(tmp_path, """facts:
  dora_entity_typ: insurer
  entity_zone: Europe/Berlln
  member_state: XX
""")
    assert config is None
    text = [str(i) for i in issues]
    assert any('did you mean "dora_entity_type"' in t and "warning" not in t for t in text), text
    assert any('expected an IANA time zone like "Europe/Berlin", got "Europe/Berlln"' in t for t in text), text
    assert any('country code known to the holidays package' in t for t in text), text
