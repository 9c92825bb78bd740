"""`bot check` on regulations files: citations required, references and calendars resolved, precise errors."""

from __future__ import annotations

from tests.deadlines.conftest import load_dir, write_regime

HEAD = """id: {id}
name: "Test regime"
jurisdiction: EU
status: in_force
zone: Europe/Berlin
verification: {{last_checked: "2026-11-22"}}
facts: {{}}
"""


def _errors(issues):
    return [i for i in issues if i.severity == "error"]


def test_obligation_without_citation_is_rejected(tmp_path):
    write_regime(tmp_path, "demo", HEAD.format(id="demo") + """obligations:
  - id: demo.authority
    title: "Notify"
    stage: notification
    recipient: "Authority"
    deadline: {kind: hours, amount: 72, from: aware}
""")
    config, issues = load_dir(tmp_path)
    assert config is None
    [error] = _errors(issues)
    assert "demo.authority has no citation" in error.message
    assert error.file.endswith("regulations/demo.yaml") and error.line == 9  # the obligation's line


def test_a_cited_obligation_loads(tmp_path):
    write_regime(tmp_path, "demo", HEAD.format(id="demo") + """obligations:
  - id: demo.authority
    title: "Notify"
    stage: notification
    recipient: "Authority"
    deadline: {kind: hours, amount: 72, from: aware}
    citations: [{text: "Art. 1"}]
""")
    config, issues = load_dir(tmp_path)
    assert config is not None, issues
    from bot.deadlines.catalog import obligation_ids, regime_ids

    assert regime_ids(config) == {"demo"} and obligation_ids(config) == {"demo.authority"}


def test_unknown_chained_reference_and_calendar_are_reported(tmp_path):
    write_regime(tmp_path, "demo", HEAD.format(id="demo") + """obligations:
  - id: demo.final
    title: "Final"
    stage: final
    recipient: "Authority"
    deadline: {kind: months, amount: 1, from: "submitted:demo.notificaton"}
    citations: [{text: "Art. 2"}]
  - id: demo.weakness
    title: "Weakness"
    stage: notification
    recipient: "Authority"
    deadline: {kind: business_days, amount: 10, from: aware, calendar: au_nsw}
    citations: [{text: "Art. 3"}]
""")
    config, issues = load_dir(tmp_path)
    messages = [e.message for e in _errors(issues)]
    assert config is None
    assert any('refers to unknown obligation "demo.notificaton"' in m for m in messages)
    assert any('calendar "au_nsw" is not defined' in m for m in messages)


def test_obligation_id_must_carry_the_regime_prefix(tmp_path):
    write_regime(tmp_path, "demo", HEAD.format(id="demo") + """obligations:
  - id: gdpr.authority
    title: "Notify"
    stage: notification
    recipient: "Authority"
    deadline: {kind: hours, amount: 72, from: aware}
    citations: [{text: "Art. 1"}]
""")
    config, issues = load_dir(tmp_path)
    assert config is None
    assert any('expected an obligation id "demo.<name>"' in e.message for e in _errors(issues))


def test_chained_cycle_is_rejected(tmp_path):
    write_regime(tmp_path, "demo", HEAD.format(id="demo") + """obligations:
  - id: demo.a
    title: "A"
    stage: a
    recipient: "X"
    deadline: {kind: hours, amount: 1, from: "submitted:demo.b"}
    citations: [{text: "Art. 1"}]
  - id: demo.b
    title: "B"
    stage: b
    recipient: "X"
    deadline: {kind: hours, amount: 1, from: "submitted:demo.a"}
    citations: [{text: "Art. 1"}]
""")
    config, issues = load_dir(tmp_path)
    assert config is None
    assert any("form a cycle" in e.message for e in _errors(issues))


def test_rule_kind_and_operator_errors_are_precise(tmp_path):
    write_regime(tmp_path, "demo", HEAD.format(id="demo") + """obligations:
  - id: demo.a
    title: "A"
    stage: a
    recipient: "X"
    applicability: [{fact: affected, gte: 500, gt: 500}]
    deadline: {kind: weeks, amount: 1, from: aware}
    citations: [{text: "Art. 1"}]
  - id: demo.b
    title: "B"
    stage: b
    recipient: "X"
    deadline: {kind: hours, amount: 1, from: noticed}
    citations: [{text: "Art. 1"}]
""")
    config, issues = load_dir(tmp_path)
    messages = [e.message for e in _errors(issues)]
    assert config is None
    assert any("unknown kind" in m and "weeks" in m for m in messages), messages
    assert any("expected exactly one operator" in m for m in messages), messages
    assert any('expected a trigger' in m and '"noticed"' in m for m in messages), messages


