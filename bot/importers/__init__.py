"""Importers: on-call schedules exported from PagerDuty, Opsgenie or an iCalendar feed, as draft YAML.

Each vendor module reads the JSON (or iCalendar) as the vendor's API returns
it and maps what ``rotas.yaml`` can express: a rotation per schedule layer
with its participants in order, the handoff time in the schedule's zone, a
daily, weekly or fortnightly turn, coverage windows from restrictions, and
overrides.  Whatever cannot be expressed is listed with the reason, never
dropped: the manager decides.  :mod:`bot.importers.review` then writes the
fragments and runs the same checks as ``rota preview --diff``.
"""
