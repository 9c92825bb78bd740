"""Two people on a weekly rota across the autumn DST change and All Saints' Day (report and calendar tests)."""

# anna works in Berlin (calendar DE-BE, a profile whose night window is 22:00-06:00);
# bea works in Munich (calendar DE-BY, a profile without a night rule: default 23:00-06:00).
PEOPLE = """\
    sites:
      - {id: berlin, timezone: Europe/Berlin, holidays: {country: DE, subdivision: BE}, labor_profile: nights22}
      - {id: munich, timezone: Europe/Berlin, holidays: {country: DE, subdivision: BY}, labor_profile: base}
    people:
      - {id: anna, slack: U0ANNA001, site: berlin, contract: {oncall_agreement: true}}
      - {id: bea, slack: U0BEA0001, site: munich, contract: {oncall_agreement: true}}
      - {id: boss, slack: U0BOSS001, site: munich, contract: {oncall_agreement: true}}
    """
LABOR = {
    "base": """\
        id: base
        rules: [{kind: leave, cite: "TEST leave"}]
        """,
    "nights22": """\
        id: nights22
        rules:
          - {kind: leave, cite: "TEST leave"}
          - {kind: night_work_limit, night_window: "22:00-06:00", max_hours_per_24h: 8, cite: "TEST night §2"}
        """,
}
# Weekly handoff WE 09:00 Berlin: anna from WE 21 Oct, bea from WE 28 Oct, anna again from WE 4 Nov.
ROTAS = """\
    compliance: {from: "2026-10-21", days: 7}
    rotations:
      - {id: ops, timezone: Europe/Berlin, participants: [anna, bea], start: "2026-10-21", handoff: "WE 09:00",
         cadence: weekly, fallback: boss}
    """