def test_calendar_country_must_be_known_to_the_holidays_package(tmp_path):
    write_regime(tmp_path, "demo", HEAD.format(id="demo") + """calendars:
  bad: {country: XX}
obligations:
  - id: demo.a
    title: "A"
    stage: a
    recipient: "X"
    deadline: {kind: hours, amount: 1, from: aware}
    citations: [{text: "Art. 1"}]
""")
    config, issues = load_dir(tmp_path)
    assert config is None
    [error] = _errors(issues)
    assert 'expected a country code known to the holidays package like "US" or "DE", got "XX"' in error.message
    assert error.path == "calendars.bad"


def test_not_yet_effective_needs_its_commencement_date(tmp_path):
    write_regime(tmp_path, "demo", HEAD.format(id="demo").replace("in_force", "not_yet_effective") + """obligations:
  - id: demo.a
    title: "A"
    stage: a
    recipient: "X"
    deadline: {kind: hours, amount: 1, from: aware}
    citations: [{text: "Art. 1"}]
""")
    config, issues = load_dir(tmp_path)
    assert config is None
    assert any('expected "effective_from"' in e.message for e in _errors(issues))


def test_every_shipped_obligation_cites_its_source(shipped_config):
    for loaded in shipped_config.loaded("regulation"):
        for ob in loaded.model.obligations:
            assert ob.citations and all(c.text.strip() for c in ob.citations), ob.id
    assert not [w for w in shipped_config.warnings if "regulations" in w.file], shipped_config.warnings


def test_shipped_catalog_has_the_required_regimes(shipped_config):
    from bot.deadlines.catalog import fact_catalog, regime_ids

    ids = regime_ids(shipped_config)
    required = {"gdpr", "uk_gdpr", "nis2", "dora", "sec_8k", "hipaa", "nydfs", "us_bank", "cert_in", "au_soci", "au_ndb",
                "apra_cps234", "sg_pdpa", "br_lgpd", "circia"}
    assert required <= ids
    assert {i for i in ids if i.startswith("us_state_")} >= {"us_state_ca", "us_state_tx", "us_state_vt", "us_state_ny"}
    facts = fact_catalog(shipped_config)
    assert facts["residents"] and facts["risk_level"]  # every fact asked about has a description
    assert all(facts.values()), [k for k, v in facts.items() if not v]


def test_before_must_name_a_known_obligation_and_not_loop(tmp_path):
    write_regime(tmp_path, "demo", HEAD.format(id="demo") + """obligations:
  - id: demo.regulator
    title: "Regulator"
    stage: regulator
    recipient: "Regulator"
    deadline: {kind: before, of: demo.residnets}
    citations: [{text: "Art. 4"}]
  - id: demo.first
    title: "First"
    stage: regulator
    recipient: "A"
    deadline: {kind: before, of: demo.second}
    citations: [{text: "Art. 5"}]
  - id: demo.second
    title: "Second"
    stage: regulator
    recipient: "B"
    deadline: {kind: before, of: demo.first}
    citations: [{text: "Art. 6"}]
""")
    config, issues = load_dir(tmp_path)
    assert config is None
    errors = _errors(issues)
    typo = next(e for e in errors if "demo.residnets" in e.message)
    assert '"before: demo.residnets" refers to unknown obligation' in typo.message
    assert typo.line == 13 and typo.column == 15  # the deadline line of the first obligation (9 = its "- id")
    assert any("form a cycle" in e.message for e in errors)


def test_a_delay_needs_steps_or_what_allows_it(tmp_path):
    write_regime(tmp_path, "demo", HEAD.format(id="demo") + """obligations:
  - id: demo.filing
    title: "Filing"
    stage: filing
    recipient: "Regulator"
    deadline: {kind: hours, amount: 72, from: aware}
    delays:
      - {id: prosecutor, title: "Prosecutor's request", citation: "Art. 7"}
    citations: [{text: "Art. 6"}]
""")
    config, issues = load_dir(tmp_path)
    assert config is None
    [error] = _errors(issues)
    assert 'expected "steps"' in error.message and error.line == 15  # the delay item


def test_first_day_is_one_of_two_counts(tmp_path):
    write_regime(tmp_path, "demo", HEAD.format(id="demo") + """obligations:
  - id: demo.final
    title: "Final"
    stage: final
    recipient: "Regulator"
    deadline: {kind: calendar_days, amount: 30, from: aware, first_day: same_day}
    citations: [{text: "Art. 8"}]
""")
    config, issues = load_dir(tmp_path)
    assert config is None
    [error] = _errors(issues)
    assert "next_day" in error.message and "anchor_day" in error.message and error.line == 13
